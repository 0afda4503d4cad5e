/**
 * The check spec: a YAML file listing what must hold in a running lab
 * (`lab check SPEC.yaml`). This module parses and validates it, reporting
 * every problem with file, line and field as the topology loader does; it
 * does no I/O besides reading the file in `loadCheckSpecFile`.
 *
 *   description: what the checks are about
 *   timeout: 60                      # seconds to wait for convergence first
 *   checks:
 *     - session: {router: r1, neighbor: r2, state: Established}
 *     - route: {router: r1, prefix: 192.0.2.0/24, in: rib, via: r3, as-path: [65003]}
 *     - reach: {from: h1, to: h2, expect: true}
 *     - traceroute: {from: h1, to: h2, hops: [r1, r3, h2]}
 *     - catchment: {client: c1, server: b}
 *     - catchment: oracle
 *     - failover: {server: b, how: blackhole, max-outage: 5s, to: a}
 *     - failover: {server: c, how: drain, stay: [c1]}   # c1 keeps its server throughout
 *       name: optional label; hint: optional advice appended to a failure
 *
 * Not here: running the checks (check.ts).
 */
import { readFile } from 'node:fs/promises';
import { parsePrefix } from '../src/lib/prefix.js';
import { FAILURE_KINDS, type FailureKind } from './anycast.js';
import { Locator } from './topology/spec.js';
import { YamlReader, type Entry, type Y } from './topology/yaml-reader.js';
import type { Topology, TopologyError } from './topology/types.js';

interface Base {
  /** Label shown in results; default derived from the assertion. */
  readonly name: string;
  readonly hint?: string;
  readonly line: number;
}

export interface SessionCheck extends Base {
  readonly kind: 'session';
  readonly router: string;
  /** A node name or a peer address. */
  readonly neighbor: string;
  readonly state: string;
}

export interface RouteCheck extends Base {
  readonly kind: 'route';
  readonly router: string;
  readonly prefix: string;
  readonly in: 'rib' | 'fib';
  readonly present: boolean;
  /** The neighbour node the best path (rib) or next hop (fib) comes from. */
  readonly via?: string;
  readonly asPath?: readonly number[];
  readonly nextHop?: string;
  readonly localPref?: number;
  readonly med?: number;
  readonly communities?: readonly string[];
  readonly bestReasonContains?: string;
  /** FIB: number of next hops (ECMP). */
  readonly nextHops?: number;
  /** FIB: connected, static, bgp, local. */
  readonly source?: string;
}

export interface ReachCheck extends Base {
  readonly kind: 'reach';
  readonly from: string;
  /** A node name or an address. */
  readonly to: string;
  readonly expect: boolean;
}

export interface TracerouteCheck extends Base {
  readonly kind: 'traceroute';
  readonly from: string;
  readonly to: string;
  readonly hops: readonly string[];
}

export interface CatchmentCheck extends Base {
  readonly kind: 'catchment';
  /** Undefined with `oracle`: every client as the oracle predicts. */
  readonly client?: string;
  readonly server?: string;
  readonly address?: string;
}

export interface FailoverCheck extends Base {
  readonly kind: 'failover';
  readonly server: string;
  readonly how: FailureKind;
  readonly maxOutageMs?: number;
  /** The server clients must land on after the failure. */
  readonly to?: string;
  /** Clients that must keep the server they had while `server` fails (their traffic must not move). */
  readonly stay?: readonly string[];
  readonly address?: string;
  readonly timeoutMs: number;
}

export type Check = SessionCheck | RouteCheck | ReachCheck | TracerouteCheck | CatchmentCheck | FailoverCheck;
export type CheckKind = Check['kind'];

export interface CheckSpec {
  readonly file: string;
  readonly description?: string;
  /** Seconds to wait for convergence before checking. */
  readonly timeoutS: number;
  readonly checks: readonly Check[];
}

export type ParseResult = { readonly ok: true; readonly spec: CheckSpec } | { readonly ok: false; readonly errors: readonly TopologyError[] };

