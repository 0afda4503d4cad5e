/**
 * Mininet compatibility: `--topo` strings and Mininet Python topologies.
 *
 * Owns: a port of mininet.topo.Topo's graph (addHost/addSwitch/addLink with
 * Topo.addPort's numbering: hosts from port 0, switches from port 1, explicit
 * ports win) and of mn's built-in topologies — minimal, single,N,
 * linear,K[,N], reversed,N, tree,depth=D,fanout=F, torus,X,Y[,N] — with
 * Mininet's node names, the link order of Mininet.buildFromTopo
 * (links(sort=True), natural order) and its host addresses (10.0.0.N/8 in
 * sorted host order, so `pingall` works). Also importing a custom topology
 * file (`mn --custom file.py --topo name`) by running mininet-import.py
 * under /usr/bin/python3 with an argv array (no shell).
 *
 * Link options read: bw, delay, jitter, loss, params1/params2 {'ip': ...}.
 * Not supported: OpenFlow, controllers, per-node classes (cls=...), intfName
 * overrides, a host's defaultRoute, other link options (ignored).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildTopology } from './build.js';
import { Locator, type SpecLink, type SpecNode, type TopologySpec } from './spec.js';
import { TopologyValidationError, type LinkShaping, type Topology } from './types.js';
import { parseLoss, parseRate } from './values.js';

/** Debian's python3, whose dist-packages hold mininet (a pyenv/venv python3 on PATH would not). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const MININET_IP_BASE = '10.0.0.0/8';

interface TopoLink { node1: string; node2: string; port1: number; port2: number; opts: Record<string, unknown>; line: number }

/** mininet.topo.Topo as a pure graph of names. */
export class MininetTopo {
  private readonly nodes = new Map<string, { isSwitch: boolean; info: Record<string, unknown>; line: number }>();
  private readonly edges: TopoLink[] = [];
  private readonly ports = new Map<string, Map<number, [string, number]>>();

  addHost(name: string, info: Record<string, unknown> = {}, line = 0): string {
    this.nodes.set(name, { isSwitch: false, info, line });
    return name;
  }

  addSwitch(name: string, info: Record<string, unknown> = {}, line = 0): string {
    this.nodes.set(name, { isSwitch: true, info: { ...info, isSwitch: true }, line });
    return name;
  }

  isSwitch(name: string): boolean {
    return this.nodes.get(name)?.isSwitch ?? false;
  }

  /** Topo.addPort: a new port is the number of ports so far plus 1 on switches, 0 elsewhere. */
  addLink(node1: string, node2: string, opts: { port1?: number; port2?: number; line?: number } & Record<string, unknown> = {}): void {
    const { port1, port2, line, ...rest } = opts;
    const p = (n: string) => {
      let m = this.ports.get(n);
      if (!m) this.ports.set(n, (m = new Map()));
      return m;
    };
    const src = p(node1), dst = p(node2);
    const sport = port1 ?? src.size + (this.isSwitch(node1) ? 1 : 0);
    const dport = port2 ?? dst.size + (this.isSwitch(node2) ? 1 : 0);
    src.set(sport, [node2, dport]);
    dst.set(dport, [node1, sport]);
    this.edges.push({ node1, node2, port1: sport, port2: dport, opts: rest, line: line ?? 0 });
  }

  /** Node names in natural order (Topo.nodes(sort=True)). */
  nodeNames(): string[] { return [...this.nodes.keys()].sort(naturalCompare); }
  hosts(): string[] { return this.nodeNames().filter((n) => !this.isSwitch(n)); }
  switches(): string[] { return this.nodeNames().filter((n) => this.isSwitch(n)); }
  nodeInfo(n: string): Record<string, unknown> { return this.nodes.get(n)?.info ?? {}; }
  nodeLine(n: string): number { return this.nodes.get(n)?.line ?? 0; }

