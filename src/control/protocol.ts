/**
 * The control protocol: the one contract between a running router (or
 * anycast server) process and everything outside it (the lab, the CLI,
 * tests). JSON lines over a unix socket (mode 0600) in the lab's run
 * directory: `<run>/<lab>/<node>.sock`.
 *
 * Each request line: `{"v":1,"id":N,"method":"...","params":{...}}`.
 * Each response line: `{"v":1,"id":N,"ok":true,"result":...}` or
 * `{"v":1,"id":N,"ok":false,"error":{"code":"...","message":"..."}}`.
 * After `events.subscribe`, the server also writes event lines:
 * `{"v":1,"event":{...}}` (no id), in order, with a per-process sequence.
 *
 * Versioning: `v` is the protocol version. A server answers a request of a
 * version it does not speak with error code `unsupported-version`; new
 * methods and new result fields may be added within a version, nothing is
 * removed or changes meaning.
 */

export const CONTROL_PROTOCOL_VERSION = 1;

/** Methods and their parameter and result shapes. */
export interface ControlMethods {
  /** Who is this: node name, kind, ASN, router id, pid, protocol version. */
  hello: { params: Record<string, never>; result: HelloResult };
  'show.interfaces': { params: Record<string, never>; result: InterfaceInfo[] };
  'show.neighbors': { params: Record<string, never>; result: NeighborInfo[] };
  /** Every candidate path per prefix, the best one and the decision step that chose it. */
  'show.rib': { params: { prefix?: string }; result: RibEntryInfo[] };
  'show.fib': { params: Record<string, never>; result: FibEntryInfo[] };
  'show.counters': { params: Record<string, never>; result: Record<string, number> };
  explain: { params: { address: string }; result: ExplainResult };
  /** The data plane's own ARP/ND table (userspace data plane only). */
  'show.arp': { params: Record<string, never>; result: ArpEntryInfo[] };
  /** Mark probes for packet tracing: matching packets make the data plane emit `trace` events. Null clears. */
  'trace.set': { params: { filter: TraceFilterSpec | null }; result: { ok: boolean; error?: string } };
  /** Start receiving event lines on this connection. `since` replays buffered events after that sequence. */
  'events.subscribe': { params: { since?: number }; result: { seq: number } };
  /** Recent events (bounded buffer). */
  'events.list': { params: { since?: number }; result: ControlEvent[] };
  /** BGP: is the router converged (all sessions Established, no UPDATE for quietMs)? */
  'bgp.status': { params: Record<string, never>; result: BgpStatus };
  /** Anycast servers: announce/withdraw, service control, counters. */
  'anycast.status': { params: Record<string, never>; result: Record<string, unknown> };
  'anycast.control': { params: { action: string; args?: Record<string, unknown> }; result: Record<string, unknown> };
  shutdown: { params: { reason?: string }; result: { stopping: true } };
  /** Inject peers (`lab inject`): announce routes with chosen attributes (replacing earlier ones for the same prefix), withdraw them, list them. */
  'inject.announce': { params: { routes: InjectRouteSpec[] }; result: InjectStatus };
  'inject.withdraw': { params: { prefixes: string[] }; result: InjectStatus & { readonly notAnnounced: string[] } };
  'inject.status': { params: Record<string, never>; result: InjectStatus };
}