const TOP_KEYS = ['description', 'timeout', 'checks'];
const COMMON_KEYS = ['name', 'hint'];
/** Keys allowed inside each assertion's mapping. */
export const CHECK_KEYS: Readonly<Record<CheckKind, readonly string[]>> = {
  session: ['router', 'neighbor', 'state'],
  route: ['router', 'prefix', 'in', 'present', 'via', 'as-path', 'next-hop', 'local-pref', 'med', 'communities', 'best-reason-contains', 'next-hops', 'source'],
  reach: ['from', 'to', 'expect'],
  traceroute: ['from', 'to', 'hops'],
  catchment: ['client', 'server', 'address'],
  failover: ['server', 'how', 'max-outage', 'to', 'stay', 'address', 'timeout'],
};
const REQUIRED: Readonly<Record<CheckKind, readonly string[]>> = {
  session: ['router', 'neighbor'],
  route: ['router', 'prefix'],
  reach: ['from', 'to'],
  traceroute: ['from', 'to', 'hops'],
  catchment: [],
  failover: ['server'],
};
const KINDS = Object.keys(CHECK_KEYS) as CheckKind[];
const SESSION_STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];
const NAME = /^[a-z][a-z0-9-]*$/;

/** "5s", "500ms", "1.5s", or a bare number of seconds → milliseconds. */
export function parseDuration(v: unknown): { ok: true; value: number } | { ok: false; error: string } {
  if (typeof v === 'number' && v >= 0 && Number.isFinite(v)) return { ok: true, value: v * 1000 };
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s)$/.exec(v.trim()) : null;
  if (!m) return { ok: false, error: `expected a duration such as 5s or 500ms, got '${String(v)}'` };
  return { ok: true, value: Number(m[1]) * (m[2] === 's' ? 1000 : 1) };
}

function asn(v: unknown): { ok: true; value: number } | { ok: false; error: string } {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return { ok: true, value: n };
  return { ok: false, error: `expected an AS number, got '${String(v)}'` };
}

function prefixValue(v: unknown): { ok: true; value: string } | { ok: false; error: string } {
  if (typeof v !== 'string') return { ok: false, error: `expected a prefix such as 192.0.2.0/24, got '${String(v)}'` };
  const p = parsePrefix(v);
  if (!p.ok) return { ok: false, error: `'${v}' is not a prefix: ${p.error}` };
  return { ok: true, value: v };
}

function nodeName(v: unknown): { ok: true; value: string } | { ok: false; error: string } {
  return typeof v === 'string' && NAME.test(v) ? { ok: true, value: v } : { ok: false, error: `expected a node name, got '${String(v)}'` };
}

/** Parses check-spec text; never throws. */
export function parseCheckSpec(text: string, file: string): ParseResult {
  const loc = new Locator(file);
  const r = new YamlReader(text, loc);
  if (r.errors.length) return { ok: false, errors: r.errors };
  const root = r.root;
  if (r.isNull(root)) return { ok: false, errors: [{ file, line: 1, field: '(document)', message: 'the spec is empty: it needs a `checks:` list' }] };
  const top = r.entries(root, '');
  if (!top) return { ok: false, errors: r.errors };
  r.checkKeys(top, TOP_KEYS, 'the spec');
  let description: string | undefined;
  let timeoutS = 60;
  const checks: Check[] = [];
  let sawChecks = false;
  for (const e of top) {
    if (e.key === 'description') description = r.string(e.value, e.field);
    else if (e.key === 'timeout') {
      const ms = r.check(e.value, e.field, parseDuration);
      if (ms !== undefined) timeoutS = ms / 1000;
    } else if (e.key === 'checks') {
      sawChecks = true;
      for (const it of r.items(e.value, e.field) ?? []) {
        const c = readCheck(r, it.value, it.field);
        if (c) checks.push(c);
      }
    }
  }
  if (!sawChecks) r.err('', 'the spec needs a `checks:` list', root);
  else if (!checks.length && !r.errors.length) r.err('checks', 'the `checks:` list is empty');
  if (r.errors.length) return { ok: false, errors: r.errors };
  return { ok: true, spec: { file, description, timeoutS, checks } };
}

