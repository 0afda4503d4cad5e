/**
 * Loading a topology file: YAML text → `TopologySpec` → validated `Topology`.
 *
 * Owns: the topology file schema (docs/topology.md is its reference): which
 * keys exist at every level and for every node kind, and their value checks.
 * All problems are collected — every one with file, line and field — and
 * thrown together as one `TopologyValidationError` before anything runs.
 *
 * Not here: derivation and cross-checks (build.ts), addressing (addressing.ts).
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { formatPrefix, maskBytes } from '../../src/lib/prefix.js';
import { buildTopology, DEFAULT_IPV4_POOL, DEFAULT_IPV6_POOL } from './build.js';
import { readPolicy } from './policy.js';
import { Locator, type SpecAddress, type SpecLink, type SpecNeighbor, type SpecNode, type TopologySpec } from './spec.js';
import { TopologyValidationError, type DataplaneMode, type FrameIoMode, type LinkShaping, type NodeKind, type Topology } from './types.js';
import {
  checkAsn, checkHoldTime, checkMtu, checkName, checkRouterId, parseAddressWithLength, parseDuration, parseHostAddress,
  parseLoss, parsePrefixText, parseRate, type Result,
} from './values.js';
import { YamlReader, type Entry, type Y } from './yaml-reader.js';

export const NODE_KINDS: readonly NodeKind[] = ['host', 'switch', 'router', 'anycast-server', 'external', 'bird', 'frr'];

export const TOP_KEYS = ['name', 'description', 'addressing', 'defaults', 'nodes', 'links'];
export const ADDRESSING_KEYS = ['ipv4', 'ipv6'];
export const DEFAULTS_KEYS = ['dataplane', 'frame-io', 'hold', 'keepalive', 'mtu'];
const SPEAKER_KEYS = ['asn', 'router-id', 'neighbors', 'static'];
/** Keys each node kind accepts (besides `kind`). */
export const KIND_KEYS: Readonly<Record<NodeKind, readonly string[]>> = {
  host: ['static'],
  switch: [],
  router: [...SPEAKER_KEYS, 'dataplane', 'frame-io', 'networks', 'multipath', 'originate-connected'],
  'anycast-server': [...SPEAKER_KEYS, 'anycast'],
  external: [...SPEAKER_KEYS, 'networks'],
  bird: [...SPEAKER_KEYS, 'networks', 'multipath'],
  frr: [...SPEAKER_KEYS, 'networks', 'multipath'],
};
export const NEIGHBOR_KEYS = ['node', 'address', 'remote-as', 'import', 'export', 'max-prefixes', 'hold', 'keepalive'];
export const ANYCAST_KEYS = ['addresses', 'prefixes'];
export const STATIC_KEYS = ['prefix', 'via'];
export const SHAPING_KEYS = ['delay', 'jitter', 'loss', 'rate'];
export const LINK_KEYS = ['endpoints', ...SHAPING_KEYS, 'mtu'];
const ENDPOINT_ADDRESS_KEYS = ['ipv4', 'ipv6'];

export async function loadTopologyFile(path: string): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TopologyValidationError([{ file: path, line: 0, field: '(file)', message: `cannot read: ${(e as Error).message}` }]);
  }
  return loadTopologyText(text, path);
}

/** Parse and validate; throws `TopologyValidationError` listing every problem. */
export function loadTopologyText(text: string, fileName: string): Topology {
  const { spec, locator, errors, syntax } = readTopologySpec(text, fileName);
  if (syntax) throw new TopologyValidationError(errors);
  const built = buildTopology(spec, locator);
  const all = [...errors, ...built.errors].sort((x, y) => x.line - y.line);
  if (all.length > 0 || !built.topology) throw new TopologyValidationError(dedupe(all));
  return built.topology;
}

