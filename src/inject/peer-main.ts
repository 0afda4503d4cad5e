/**
 * The inject peer process: `node dist/src/inject/peer-main.js CONFIG.json`,
 * started by `lab inject` inside an `external` node's namespace. A scriptable
 * BGP speaker for hijacks, leaks and graders' probes: it peers with the
 * routers the topology links it to and announces exactly the routes it is
 * told to, with the attributes it is told to (src/inject/routes.ts).
 *
 * Built from the project's own BGP pieces: one BgpSession per neighbour
 * (RFC 4271 FSM, collision detection, timers), the BgpListener on port 179,
 * and the UPDATE builder (RFC 4760 MP_REACH for IPv6, End-of-RIB of RFC 4724
 * after the initial dump). It does not use BgpSpeaker's RIB: a RIB originates
 * routes with an empty AS_PATH and its own next hop, while an inject peer
 * must send arbitrary AS paths, origins and third-party next hops.
 *
 * Its own table is a map prefix → route: `inject.announce` replaces a
 * prefix's route and sends it at once to every Established neighbour;
 * `inject.withdraw` withdraws; a neighbour that comes up receives the whole
 * table. UPDATEs it receives are counted and otherwise ignored (it is a
 * stub: it installs nothing and passes nothing on).
 *
 * Exits on SIGTERM or `shutdown` after Cease 6/2 (RFC 8203 text) to every
 * neighbour, which withdraws everything it announced.
 * Not supported: receiving routes into a table, policies, route refresh
 * (a ROUTE-REFRESH request is answered by sending the table again).
 */
import { readFileSync } from 'node:fs';
import { formatAddress, formatPrefix, parseAddress, type IpAddress, type IpPrefix } from '../lib/prefix.js';
import { BgpSession } from '../bgp/session.js';
import { BgpListener } from '../bgp/listener.js';
import { buildAnnouncements, buildWithdrawals, endOfRib } from '../bgp/wire/update-builder.js';
import { Afi } from '../bgp/wire/types.js';
import { ControlServer } from '../control/server.js';
import { CONTROL_PROTOCOL_VERSION, type InjectStatus } from '../control/protocol.js';
import { checkRoute, sessionAttributes, type InjectRoute, type SessionSide } from './routes.js';

/** The peer's configuration, written by lab/inject.ts from the topology. */
export interface InjectPeerConfig {
  readonly lab: string;
  readonly node: string;
  readonly asn: number;
  readonly routerId: string;
  readonly controlSocket: string;
  readonly neighbors: readonly {
    readonly node?: string;
    readonly address: string;
    readonly remoteAs: number;
    readonly localAddress: string;
    readonly localAddress6?: string;
    readonly localAddress4?: string;
    readonly kind: 'ebgp' | 'ibgp';
    readonly holdTime: number;
  }[];
  /** TCP port (tests); default 179. */
  readonly port?: number;
}

interface Neighbour {
  readonly node?: string;
  readonly address: string;
  readonly side: SessionSide;
  readonly session: BgpSession;
}