function readCheck(r: YamlReader, n: Y, field: string): Check | undefined {
  const entries = r.entries(n, field);
  if (!entries) return undefined;
  const kinds = entries.filter((e) => (KINDS as string[]).includes(e.key));
  r.checkKeys(entries, [...KINDS, ...COMMON_KEYS], 'a check');
  if (kinds.length !== 1) {
    r.err(field, kinds.length ? `one assertion per check, found ${kinds.map((k) => k.key).join(' and ')}` : `a check needs one of: ${KINDS.join(', ')}`, n);
    return undefined;
  }
  const k = kinds[0];
  const kind = k.key as CheckKind;
  let name: string | undefined;
  let hint: string | undefined;
  for (const e of entries) {
    if (e.key === 'name') name = r.string(e.value, e.field);
    if (e.key === 'hint') hint = r.string(e.value, e.field);
  }
  const line = r.line(n);
  const before = r.errors.length;
  const body = kind === 'catchment' && r.scalar(k.value) === 'oracle' ? {} : readBody(r, kind, k);
  if (!body || r.errors.length > before) return undefined;
  const c = { kind, line, hint, ...body } as Omit<Check, 'name'> & { kind: CheckKind };
  return { ...c, name: name ?? defaultName(c as Check) } as Check;
}

function readBody(r: YamlReader, kind: CheckKind, k: Entry): Record<string, unknown> | undefined {
  const entries = r.entries(k.value, k.field);
  if (!entries) return undefined;
  r.checkKeys(entries, CHECK_KEYS[kind], `a ${kind} check`);
  const present = new Set(entries.map((e) => e.key));
  for (const req of REQUIRED[kind]) if (!present.has(req)) r.err(k.field, `a ${kind} check needs '${req}'`, k.value);
  const o: Record<string, unknown> = {};
  for (const e of entries) {
    const f = e.field;
    switch (e.key) {
      case 'router': case 'from': case 'client': case 'server':
        o[e.key] = r.check(e.value, f, nodeName);
        break;
      case 'to':
        if (kind === 'failover') o.to = r.check(e.value, f, nodeName);
        else o.to = r.string(e.value, f);
        break;
      case 'neighbor': case 'address': case 'next-hop':
        o[camel(e.key)] = r.string(e.value, f);
        break;
      case 'via':
        o.via = r.check(e.value, f, nodeName);
        break;
      case 'state': {
        const s = r.string(e.value, f);
        const canon = SESSION_STATES.find((x) => x.toLowerCase() === s?.toLowerCase());
        if (s !== undefined && !canon) r.err(f, `unknown session state '${s}'; one of: ${SESSION_STATES.join(', ')}`, e.value);
        o.state = canon;
        break;
      }
      case 'prefix':
        o.prefix = r.check(e.value, f, prefixValue);
        break;
      case 'in': {
        const v = r.string(e.value, f);
        if (v !== undefined && v !== 'rib' && v !== 'fib') r.err(f, `expected rib or fib, got '${v}'`, e.value);
        o.in = v;
        break;
      }
      case 'present': case 'expect':
        o[e.key] = r.bool(e.value, f);
        break;
      case 'as-path':
        o.asPath = (r.itemsOrOne(e.value, f) ?? []).map((x) => r.check(x.value, x.field, asn));
        break;
      case 'hops':
        o.hops = (r.items(e.value, f) ?? []).map((x) => r.check(x.value, x.field, nodeName));
        break;
      case 'stay':
        o.stay = (r.itemsOrOne(e.value, f) ?? []).map((x) => r.check(x.value, x.field, nodeName));
        break;
      case 'communities':
        o.communities = (r.itemsOrOne(e.value, f) ?? []).map((x) => r.string(x.value, x.field));
        break;
      case 'local-pref': case 'med': case 'next-hops':
        o[camel(e.key)] = r.check(e.value, f, (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? { ok: true, value: v } : { ok: false, error: `expected a whole number, got '${String(v)}'` }));
        break;
      case 'best-reason-contains': case 'source':
        o[camel(e.key)] = r.string(e.value, f);
        break;
      case 'how': {
        const v = r.string(e.value, f);
        if (v !== undefined && !(FAILURE_KINDS as readonly string[]).includes(v)) r.err(f, `unknown failure '${v}'; one of: ${FAILURE_KINDS.join(', ')}`, e.value);
        o.how = v;
        break;
      }
      case 'max-outage':
        o.maxOutageMs = r.check(e.value, f, parseDuration);
        break;
      case 'timeout':
        o.timeoutMs = r.check(e.value, f, parseDuration);
        break;
    }
  }
  if (kind === 'session') o.state ??= 'Established';
  if (kind === 'route') {
    o.in ??= 'rib';
    o.present ??= true;
    if (o.present === false && ['via', 'asPath', 'nextHop', 'localPref', 'med', 'communities', 'bestReasonContains', 'nextHops', 'source'].some((x) => o[x] !== undefined)) {
      r.err(k.field, 'a route that must be absent (present: false) cannot also require attributes', k.value);
    }
    if (o.in === 'fib' && ['asPath', 'localPref', 'med', 'communities', 'bestReasonContains'].some((x) => o[x] !== undefined)) {
      r.err(k.field, 'BGP attributes (as-path, local-pref, med, communities, best-reason-contains) are in the rib, not the fib: use `in: rib`', k.value);
    }
  }
  if (kind === 'catchment' && o.server !== undefined && o.client === undefined) r.err(k.field, 'a catchment check with a server needs the client that must land on it', k.value);
  if (kind === 'reach') o.expect ??= true;
  if (kind === 'failover') {
    if (Array.isArray(o.stay) && o.stay.includes(o.server)) r.err(k.field, `'stay' lists clients; ${String(o.server)} is the server that fails`, k.value);
    o.how ??= 'service';
    o.timeoutMs ??= 20_000;
  }
  return o;
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A short label for a check, e.g. "route r1 rib 192.0.2.0/24". */
export function defaultName(c: Check): string {
  switch (c.kind) {
    case 'session': return `session ${c.router} -> ${c.neighbor} ${c.state}`;
    case 'route': return `${c.present ? 'route' : 'no route'} ${c.router} ${c.in} ${c.prefix}`;
    case 'reach': return `${c.expect ? 'reach' : 'no reach'} ${c.from} -> ${c.to}`;
    case 'traceroute': return `traceroute ${c.from} -> ${c.to}`;
    case 'catchment': return c.client ? `catchment ${c.client} -> ${c.server ?? 'oracle'}` : 'catchment as the oracle predicts';
    case 'failover': return `failover of ${c.server} (${c.how})`;
  }
}

export async function loadCheckSpecFile(path: string): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ file: path, line: 1, field: '(file)', message: err instanceof Error ? err.message : String(err) }] };
  }
  return parseCheckSpec(text, path);
}