  /** Topo.links(sort=True): natural order of (node1, node2), stable. */
  links(): TopoLink[] {
    return this.edges.map((e, i) => ({ e, i }))
      .sort((x, y) => naturalCompare(x.e.node1, y.e.node1) || naturalCompare(x.e.node2, y.e.node2) || x.i - y.i)
      .map((x) => x.e);
  }
}

/** mininet.util.natural: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const ka = a.split(/(\d+)/), kb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] === kb[i]) continue;
    if (i % 2 === 1) return Number(ka[i]) - Number(kb[i]) || (ka[i] < kb[i] ? -1 : 1);
    return ka[i] < kb[i] ? -1 : 1;
  }
  return ka.length - kb.length;
}

type Arg = number | string;
type Builder = (args: Arg[], kw: Record<string, Arg>) => MininetTopo;

function intArg(v: Arg | undefined, dflt: number, what: string, min: number): number {
  const n = v === undefined ? dflt : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > 4096) throw new Error(`${what} must be an integer between ${min} and 4096, got '${String(v)}'`);
  return n;
}

function params(names: string[], args: Arg[], kw: Record<string, Arg>): Record<string, Arg | undefined> {
  if (args.length > names.length) throw new Error(`too many arguments (expected at most ${names.length}: ${names.join(', ')})`);
  const out: Record<string, Arg | undefined> = {};
  names.forEach((n, i) => (out[n] = args[i]));
  for (const [k, v] of Object.entries(kw)) {
    if (!names.includes(k)) throw new Error(`unknown parameter '${k}' (parameters: ${names.join(', ') || 'none'})`);
    if (out[k] !== undefined) throw new Error(`parameter '${k}' given twice`);
    out[k] = v;
  }
  return out;
}

const single = (k: number) => {
  const t = new MininetTopo();
  const s = t.addSwitch('s1');
  for (let h = 1; h <= k; h++) t.addLink(t.addHost(`h${h}`), s);
  return t;
};

/** mn's TOPOS: mininet/topo.py and mininet/topolib.py. */
export const MININET_TOPOS: Readonly<Record<string, Builder>> = {
  minimal: (a, kw) => { params([], a, kw); return single(2); },
  single: (a, kw) => { const p = params(['k'], a, kw); return single(intArg(p.k, 2, 'k', 1)); },
  reversed: (a, kw) => {
    const p = params(['k'], a, kw);
    const k = intArg(p.k, 2, 'k', 1);
    const t = new MininetTopo();
    const s = t.addSwitch('s1');
    for (let h = 1; h <= k; h++) t.addLink(t.addHost(`h${h}`), s, { port1: 0, port2: k - h + 1 });
    return t;
  },
  linear: (a, kw) => {
    const p = params(['k', 'n'], a, kw);
    const k = intArg(p.k, 2, 'k', 1), n = intArg(p.n, 1, 'n', 1);
    const hostName = (i: number, j: number) => (n === 1 ? `h${i}` : `h${j}s${i}`);
    const t = new MininetTopo();
    let last: string | undefined;
    for (let i = 1; i <= k; i++) {
      const s = t.addSwitch(`s${i}`);
      for (let j = 1; j <= n; j++) t.addLink(t.addHost(hostName(i, j)), s);
      if (last) t.addLink(s, last);
      last = s;
    }
    return t;
  },
  tree: (a, kw) => {
    const p = params(['depth', 'fanout'], a, kw);
    const depth = intArg(p.depth, 1, 'depth', 0), fanout = intArg(p.fanout, 2, 'fanout', 1);
    if (fanout ** depth > 4096) throw new Error(`tree,depth=${depth},fanout=${fanout} has ${fanout ** depth} hosts; at most 4096`);
    const t = new MininetTopo();
    let hostNum = 1, switchNum = 1;
    const addTree = (d: number): string => {
      if (d > 0) {
        const node = t.addSwitch(`s${switchNum++}`);
        for (let i = 0; i < fanout; i++) t.addLink(node, addTree(d - 1));
        return node;
      }
      return t.addHost(`h${hostNum++}`);
    };
    addTree(depth);
    return t;
  },
  torus: (a, kw) => {
    const p = params(['x', 'y', 'n'], a, kw);
    if (p.x === undefined || p.y === undefined) throw new Error('torus needs X and Y: torus,3,3');
    const x = intArg(p.x, 3, 'x', 3), y = intArg(p.y, 3, 'y', 3), n = intArg(p.n, 1, 'n', 1);
    const t = new MininetTopo();
    const sw = (i: number, j: number) => `s${i + 1}x${j + 1}`;
    for (let i = 0; i < x; i++) {
      for (let j = 0; j < y; j++) {
        const loc = `${i + 1}x${j + 1}`;
        const s = t.addSwitch(`s${loc}`);
        for (let k = 0; k < n; k++) t.addLink(t.addHost(n === 1 ? `h${loc}` : `h${loc}x${k + 1}`), s);
      }
    }
    for (let i = 0; i < x; i++) {
      for (let j = 0; j < y; j++) {
        t.addLink(sw(i, j), sw(i, (j + 1) % y));
        t.addLink(sw(i, j), sw((i + 1) % x, j));
      }
    }
    return t;
  },
};

