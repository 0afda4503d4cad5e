/**
 * ROUTE-REFRESH (RFC 2918 §3) and KEEPALIVE (RFC 4271 §4.4).
 *
 * ROUTE-REFRESH body: AFI (2), subtype (1; RFC 7313: 0 request, 1 BoRR,
 * 2 EoRR), SAFI (1). A wrong length with subtype 1/2 is error 7/1 with the
 * whole message as data (RFC 7313 §5); otherwise 1/2.
 * Not supported: acting on enhanced route refresh markers (decoded only).
 */
import { bgpError } from './errors.js';
import { frame, HEADER_LEN } from './header.js';
import { ErrorCode, HeaderSubcode, MessageType, type BgpError, type KeepaliveMessage, type RouteRefreshMessage } from './types.js';
import { u16 } from './bytes.js';

export type RouteRefreshDecodeResult = { readonly ok: true; readonly message: RouteRefreshMessage } | { readonly ok: false; readonly error: BgpError };

export function decodeRouteRefresh(msg: Uint8Array): RouteRefreshDecodeResult {
  const o = HEADER_LEN;
  if (msg.length !== o + 4) {
    const subtype = msg.length > o + 2 ? msg[o + 2] : 0;
    if (subtype === 1 || subtype === 2) {
      return { ok: false, error: bgpError(ErrorCode.ROUTE_REFRESH, 1, 'session-reset', `ROUTE-REFRESH of ${msg.length} bytes`, msg.slice()) };
    }
    return { ok: false, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, 'session-reset', `ROUTE-REFRESH of ${msg.length} bytes`, msg.slice(16, 18)) };
  }
  const subtype = msg[o + 2];
  const message: RouteRefreshMessage = subtype === 0
    ? { type: 'route-refresh', afi: u16(msg, o), safi: msg[o + 3] }
    : { type: 'route-refresh', afi: u16(msg, o), safi: msg[o + 3], subtype };
  return { ok: true, message };
}

export function encodeRouteRefresh(m: RouteRefreshMessage): Uint8Array {
  return frame(MessageType.ROUTE_REFRESH, Uint8Array.of(m.afi >>> 8, m.afi & 0xff, m.subtype ?? 0, m.safi));
}

export const KEEPALIVE: KeepaliveMessage = { type: 'keepalive' };

export function encodeKeepalive(): Uint8Array {
  return frame(MessageType.KEEPALIVE, new Uint8Array(0));
}