/**
 * Errors for nodes a spec names that the lab does not have (a typo in a
 * spec is not a failing check). `via` must be a node too; `to` and
 * `neighbor` may also be addresses.
 */
export function specNodeErrors(spec: CheckSpec, topo: Topology): TopologyError[] {
  const names = new Set(topo.nodes.map((n) => n.name));
  const list = topo.nodes.map((n) => n.name).join(' ');
  const errors: TopologyError[] = [];
  spec.checks.forEach((c, i) => {
    const refs: [string, string | undefined][] = [];
    switch (c.kind) {
      case 'session': refs.push(['router', c.router]); if (NAME.test(c.neighbor)) refs.push(['neighbor', c.neighbor]); break;
      case 'route': refs.push(['router', c.router], ['via', c.via]); break;
      case 'reach': refs.push(['from', c.from]); if (NAME.test(c.to)) refs.push(['to', c.to]); break;
      case 'traceroute': refs.push(['from', c.from], ...c.hops.map((h, k): [string, string] => [`hops[${k}]`, h])); if (NAME.test(c.to)) refs.push(['to', c.to]); break;
      case 'catchment': refs.push(['client', c.client], ['server', c.server]); break;
      case 'failover': refs.push(['server', c.server], ['to', c.to], ...(c.stay ?? []).map((h, k): [string, string] => [`stay[${k}]`, h])); break;
    }
    for (const [field, name] of refs) {
      if (name !== undefined && !names.has(name)) errors.push({ file: spec.file, line: c.line, field: `checks[${i}].${c.kind}.${field}`, message: `no node '${name}' in the lab (nodes: ${list})` });
    }
    if ((c.kind === 'session' || c.kind === 'route') && names.has(c.router)) {
      const kind = topo.nodes.find((n) => n.name === c.router)?.kind;
      if (kind !== 'router' && kind !== 'anycast-server') {
        const routers = topo.nodes.filter((n) => n.kind === 'router' || n.kind === 'anycast-server').map((n) => n.name).join(' ');
        errors.push({ file: spec.file, line: c.line, field: `checks[${i}].${c.kind}.router`, message: `${c.router} is a ${kind}, not one of the lab's routers (${routers})` });
      }
    }
  });
  return errors;
}