/** mininet.util.splitArgs + makeNumeric. */
export function splitTopoString(text: string): { name: string; args: Arg[]; kwargs: Record<string, Arg> } {
  const parts = text.trim().split(',');
  const num = (s: string): Arg => (/^-?\d+$/.test(s) ? Number(s) : /^-?\d*\.\d+$|^-?\d+\.\d*$/.test(s) ? Number(s) : s);
  const args = parts.slice(1).filter((p) => !p.includes('=')).map(num);
  const kwargs: Record<string, Arg> = {};
  for (const p of parts.slice(1).filter((q) => q.includes('='))) {
    const i = p.indexOf('=');
    kwargs[p.slice(0, i)] = num(p.slice(i + 1));
  }
  return { name: parts[0], args, kwargs };
}

/** The graph `mn --topo TEXT` builds. Throws TopologyValidationError on a bad string. */
export function mininetTopoGraph(text: string): MininetTopo {
  const origin = `mininet:${text}`;
  const { name, args, kwargs } = splitTopoString(text);
  const builder = Object.prototype.hasOwnProperty.call(MININET_TOPOS, name) ? MININET_TOPOS[name] : undefined;
  if (!builder) {
    throw new TopologyValidationError([{ file: origin, line: 0, field: 'topo', message: `unknown topology '${name}'; Mininet's are ${Object.keys(MININET_TOPOS).join(', ')}` }]);
  }
  try {
    return builder(args, kwargs);
  } catch (e) {
    throw new TopologyValidationError([{ file: origin, line: 0, field: 'topo', message: `${name}: ${(e as Error).message}` }]);
  }
}

/** `lab up --topo linear,4`: the Topology of what `mn --topo linear,4` builds. */
export function mininetTopology(text: string, opts: { name?: string } = {}): Topology {
  const graph = mininetTopoGraph(text);
  return topologyFromGraph(graph, { origin: `mininet:${text}`, file: `mininet:${text}`, name: opts.name ?? defaultLabName(text) });
}

function defaultLabName(text: string): string {
  const n = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(n) ? n : `mn-${n}`;
}

