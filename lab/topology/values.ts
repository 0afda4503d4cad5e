/**
 * Scalar values of a topology file: names, AS numbers, link parameters,
 * addresses with lengths, prefix ranges and communities.
 *
 * Owns: the text forms a topology author writes ("20ms", "1%", "10mbit",
 * "192.0.2.0/24 le 32", "65000:100") and their checks. Every function is pure
 * and returns a result value; nothing here throws or knows about YAML lines.
 *
 * AS numbers per RFC 6793 (4-octet; 0 and AS_TRANS 23456 rejected); well-known
 * communities per RFC 1997, RFC 7999 (BLACKHOLE), RFC 8326 (GRACEFUL_SHUTDOWN),
 * RFC 3765 (NOPEER). Not supported: asdot AS notation, large/extended communities,
 * tc rate units in bytes (`kbps`).
 */
import { formatPrefix, parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../../src/lib/prefix.js';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

export const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
/** Linux IFNAMSIZ - 1. */
export const MAX_INTERFACE_NAME = 15;
export const AS_TRANS = 23456;

export function checkName(name: string): Result<string> {
  if (!NAME_PATTERN.test(name)) return fail(`'${name}' is not a valid name (lower-case letter, then lower-case letters, digits or '-')`);
  return ok(name);
}

export function checkAsn(value: unknown): Result<number> {
  if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`AS number must be an integer, got '${String(value)}'`);
  if (value < 1 || value > 4294967295) return fail(`AS number ${value} out of range 1..4294967295`);
  if (value === AS_TRANS) return fail(`AS number 23456 is AS_TRANS (RFC 6793) and cannot be a real AS`);
  return ok(value);
}

/** "20ms", "1.5ms", "100us", "1s", or a bare number of milliseconds. */
export function parseDuration(value: unknown): Result<number> {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return fail(`duration must be >= 0, got ${value}`);
    return ok(value);
  }
  if (typeof value !== 'string') return fail(`duration must look like '20ms', got '${String(value)}'`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s)\s*$/.exec(value);
  if (!m) return fail(`duration must look like '20ms', '1.5ms', '100us' or '1s', got '${value}'`);
  const n = Number(m[1]);
  const ms = m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
  if (ms > 60_000) return fail(`duration ${value} is over 60 s`);
  return ok(ms);
}

/** "1%", "0.5%", or a bare number of percent. */
export function parseLoss(value: unknown): Result<number> {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*%\s*$/.test(value)) n = Number(value.trim().slice(0, -1));
  else return fail(`loss must look like '1%' or '0.5%', got '${String(value)}'`);
  if (!Number.isFinite(n) || n < 0 || n > 100) return fail(`loss must be between 0% and 100%, got '${String(value)}'`);
  return ok(n);
}

const RATE_UNITS: Readonly<Record<string, number>> = { bit: 1e-6, kbit: 1e-3, mbit: 1, gbit: 1e3, tbit: 1e6 };

/** "10mbit", "500kbit", "1gbit", or a bare number of megabits per second (Mininet's bw). */
export function parseRate(value: unknown): Result<number> {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(value);
    const unit = m ? RATE_UNITS[m[2].toLowerCase()] : undefined;
    if (!m || unit === undefined) return fail(`rate must look like '10mbit', '500kbit' or '1gbit', got '${value}'`);
    n = Number(m[1]) * unit;
  } else return fail(`rate must look like '10mbit', got '${String(value)}'`);
  if (!Number.isFinite(n) || n <= 0) return fail(`rate must be above 0, got '${String(value)}'`);
  if (n > 100_000) return fail(`rate ${String(value)} is above 100gbit`);
  return ok(n);
}

export function checkMtu(value: unknown): Result<number> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 68 || value > 65535) {
    return fail(`mtu must be an integer between 68 and 65535, got '${String(value)}'`);
  }
  return ok(value);
}

/** An interface address: "10.0.0.1/24" (the prefix length is required). */
export interface AddressWithLength {
  readonly address: IpAddress;
  readonly subnet: IpPrefix;
  readonly text: string;
}

export function parseAddressWithLength(value: unknown, family?: 4 | 6): Result<AddressWithLength> {
  if (typeof value !== 'string') return fail(`address must be text like '10.0.0.1/24', got '${String(value)}'`);
  const slash = value.indexOf('/');
  if (slash < 0) return fail(`address '${value}' needs a prefix length, like '${value}/24'`);
  const addr = parseAddress(value.slice(0, slash));
  if (!addr.ok) return fail(addr.error);
  if (family !== undefined && addr.value.family !== family) return fail(`'${value}' is not an IPv${family} address`);
  const p = parsePrefix(value, { allowHostBits: true });
  if (!p.ok) return fail(p.error);
  return ok({ address: addr.value, subnet: p.value, text: value.trim() });
}