function log(level: string, message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${level} ${message}\n`);
}

function must(text: string, what: string): IpAddress {
  const a = parseAddress(text);
  if (!a.ok) throw new Error(`${what}: ${a.error}`);
  return a.value;
}

function routerIdNumber(text: string): number {
  const b = must(text, 'router id').bytes;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8')) as InjectPeerConfig;
  const control = new ControlServer(cfg.node);
  const table = new Map<string, InjectRoute>();
  const routerId = routerIdNumber(cfg.routerId);

  /** Encoded UPDATEs announcing `routes` over one neighbour's session (one message group per route). */
  const announcements = (nb: Neighbour, routes: readonly InjectRoute[], fourOctetAs: boolean): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (const r of routes) {
      const a = sessionAttributes(r, nb.side);
      if (!a.ok) {
        log('warn', `not sending ${r.prefix} to ${nb.address}: ${a.error}`);
        continue;
      }
      out.push(...buildAnnouncements({ attributes: a.value.attributes, prefixes: [a.value.prefix], ...(a.value.ipv6NextHop ? { ipv6NextHop: a.value.ipv6NextHop } : {}) }, { fourOctetAs }));
    }
    return out;
  };
  const send = (nb: Neighbour, msgs: readonly Uint8Array[]) => {
    if (!msgs.length || nb.session.state !== 'Established') return;
    nb.session.sendRaw(Buffer.concat(msgs), msgs.length);
  };
  const dumpTable = (nb: Neighbour) => {
    const fourOctetAs = nb.session.negotiated?.fourOctetAs ?? true;
    send(nb, [...announcements(nb, [...table.values()], fourOctetAs), endOfRib(Afi.IPV4), endOfRib(Afi.IPV6)]);
  };

  const nbrs: Neighbour[] = cfg.neighbors.map((n) => {
    const address = must(n.address, `neighbour ${n.address}`);
    const local = must(n.localAddress, `local address of ${n.address}`);
    const side: SessionSide = {
      kind: n.kind, localAsn: cfg.asn,
      ...(local.family === 4 ? { localAddress4: local } : { localAddress6: local }),
      ...(n.localAddress4 !== undefined ? { localAddress4: must(n.localAddress4, 'IPv4 address') } : {}),
      ...(n.localAddress6 !== undefined ? { localAddress6: must(n.localAddress6, 'IPv6 address') } : {}),
    };
    const nb: { -readonly [K in keyof Neighbour]: Neighbour[K] } = { node: n.node, address: n.address, side, session: undefined as unknown as BgpSession };
    nb.session = new BgpSession({
      localAsn: cfg.asn, routerId, peerAddress: address, peerAsn: n.remoteAs, localAddress: n.localAddress,
      port: cfg.port ?? 179, holdTime: n.holdTime,
    }, {
      up: () => {
        log('info', `session with ${n.address} (AS ${n.remoteAs}) Established: sending ${table.size} route(s)`);
        dumpTable(nb);
      },
      down: (d) => log('info', `session with ${n.address} down${d.reason ? `: ${d.reason}` : ''}`),
      update: () => undefined,
      routeRefresh: () => dumpTable(nb),
      stateChange: (from, to, reason) => control.emit({ type: 'session', peer: n.address, from, to, ...(reason !== undefined ? { reason } : {}) }),
      writable: () => undefined,
      log: (level, text) => log(level, `${n.address}: ${text}`),
    });
    return nb;
  });
  const byAddress = new Map(nbrs.map((nb) => [formatAddress(must(nb.address, 'address')), nb]));

  const status = (): InjectStatus => ({
    node: cfg.node,
    asn: cfg.asn,
    routes: [...table.values()],
    sessions: nbrs.map((nb) => ({
      address: nb.address, ...(nb.node !== undefined ? { node: nb.node } : {}), state: nb.session.state,
      updatesOut: nb.session.updatesOut, updatesIn: nb.session.updatesIn,
      ...(nb.session.lastError !== undefined ? { lastError: nb.session.lastError } : {}),
    })),
  });

  control.handle('hello', () => ({ node: cfg.node, kind: 'inject', asn: cfg.asn, routerId: cfg.routerId, pid: process.pid, version: CONTROL_PROTOCOL_VERSION }));
  control.handle('inject.status', () => status());
  control.handle('inject.announce', (p) => {
    const routes = p.routes ?? [];
    // Every route is checked against every session before anything is sent: all or nothing.
    const keyed: InjectRoute[] = routes.map((r) => {
      const c = checkRoute(r);
      if (!c.ok) throw new Error(c.error);
      for (const nb of nbrs) {
        const a = sessionAttributes(r, nb.side);
        if (!a.ok) throw new Error(`${r.prefix} toward ${nb.node ?? nb.address}: ${a.error}`);
      }
      return { ...r, prefix: formatPrefix(c.value.prefix) };
    });
    for (const r of keyed) table.set(r.prefix, r);
    for (const nb of nbrs) send(nb, announcements(nb, routes, nb.session.negotiated?.fourOctetAs ?? true));
    for (const r of routes) {
      control.emit({ type: 'log', level: 'info', message: `announce ${r.prefix}` });
      log('info', `announce ${r.prefix} as-path [${r.asPath.join(' ')}]${r.nextHop ? ` next-hop ${r.nextHop}` : ''}${r.med !== undefined ? ` med ${r.med}` : ''}${r.localPref !== undefined ? ` local-pref ${r.localPref}` : ''}${r.communities.length ? ` communities ${r.communities.join(' ')}` : ''} origin ${r.origin}`);
    }
    return status();
  });
  control.handle('inject.withdraw', (p) => {
    const gone: IpPrefix[] = [];
    const notAnnounced: string[] = [];
    for (const text of p.prefixes ?? []) {
      const c = checkRoute({ prefix: text, asPath: [], communities: [], origin: 'igp' });
      if (!c.ok) throw new Error(c.error);
      const key = formatPrefix(c.value.prefix);
      if (table.delete(key)) gone.push(c.value.prefix);
      else notAnnounced.push(key);
    }
    if (gone.length) {
      for (const nb of nbrs) send(nb, buildWithdrawals(gone, { fourOctetAs: nb.session.negotiated?.fourOctetAs ?? true }));
      log('info', `withdraw ${gone.map(formatPrefix).join(' ')}`);
    }
    return { ...status(), notAnnounced };
  });

  const listener = new BgpListener(['::'], cfg.port ?? 179, (sock, remote) => {
    const a = parseAddress(remote);
    const nb = a.ok ? byAddress.get(formatAddress(a.value)) : undefined;
    if (nb === undefined || !nb.session.isEnabled) return false;
    nb.session.accept(sock);
    return true;
  }, (t) => log('info', t));

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `shutting down: ${reason}`);
    try {
      await Promise.all(nbrs.map((nb) => nb.session.stop(reason)));
      await listener.stop();
    } finally {
      for (const nb of nbrs) nb.session.destroy();
      await control.close();
      process.exit(0);
    }
  };
  control.onShutdown(shutdown, 'inject peer removed', 'inject peer removed');

  await listener.start();
  for (const nb of nbrs) nb.session.start();
  await control.listen(cfg.controlSocket);
  log('info', `inject peer ${cfg.node} AS${cfg.asn} ready (${nbrs.length} neighbours)`);
}

main().catch((err) => {
  log('error', err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