/** Mininet link options → shaping (TCLink shapes both interfaces alike). */
function shapingFromOpts(opts: Record<string, unknown>, problems: string[]): LinkShaping | undefined {
  const s: { delayMs?: number; jitterMs?: number; lossPercent?: number; rateMbit?: number } = {};
  if (opts.bw !== undefined && opts.bw !== null) {
    const r = parseRate(opts.bw);
    if (r.ok) s.rateMbit = r.value; else problems.push(`bw: ${r.error}`);
  }
  for (const [key, target] of [['delay', 'delayMs'], ['jitter', 'jitterMs']] as const) {
    const v = opts[key];
    if (v === undefined || v === null) continue;
    const r = mininetTime(v);
    if (r !== undefined) s[target] = r; else problems.push(`${key}: must look like '5ms', got '${String(v)}'`);
  }
  if (opts.loss !== undefined && opts.loss !== null) {
    const r = parseLoss(opts.loss);
    if (r.ok) { if (r.value > 0) s.lossPercent = r.value; } else problems.push(`loss: ${r.error}`);
  }
  return Object.keys(s).length > 0 ? s : undefined;
}

/** A tc time as Mininet passes it to netem: "5ms", "1s", "100us"; a bare number is tc's microseconds. */
function mininetTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v / 1000;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|usec|ms|msec|s|sec)?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'us';
  return unit.startsWith('u') ? n / 1000 : unit.startsWith('m') ? n : n * 1000;
}

/** A Mininet graph → Topology (Mininet's addressing: hosts' `ip`, default 10.0.0.N/8). */
export function topologyFromGraph(graph: MininetTopo, o: { origin: string; file: string; name: string }): Topology {
  const loc = new Locator(o.file);
  const errors: { file: string; line: number; field: string; message: string }[] = [];
  const nodes: SpecNode[] = [];
  // Mininet.addHost: nextIP counts from 1 in the order hosts are added (sorted).
  let nextIp = 1;
  for (const h of graph.hosts()) {
    const info = graph.nodeInfo(h);
    const field = `nodes.${h}`;
    loc.set(field, graph.nodeLine(h));
    const given = typeof info.ip === 'string' ? info.ip : undefined;
    const ip = given ?? `${ipAdd(nextIp)}/8`;
    nextIp++;
    nodes.push({ name: h, kind: 'host', field, mininetIp: ip });
  }
  for (const s of graph.switches()) {
    const field = `nodes.${s}`;
    loc.set(field, graph.nodeLine(s));
    nodes.push({ name: s, kind: 'switch', field });
  }
  const links: SpecLink[] = graph.links().map((l, i) => {
    const field = `links[${i}]`;
    loc.set(field, l.line);
    const problems: string[] = [];
    const shaping = shapingFromOpts(l.opts, problems);
    for (const p of problems) errors.push(loc.error(field, p));
    const addrOf = (p: unknown) => {
      const ip = p && typeof p === 'object' ? (p as Record<string, unknown>).ip : undefined;
      return typeof ip === 'string' ? { ipv4: ip.includes('/') ? ip : `${ip}/8` } : undefined;
    };
    const addressA = addrOf(l.opts.params1);
    const addressB = addrOf(l.opts.params2);
    return {
      a: l.node1, b: l.node2, portA: l.port1, portB: l.port2, field,
      ...(shaping ? { aToB: shaping, bToA: shaping } : {}),
      ...(addressA ? { addressA } : {}),
      ...(addressB ? { addressB } : {}),
    };
  });
  const spec: TopologySpec = {
    name: o.name, origin: o.origin,
    addressing: { ipv4: MININET_IP_BASE, ipv6: 'fd8a:52c1:9e07::/48' },
    defaults: { dataplane: 'kernel', holdTime: 9, keepalive: 3, mtu: 1500 },
    nodes, links, style: 'mininet',
  };
  const built = buildTopology(spec, loc);
  const all = [...errors, ...built.errors];
  if (all.length > 0 || !built.topology) throw new TopologyValidationError(all);
  return built.topology;
}