/** A route an inject peer announces (src/inject/routes.ts says what goes on the wire). */
export interface InjectRouteSpec {
  readonly prefix: string;
  /** AS numbers after the peer's own AS over eBGP; the origin AS last. */
  readonly asPath: readonly number[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly origin: 'igp' | 'egp' | 'incomplete';
}

export interface InjectStatus {
  readonly node: string;
  readonly asn: number;
  readonly routes: InjectRouteSpec[];
  readonly sessions: { readonly address: string; readonly node?: string; readonly state: string; readonly updatesOut: number; readonly updatesIn: number; readonly lastError?: string }[];
}

export type ControlMethod = keyof ControlMethods;

export interface HelloResult {
  readonly node: string;
  readonly kind: string;
  readonly asn?: number;
  readonly routerId?: string;
  readonly pid: number;
  readonly version: number;
}

export interface InterfaceInfo {
  readonly name: string;
  readonly up: boolean;
  readonly mtu: number;
  readonly mac?: string;
  readonly addresses: string[];
}

export interface NeighborInfo {
  readonly address: string;
  readonly node?: string;
  readonly remoteAs: number;
  readonly kind: 'ebgp' | 'ibgp';
  readonly state: string;
  /** Seconds in the current state. */
  readonly uptime: number;
  readonly prefixesReceived: number;
  readonly prefixesAccepted: number;
  readonly prefixesAdvertised: number;
  readonly lastError?: string;
  readonly updatesIn: number;
  readonly updatesOut: number;
}

export interface PathInfo {
  readonly from: string;
  readonly fromNode?: string;
  readonly asPath: number[];
  readonly nextHop: string;
  readonly localPref: number;
  readonly med?: number;
  readonly origin: 'igp' | 'egp' | 'incomplete';
  readonly communities: string[];
  readonly best: boolean;
  /** For a losing path: the step that beat it, e.g. "AS_PATH 2 < 3". */
  readonly lostBy?: string;
  readonly multipath?: boolean;
}

export interface RibEntryInfo {
  readonly prefix: string;
  readonly paths: PathInfo[];
  /** The decision step that chose the best path ("only path" when alone). */
  readonly reason: string;
}

export interface FibEntryInfo {
  readonly prefix: string;
  readonly source: 'connected' | 'static' | 'bgp' | 'local';
  readonly nextHops: { readonly via?: string; readonly interface: string }[];
}

export interface ExplainResult {
  readonly address: string;
  readonly matches: FibEntryInfo[];
  readonly chosen?: FibEntryInfo;
  readonly rib?: RibEntryInfo;
  /** Why routes are absent or were not used: filtered on import, not exported, next hop unreachable. */
  readonly notes: string[];
}

export interface ArpEntryInfo {
  readonly interface: string;
  readonly address: string;
  readonly mac?: string;
  readonly state: string;
}

export interface TraceFilterSpec {
  readonly protocol?: number;
  readonly src?: string;
  readonly dst?: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
}

export interface BgpStatus {
  readonly sessions: number;
  readonly established: number;
  /** Milliseconds since the last UPDATE received or sent (Infinity as -1 when none yet). */
  readonly msSinceLastUpdate: number;
}

/**
 * Events. `best-path` and `fib` come one per prefix for small changes; a
 * router that changes many prefixes at once (more than 16 in one chunk of
 * work, e.g. a table arriving or an interface going down) reports that chunk
 * as one `log` event whose `detail` holds the counts (bestPath, added,
 * withdrawn, fibAdd, fibReplace, fibRemove).
 */
export type ControlEvent =
  | { readonly seq: number; readonly t: number; readonly node: string; readonly type: 'session'; readonly peer: string; readonly from: string; readonly to: string; readonly reason?: string }
  | { readonly seq: number; readonly t: number; readonly node: string; readonly type: 'best-path'; readonly prefix: string; readonly old?: string; readonly new?: string; readonly reason: string }
  | { readonly seq: number; readonly t: number; readonly node: string; readonly type: 'fib'; readonly prefix: string; readonly action: 'add' | 'replace' | 'remove'; readonly via?: string; readonly interface?: string }
  | { readonly seq: number; readonly t: number; readonly node: string; readonly type: 'interface'; readonly interface: string; readonly up: boolean }
  | { readonly seq: number; readonly t: number; readonly node: string; readonly type: 'anycast'; readonly action: string; readonly detail?: string }
  | { readonly seq: number; readonly t: number; readonly node: string; readonly type: 'trace'; readonly detail: Record<string, unknown> }
  | { readonly seq: number; readonly t: number; readonly node: string; readonly type: 'log'; readonly level: string; readonly message: string; readonly detail?: Readonly<Record<string, number | string>> };

/** Distributes Omit over the event union. */
export type EventBody = ControlEvent extends infer E ? (E extends ControlEvent ? Omit<E, 'seq' | 't' | 'node'> : never) : never;

export interface ControlRequest {
  readonly v: number;
  readonly id: number;
  readonly method: string;
  readonly params?: unknown;
}

export type ControlResponse =
  | { readonly v: number; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly id: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export interface ControlEventLine {
  readonly v: number;
  readonly event: ControlEvent;
}

export const ControlErrorCode = {
  UNSUPPORTED_VERSION: 'unsupported-version',
  UNKNOWN_METHOD: 'unknown-method',
  BAD_REQUEST: 'bad-request',
  FAILED: 'failed',
} as const;

export function controlSocketPath(runDir: string, node: string): string {
  return `${runDir}/${node}.sock`;
}
