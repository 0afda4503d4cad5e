/**
 * The whoami probe protocol: one UDP datagram each way, JSON text, small
 * enough for any MTU. The lab's own protocol (no RFC).
 *
 *   request: {"t":"whoami","seq":17,"id":"client"}        (also "flood" for load tests)
 *   reply:   {"t":"whoami","seq":17,"id":"client","server":"b","seen":"10.0.0.0","port":40000}
 *
 * The reply is sent from the anycast address the request arrived on, so a
 * client sees exactly which address answered and `server` says which site.
 * Parsers never throw: they return undefined for anything that is not a
 * well-formed message. Not supported: anything but these two shapes.
 */

export const WHOAMI_PORT = 7777;
/** Requests larger than this are not probes. */
export const MAX_WHOAMI_BYTES = 512;

export type WhoamiKind = 'whoami' | 'flood';

export interface WhoamiRequest {
  readonly t: WhoamiKind;
  readonly seq: number;
  readonly id: string;
}

export interface WhoamiReply {
  readonly t: 'whoami';
  readonly seq: number;
  readonly id: string;
  readonly server: string;
  readonly seen: string;
  readonly port: number;
}

export function emitWhoamiRequest(r: WhoamiRequest): Buffer {
  return Buffer.from(JSON.stringify({ t: r.t, seq: r.seq, id: r.id }));
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  if (bytes.length === 0 || bytes.length > MAX_WHOAMI_BYTES || bytes[0] !== 0x7b /* { */) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length <= 64;

export function parseWhoamiRequest(bytes: Uint8Array): WhoamiRequest | undefined {
  const o = parseJsonObject(bytes);
  if (!o || (o.t !== 'whoami' && o.t !== 'flood') || !isSeq(o.seq)) return undefined;
  return { t: o.t, seq: o.seq, id: isId(o.id) ? o.id : '' };
}

export function emitWhoamiReply(r: WhoamiReply): Buffer {
  return Buffer.from(JSON.stringify(r));
}

export function parseWhoamiReply(bytes: Uint8Array): WhoamiReply | undefined {
  const o = parseJsonObject(bytes);
  if (!o || o.t !== 'whoami' || !isSeq(o.seq) || typeof o.server !== 'string' || typeof o.seen !== 'string') return undefined;
  return { t: 'whoami', seq: o.seq, id: isId(o.id) ? o.id : '', server: o.server, seen: o.seen, port: typeof o.port === 'number' ? o.port : 0 };
}