/** mininet.util.ipAdd with ipBase 10.0.0.0/8. */
function ipAdd(i: number): string {
  const n = (0x0a000000 + i) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The JSON mininet-import.py prints. */
export interface MininetImport {
  readonly mininet: 'real' | 'stand-in';
  readonly hosts: readonly string[];
  readonly switches: readonly string[];
  readonly nodes: readonly { name: string; isSwitch: boolean; info: Record<string, unknown>; line: number }[];
  readonly links: readonly TopoLink[];
}

/** The helper beside this module, or — when compiled to dist/ — in the source tree above it. */
export function importHelperPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'mininet-import.py'), join(dir, 'lab', 'topology', 'mininet-import.py')]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  return fileURLToPath(new URL('./mininet-import.py', import.meta.url));
}

export interface MininetImportOptions {
  /** Interpreter; default /usr/bin/python3. */
  readonly python?: string;
  readonly timeoutMs?: number;
  /** Use the helper's stand-in Topo even when mininet is importable. */
  readonly standIn?: boolean;
}

/** Run the helper; `target` is [file, name, argsJson] or ['--builtin', topoString]. */
export async function runMininetImport(target: readonly string[], opts: MininetImportOptions = {}): Promise<MininetImport> {
  const file = target[0] === '--builtin' ? `mininet:${target[1]}` : target[0];
  const r = await execa(opts.python ?? SYSTEM_PYTHON, [importHelperPath(), ...target], {
    reject: false, timeout: opts.timeoutMs ?? 20_000, stdin: 'ignore',
    env: { PYTHONDONTWRITEBYTECODE: '1', ...(opts.standIn ? { MININET_IMPORT_STAND_IN: '1' } : {}) },
  });
  let out: unknown;
  try {
    out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    const why = r.timedOut ? 'timed out' : (r.stderr || r.stdout || `exit code ${String(r.exitCode)}`).trim().split('\n').slice(-3).join(' | ');
    throw new TopologyValidationError([{ file, line: 0, field: 'topo', message: `importing the Mininet topology failed: ${why}` }]);
  }
  const o = out as Partial<MininetImport> & { error?: string; line?: number };
  if (o.error !== undefined) throw new TopologyValidationError([{ file, line: o.line ?? 0, field: 'topo', message: o.error }]);
  return o as MininetImport;
}

/**
 * `lab up --custom file.py --topo NAME[,args]`: import a Mininet Python
 * topology (its `topos` dict) through /usr/bin/python3. String arguments are
 * read as mn reads them: "4" → 4, "n=4" → keyword n.
 */
export async function loadMininetCustom(
  file: string, topoName: string, args: readonly Arg[] = [],
  opts: MininetImportOptions & { kwargs?: Record<string, Arg>; name?: string } = {},
): Promise<Topology> {
  // As mn does (mininet.util.splitArgs): "4" is the number 4, "n=4" a keyword argument.
  const split = splitTopoString(['x', ...args.map(String)].join(','));
  const imported = await runMininetImport(
    [file, topoName, JSON.stringify({ args: split.args, kwargs: { ...split.kwargs, ...opts.kwargs } })], opts);
  return topologyFromImport(imported, { file, origin: `mininet-custom:${file}:${topoName}`, name: opts.name ?? defaultLabName(topoName) });
}

/** `--custom file.py --topo ring,5`: the topo string split as mn does. */
export function loadMininetCustomTopo(file: string, topoString: string, opts: MininetImportOptions & { name?: string } = {}): Promise<Topology> {
  const { name, args, kwargs } = splitTopoString(topoString);
  return loadMininetCustom(file, name, args, { ...opts, kwargs });
}

export function topologyFromImport(imp: MininetImport, o: { file: string; origin: string; name: string }): Topology {
  const g = new MininetTopo();
  for (const n of imp.nodes) {
    const { isSwitch: _s, ...info } = n.info;
    if (n.isSwitch) g.addSwitch(n.name, info, n.line); else g.addHost(n.name, info, n.line);
  }
  for (const l of imp.links) g.addLink(l.node1, l.node2, { ...l.opts, port1: l.port1, port2: l.port2, line: l.line });
  return topologyFromGraph(g, o);
}