/** A plain host address, optionally written with /32 or /128. */
export function parseHostAddress(value: unknown): Result<IpAddress> {
  if (typeof value !== 'string') return fail(`address must be text, got '${String(value)}'`);
  const slash = value.indexOf('/');
  const a = parseAddress(slash < 0 ? value : value.slice(0, slash));
  if (!a.ok) return fail(a.error);
  if (slash >= 0) {
    const len = value.slice(slash + 1).trim();
    const full = a.value.family === 4 ? '32' : '128';
    if (len !== full) return fail(`'${value}' must be a single address (/${full})`);
  }
  return ok(a.value);
}

export function parsePrefixText(value: unknown): Result<IpPrefix> {
  if (typeof value !== 'string') return fail(`prefix must be text like '192.0.2.0/24', got '${String(value)}'`);
  const p = parsePrefix(value.trim());
  return p.ok ? ok(p.value) : fail(p.error);
}

/** "192.0.2.0/24", "192.0.2.0/24 le 32", "10.0.0.0/8 ge 16 le 24". */
export interface PrefixRange { readonly prefix: IpPrefix; readonly ge: number; readonly le: number }

export function parsePrefixRange(value: unknown): Result<PrefixRange> {
  if (typeof value !== 'string') return fail(`prefix must be text like '192.0.2.0/24 le 32', got '${String(value)}'`);
  const words = value.trim().split(/\s+/);
  const p = parsePrefixText(words[0]);
  if (!p.ok) return p;
  const max = p.value.family === 4 ? 32 : 128;
  let ge: number | undefined;
  let le: number | undefined;
  for (let i = 1; i < words.length; i += 2) {
    const kw = words[i];
    const n = words[i + 1];
    if ((kw !== 'ge' && kw !== 'le') || n === undefined || !/^\d{1,3}$/.test(n)) {
      return fail(`bad prefix range '${value}' (expected 'PREFIX [ge N] [le M]')`);
    }
    if (kw === 'ge') { if (ge !== undefined) return fail(`'ge' twice in '${value}'`); ge = Number(n); }
    else { if (le !== undefined) return fail(`'le' twice in '${value}'`); le = Number(n); }
  }
  const lo = ge ?? p.value.len;
  const hi = le ?? (ge !== undefined ? max : p.value.len);
  if (lo < p.value.len || hi > max || lo > hi) {
    return fail(`bad prefix range '${value}': need ${p.value.len} <= ge <= le <= ${max}`);
  }
  return ok({ prefix: p.value, ge: lo, le: hi });
}

export function formatPrefixRange(r: PrefixRange): string {
  const base = formatPrefix(r.prefix);
  if (r.ge === r.prefix.len && r.le === r.prefix.len) return base;
  if (r.ge === r.prefix.len) return `${base} le ${r.le}`;
  return `${base} ge ${r.ge} le ${r.le}`;
}

export const WELL_KNOWN_COMMUNITIES: ReadonlySet<string> = new Set([
  'no-export', 'no-advertise', 'no-export-subconfed', 'no-peer', 'blackhole', 'graceful-shutdown',
]);

/** "65000:100" (two 16-bit halves, RFC 1997) or a well-known name. */
export function checkCommunity(value: unknown): Result<string> {
  const text = typeof value === 'string' ? value.trim() : '';
  if (WELL_KNOWN_COMMUNITIES.has(text)) return ok(text);
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (m && Number(m[1]) <= 65535 && Number(m[2]) <= 65535) return ok(`${Number(m[1])}:${Number(m[2])}`);
  return fail(`community must be 'ASN:VALUE' (each 0..65535) or one of ${[...WELL_KNOWN_COMMUNITIES].join(', ')}; got '${String(value)}'`);
}

export function checkUint32(value: unknown, what: string): Result<number> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 4294967295) {
    return fail(`${what} must be an integer between 0 and 4294967295, got '${String(value)}'`);
  }
  return ok(value);
}

/** BGP hold time: 0 or 3..65535 seconds (RFC 4271 §4.2). */
export function checkHoldTime(value: unknown): Result<number> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value === 1 || value === 2 || value < 0 || value > 65535) {
    return fail(`hold time must be 0 or 3..65535 seconds, got '${String(value)}'`);
  }
  return ok(value);
}

export function checkRouterId(value: unknown): Result<string> {
  const a = typeof value === 'string' ? parseAddress(value) : undefined;
  if (!a || !a.ok || a.value.family !== 4) return fail(`router-id must be a dotted quad like 10.0.0.1, got '${String(value)}'`);
  if (a.value.bytes.every((b) => b === 0)) return fail(`router-id 0.0.0.0 is not allowed`);
  return ok(value as string);
}
