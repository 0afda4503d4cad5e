/**
 * The BGP message header (RFC 4271 §4.1) and its errors (§6.1): 16-byte
 * marker of all ones, 2-byte length (19..4096), 1-byte type.
 *
 * Owns: header validation on the first 19 bytes (so an error is found
 * before the body arrives), per-type length bounds, and framing a body.
 * Not here: the body decoders, the stream splitter (stream-splitter.ts).
 * Not supported: RFC 8654 extended messages (> 4096 bytes).
 */
import { bgpError } from './errors.js';
import { u16 } from './bytes.js';
import { ErrorCode, HeaderSubcode, MessageType, type BgpError } from './types.js';

export const HEADER_LEN = 19;
export const MAX_MESSAGE_LEN = 4096;
export const MARKER_LEN = 16;

/** Length bounds per message type: [min, max] including the header. */
export const MESSAGE_LENGTH_BOUNDS: Readonly<Record<number, readonly [number, number]>> = {
  [MessageType.OPEN]: [29, MAX_MESSAGE_LEN],
  [MessageType.UPDATE]: [23, MAX_MESSAGE_LEN],
  [MessageType.NOTIFICATION]: [21, MAX_MESSAGE_LEN],
  [MessageType.KEEPALIVE]: [19, 19],
  // RFC 2918: exactly 4 bytes of body; RFC 7313 subtypes are checked in the decoder.
  [MessageType.ROUTE_REFRESH]: [23, MAX_MESSAGE_LEN],
};

export type HeaderResult =
  | { readonly ok: true; readonly type: number; readonly length: number }
  | { readonly ok: false; readonly error: BgpError; readonly type?: number };

/**
 * Validate the 19-byte header at `offset` (the caller guarantees 19 bytes are there).
 * Order as RFC 4271 §6.1: marker, length, type, length for the type.
 */
export function checkHeader(b: Uint8Array, offset = 0): HeaderResult {
  for (let i = 0; i < MARKER_LEN; i++) {
    if (b[offset + i] !== 0xff) {
      return { ok: false, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, 'session-reset', 'marker is not all ones') };
    }
  }
  const length = u16(b, offset + 16);
  const type = b[offset + 18];
  const lengthField = b.slice(offset + 16, offset + 18);
  if (length < HEADER_LEN || length > MAX_MESSAGE_LEN) {
    return { ok: false, type, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, 'session-reset', `message length ${length} outside 19..4096`, lengthField) };
  }
  const bounds = MESSAGE_LENGTH_BOUNDS[type];
  if (bounds === undefined) {
    return { ok: false, type, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, 'session-reset', `unknown message type ${type}`, Uint8Array.of(type)) };
  }
  if (length < bounds[0] || length > bounds[1]) {
    return { ok: false, type, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, 'session-reset', `length ${length} wrong for message type ${type}`, lengthField) };
  }
  return { ok: true, type, length };
}

/** Prefix `body` with a header. The caller keeps the total within 4096 bytes. */
export function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_LEN + body.length);
  out.fill(0xff, 0, MARKER_LEN);
  out[16] = (out.length >>> 8) & 0xff;
  out[17] = out.length & 0xff;
  out[18] = type;
  out.set(body, HEADER_LEN);
  return out;
}