function dedupe<T extends { line: number; field: string; message: string }>(errs: T[]): T[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.line}|${e.field}|${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** YAML text → spec plus the problems found while reading it. */
export function readTopologySpec(text: string, fileName: string) {
  const locator = new Locator(fileName);
  const r = new YamlReader(text, locator);
  locator.set('', 1);
  const fallbackName = basename(fileName, extname(fileName)).toLowerCase();
  const spec: {
    name: string; origin: string; description?: string;
    addressing: { ipv4: string; ipv6: string };
    defaults: { dataplane: DataplaneMode; frameIo?: FrameIoMode; holdTime: number; keepalive: number; mtu: number };
    nodes: SpecNode[]; links: SpecLink[]; style: 'lab';
  } = {
    name: fallbackName, origin: fileName,
    addressing: { ipv4: DEFAULT_IPV4_POOL, ipv6: DEFAULT_IPV6_POOL },
    defaults: { dataplane: 'userspace', holdTime: 9, keepalive: 3, mtu: 1500 },
    nodes: [], links: [], style: 'lab',
  };
  // After a YAML syntax error the tree is a guess: report only the syntax.
  if (r.errors.length > 0) return { spec: spec as TopologySpec, locator, errors: r.errors, syntax: true };
  const top = r.isNull(r.root) ? [] : r.entries(r.root, '');
  if (top) {
    r.checkKeys(top, TOP_KEYS, 'the topology');
    let nameGiven = false;
    let keepaliveGiven = false;
    for (const e of top) {
      switch (e.key) {
        case 'name': {
          const s = r.check(e.value, e.field, (v) => (typeof v === 'string' ? checkName(v) : { ok: false, error: `name must be text` }));
          if (s) spec.name = s;
          nameGiven = true;
          break;
        }
        case 'description': {
          const s = r.string(e.value, e.field);
          if (s !== undefined) spec.description = s.trim();
          break;
        }
        case 'addressing': {
          const ents = r.entries(e.value, e.field) ?? [];
          r.checkKeys(ents, ADDRESSING_KEYS, 'addressing');
          for (const a of ents) {
            const fam = a.key === 'ipv4' ? 4 : 6;
            const p = r.check(a.value, a.field, parsePrefixText);
            if (!p) continue;
            if (p.family !== fam) r.err(a.field, `${a.key} pool must be an IPv${fam} prefix`, a.value);
            else if (fam === 4 && p.len > 30) r.err(a.field, `IPv4 pool ${formatPrefix(p)} is too small (at most /30)`, a.value);
            else if (fam === 6 && p.len > 60) r.err(a.field, `IPv6 pool ${formatPrefix(p)} is too small (at most /60; a /48 is usual)`, a.value);
            else if (a.key === 'ipv4') spec.addressing.ipv4 = formatPrefix(p);
            else spec.addressing.ipv6 = formatPrefix(p);
          }
          break;
        }
        case 'defaults': {
          const ents = r.entries(e.value, e.field) ?? [];
          r.checkKeys(ents, DEFAULTS_KEYS, 'defaults');
          for (const d of ents) {
            if (d.key === 'dataplane') { const v = r.check(d.value, d.field, checkDataplane); if (v) spec.defaults.dataplane = v; }
            if (d.key === 'frame-io') { const v = r.check(d.value, d.field, checkFrameIo); if (v) spec.defaults.frameIo = v; }
            if (d.key === 'hold') { const v = r.check(d.value, d.field, checkHoldTime); if (v !== undefined) spec.defaults.holdTime = v; }
            if (d.key === 'keepalive') { const v = r.check(d.value, d.field, checkKeepalive); if (v !== undefined) { spec.defaults.keepalive = v; keepaliveGiven = true; } }
            if (d.key === 'mtu') { const v = r.check(d.value, d.field, checkMtu); if (v !== undefined) spec.defaults.mtu = v; }
          }
          if (!keepaliveGiven) spec.defaults.keepalive = Math.floor(spec.defaults.holdTime / 3);
          if (spec.defaults.holdTime > 0 && spec.defaults.keepalive >= spec.defaults.holdTime) {
            r.err(`${e.field}.keepalive`, `keepalive (${spec.defaults.keepalive}) must be less than hold (${spec.defaults.holdTime})`);
          }
          break;
        }
        case 'nodes': spec.nodes = readNodes(r, e); break;
        case 'links': spec.links = readLinks(r, e, spec.nodes); break;
      }
    }
    if (!nameGiven) {
      const c = checkName(fallbackName);
      if (!c.ok) r.err('name', `no 'name' given and the file name is not a valid lab name: ${c.error}`);
    }
    if (!top.some((e) => e.key === 'nodes')) r.err('nodes', `the topology has no 'nodes'`);
  }
  return { spec: spec as TopologySpec, locator, errors: r.errors, syntax: false };
}

function checkFrameIo(v: unknown): Result<FrameIoMode> {
  return v === 'af_packet' || v === 'af_xdp' ? { ok: true, value: v } : { ok: false, error: `frame-io must be 'af_packet' or 'af_xdp', got '${String(v)}'` };
}

function checkDataplane(v: unknown): Result<DataplaneMode> {
  return v === 'userspace' || v === 'kernel' ? { ok: true, value: v } : { ok: false, error: `dataplane must be 'userspace' or 'kernel', got '${String(v)}'` };
}

function checkKeepalive(v: unknown): Result<number> {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 21845
    ? { ok: true, value: v } : { ok: false, error: `keepalive must be an integer number of seconds, got '${String(v)}'` };
}

function readNodes(r: YamlReader, e: Entry): SpecNode[] {
  const out: SpecNode[] = [];
  const ents = r.entries(e.value, e.field);
  if (!ents) return out;
  for (const n of ents) {
    const before = r.errors.length;
    const c = checkName(n.key);
    if (!c.ok) r.err(n.field, `node name: ${c.error}`, n.keyNode);
    else if (LINK_KEYS.includes(n.key)) r.err(n.field, `node name '${n.key}' is reserved (a link keyword)`, n.keyNode);
    const node = readNode(r, n);
    out.push({ ...node, invalid: node.invalid || r.errors.length > before });
  }
  return out;
}

function readNode(r: YamlReader, n: Entry): SpecNode {
  const name = n.key;
  const field = n.field;
  // Shorthand: `h1: host`.
  if (!r.isMap(n.value)) {
    const k = r.scalar(n.value);
    if (typeof k === 'string' && (NODE_KINDS as readonly string[]).includes(k)) return { name, kind: k as NodeKind, field };
    r.err(`${field}.kind`, typeof k === 'string'
      ? `unknown node kind '${k}'; kinds: ${NODE_KINDS.join(', ')}` : `a node is a mapping with at least 'kind'`, n.value ?? n.keyNode);
    return { name, kind: 'host', field, invalid: true };
  }
  const ents = r.entries(n.value, field) ?? [];
  const kindEntry = ents.find((x) => x.key === 'kind');
  if (!kindEntry) {
    r.err(field, `node '${name}' has no 'kind' (one of ${NODE_KINDS.join(', ')})`, n.keyNode);
    return { name, kind: 'host', field, invalid: true };
  }
  const k = r.scalar(kindEntry.value);
  if (typeof k !== 'string' || !(NODE_KINDS as readonly string[]).includes(k)) {
    r.err(kindEntry.field, `unknown node kind '${String(k)}'; kinds: ${NODE_KINDS.join(', ')}`, kindEntry.value);
    return { name, kind: 'host', field, invalid: true };
  }
  const kind = k as NodeKind;
  r.checkKeys(ents, ['kind', ...KIND_KEYS[kind]], `a ${kind} node`);
  const node: {
    -readonly [K in keyof SpecNode]: SpecNode[K];
  } = { name, kind, field };
  for (const x of ents) {
    switch (x.key) {
      case 'asn': node.asn = r.check(x.value, x.field, checkAsn); break;
      case 'router-id': node.routerId = r.check(x.value, x.field, checkRouterId); break;
      case 'dataplane': node.dataplane = r.check(x.value, x.field, checkDataplane); break;
      case 'frame-io': node.frameIo = r.check(x.value, x.field, checkFrameIo); break;
      case 'multipath': node.multipath = r.bool(x.value, x.field); break;
      case 'originate-connected': node.originateConnected = r.bool(x.value, x.field); break;
      case 'networks':
        node.networks = (r.itemsOrOne(x.value, x.field) ?? [])
          .map((i) => r.check(i.value, i.field, parsePrefixText)).filter((p) => p !== undefined).map(formatPrefix);
        break;
      case 'static': node.staticRoutes = readStatic(r, x); break;
      case 'neighbors': node.neighbors = readNeighbors(r, x); break;
      case 'anycast': node.anycast = readAnycast(r, x); break;
    }
  }
  if (kind !== 'host' && kind !== 'switch' && kind !== 'external' && node.asn === undefined && !ents.some((x) => x.key === 'asn')) {
    r.err(field, `a ${kind} needs an 'asn'`, n.keyNode);
  }
  if (kind === 'anycast-server' && !ents.some((x) => x.key === 'anycast')) {
    r.err(field, `an anycast-server needs 'anycast: {addresses: [...]}'`, n.keyNode);
  }
  return node;
}

function readStatic(r: YamlReader, x: Entry): { prefix: string; via: string }[] {
  const out: { prefix: string; via: string }[] = [];
  for (const it of r.items(x.value, x.field) ?? []) {
    const ents = r.entries(it.value, it.field);
    if (!ents) continue;
    r.checkKeys(ents, STATIC_KEYS, 'a static route');
    const p = ents.find((e) => e.key === 'prefix');
    const v = ents.find((e) => e.key === 'via');
    if (!p || !v) { r.err(it.field, `a static route needs 'prefix' and 'via'`, it.value); continue; }
    const prefix = r.check(p.value, p.field, parsePrefixText);
    const via = r.check(v.value, v.field, parseHostAddress);
    if (!prefix || !via) continue;
    if (prefix.family !== via.family) { r.err(v.field, `'via' must be an IPv${prefix.family} address for ${formatPrefix(prefix)}`, v.value); continue; }
    out.push({ prefix: formatPrefix(prefix), via: String(r.scalar(v.value)).split('/')[0].trim() });
  }
  return out;
}

function readNeighbors(r: YamlReader, x: Entry): SpecNeighbor[] {
  const out: SpecNeighbor[] = [];
  for (const it of r.items(x.value, x.field) ?? []) {
    const ents = r.entries(it.value, it.field);
    if (!ents) continue;
    r.checkKeys(ents, NEIGHBOR_KEYS, 'a neighbor');
    const nb: { -readonly [K in keyof SpecNeighbor]: SpecNeighbor[K] } = { field: it.field };
    for (const e of ents) {
      switch (e.key) {
        case 'node': nb.node = r.check(e.value, e.field, (v) => (typeof v === 'string' ? checkName(v) : { ok: false, error: 'node must be a node name' })); break;
        case 'address': {
          const a = r.check(e.value, e.field, parseHostAddress);
          if (a) nb.address = String(r.scalar(e.value)).split('/')[0].trim();
          break;
        }
        case 'remote-as': nb.remoteAs = r.check(e.value, e.field, checkAsn); break;
        case 'import': nb.import = readPolicy(r, e.value, e.field); break;
        case 'export': nb.export = readPolicy(r, e.value, e.field); break;
        case 'max-prefixes': nb.maxPrefixes = r.check(e.value, e.field, (v) =>
          typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 4294967295 ? { ok: true, value: v } : { ok: false, error: `max-prefixes must be a positive integer, got '${String(v)}'` });
          break;
        case 'hold': nb.holdTime = r.check(e.value, e.field, checkHoldTime); break;
        case 'keepalive': nb.keepalive = r.check(e.value, e.field, checkKeepalive); break;
      }
    }
    const hasNode = ents.some((e) => e.key === 'node');
    const hasAddr = ents.some((e) => e.key === 'address');
    if (hasNode === hasAddr) r.err(it.field, `a neighbor needs exactly one of 'node' or 'address'`, it.value);
    out.push(nb);
  }
  return out;
}

function readAnycast(r: YamlReader, x: Entry): { addresses: string[]; prefixes?: string[] } | undefined {
  const ents = r.entries(x.value, x.field);
  if (!ents) return undefined;
  r.checkKeys(ents, ANYCAST_KEYS, 'anycast');
  const addrEntry = ents.find((e) => e.key === 'addresses');
  if (!addrEntry) { r.err(x.field, `anycast needs 'addresses' (the shared service addresses)`, x.value); return undefined; }
  const addrs = (r.itemsOrOne(addrEntry.value, addrEntry.field) ?? []).map((i) => ({ i, a: r.check(i.value, i.field, parseHostAddress) }));
  if (addrs.length === 0) r.err(addrEntry.field, `anycast needs at least one address`, addrEntry.value);
  const addresses = addrs.filter((z) => z.a).map((z) => String(r.scalar(z.i.value)).split('/')[0].trim());
  const prefEntry = ents.find((e) => e.key === 'prefixes');
  if (!prefEntry) {
    // Operators announce the covering prefix, not the host route: /24 and /48
    // are the longest prefixes commonly accepted across the Internet.
    const derived: string[] = [];
    for (const z of addrs) {
      if (!z.a) continue;
      const len = z.a.family === 4 ? 24 : 48;
      const p = formatPrefix({ family: z.a.family, bytes: maskBytes(z.a.bytes, len), len });
      if (!derived.includes(p)) derived.push(p);
    }
    return { addresses, prefixes: derived };
  }
  const prefixes = (r.itemsOrOne(prefEntry.value, prefEntry.field) ?? [])
    .map((i) => r.check(i.value, i.field, parsePrefixText)).filter((p) => p !== undefined).map(formatPrefix);
  return { addresses, prefixes };
}

function readLinks(r: YamlReader, e: Entry, nodes: readonly SpecNode[]): SpecLink[] {
  const out: SpecLink[] = [];
  const names = new Set(nodes.map((n) => n.name));
  for (const it of r.items(e.value, e.field) ?? []) {
    const before = r.errors.length;
    const link = readLink(r, it.value, it.field, names);
    if (link) out.push({ ...link, invalid: r.errors.length > before });
  }
  return out;
}

function readEndpoints(r: YamlReader, n: Y, field: string): [string, string] | undefined {
  const items = r.items(n, field);
  if (!items) return undefined;
  if (items.length !== 2) { r.err(field, `a link has exactly two endpoints, got ${items.length}`, n); return undefined; }
  const names = items.map((i) => r.check(i.value, i.field, (v) => (typeof v === 'string' ? { ok: true, value: v } : { ok: false, error: `endpoint must be a node name, got '${String(v)}'` })));
  if (names[0] === undefined || names[1] === undefined) return undefined;
  return [names[0], names[1]];
}

function readLink(r: YamlReader, n: Y, field: string, names: ReadonlySet<string>): SpecLink | undefined {
  if (r.isSeq(n)) {
    const ends = readEndpoints(r, n, `${field}.endpoints`);
    if (!ends) return undefined;
    r.loc.set(`${field}.endpoints[0]`, r.loc.line(`${field}[0]`));
    r.loc.set(`${field}.endpoints[1]`, r.loc.line(`${field}[1]`));
    return { a: ends[0], b: ends[1], field };
  }
  const ents = r.entries(n, field);
  if (!ents) return undefined;
  const epEntry = ents.find((x) => x.key === 'endpoints');
  if (!epEntry) { r.err(field, `a link needs 'endpoints: [a, b]' (or the short form '[a, b]')`, n); return undefined; }
  const ends = readEndpoints(r, epEntry.value, epEntry.field);
  if (!ends) return undefined;
  const [a, b] = ends;
  const aToBKey = `${a}-to-${b}`;
  const bToAKey = `${b}-to-${a}`;
  const allowed = [...LINK_KEYS, aToBKey, bToAKey, a, b];
  const unknown = ents.filter((x) => !allowed.includes(x.key));
  for (const x of unknown) {
    const looksLikeNode = names.has(x.key) || /-to-/.test(x.key);
    r.err(x.field, looksLikeNode
      ? `'${x.key}' is neither an endpoint of this link (${a}, ${b}) nor a direction (${aToBKey}, ${bToAKey})`
      : `unknown key '${x.key}' in a link; allowed: ${LINK_KEYS.join(', ')}, ${aToBKey}, ${bToAKey}, ${a}, ${b}`, x.keyNode);
  }
  const both = readShaping(r, ents);
  let aToB: LinkShaping = both;
  let bToA: LinkShaping = both;
  let mtu: number | undefined;
  let addressA: SpecAddress | undefined;
  let addressB: SpecAddress | undefined;
  for (const x of ents) {
    if (x.key === 'mtu') mtu = r.check(x.value, x.field, checkMtu);
    else if (x.key === aToBKey || x.key === bToAKey) {
      const dir = r.entries(x.value, x.field) ?? [];
      r.checkKeys(dir, SHAPING_KEYS, `a link direction`);
      const s = { ...both, ...readShaping(r, dir) };
      if (x.key === aToBKey) aToB = s; else bToA = s;
    } else if ((x.key === a || x.key === b) && !LINK_KEYS.includes(x.key)) {
      const addr = readEndpointAddress(r, x);
      if (x.key === a) addressA = addr; else addressB = addr;
    }
  }
  const jitterErrors = new Set<string>();
  for (const [dir, s] of [[aToBKey, aToB], [bToAKey, bToA]] as const) {
    if (s.jitterMs !== undefined && s.jitterMs > 0 && !s.delayMs) {
      const f = s.jitterMs === both.jitterMs ? `${field}.jitter` : `${field}.${dir}.jitter`;
      if (!jitterErrors.has(f)) r.err(f, `jitter needs a delay in the same direction (${dir}); tc netem applies jitter around the delay`);
      jitterErrors.add(f);
    }
  }
  const link: { -readonly [K in keyof SpecLink]: SpecLink[K] } = { a, b, field };
  if (Object.keys(aToB).length) link.aToB = aToB;
  if (Object.keys(bToA).length) link.bToA = bToA;
  if (mtu !== undefined) link.mtu = mtu;
  if (addressA) link.addressA = addressA;
  if (addressB) link.addressB = addressB;
  return link;
}

function readShaping(r: YamlReader, ents: readonly Entry[]): LinkShaping {
  const s: { -readonly [K in keyof LinkShaping]: LinkShaping[K] } = {};
  for (const x of ents) {
    if (x.key === 'delay') s.delayMs = r.check(x.value, x.field, parseDuration);
    else if (x.key === 'jitter') s.jitterMs = r.check(x.value, x.field, parseDuration);
    else if (x.key === 'loss') s.lossPercent = r.check(x.value, x.field, parseLoss);
    else if (x.key === 'rate') s.rateMbit = r.check(x.value, x.field, parseRate);
  }
  for (const k of Object.keys(s) as (keyof LinkShaping)[]) if (s[k] === undefined) delete s[k];
  return s;
}

function readEndpointAddress(r: YamlReader, x: Entry): SpecAddress | undefined {
  const ents = r.entries(x.value, x.field);
  if (!ents) return undefined;
  r.checkKeys(ents, ENDPOINT_ADDRESS_KEYS, `an endpoint's addresses`);
  const out: { ipv4?: string; ipv6?: string } = {};
  for (const e of ents) {
    const fam = e.key === 'ipv4' ? 4 : e.key === 'ipv6' ? 6 : undefined;
    if (!fam) continue;
    const a = r.check(e.value, e.field, (v) => parseAddressWithLength(v, fam));
    if (a) out[e.key as 'ipv4' | 'ipv6'] = a.text;
  }
  return out;
}
