/**
 * One entry point per direction for whole BGP messages: `decodeMessage`
 * dispatches a frame from the stream splitter to the body decoder of its
 * type; `encodeMessage` does the reverse. Never throws on received bytes.
 */
import { checkHeader } from './header.js';
import { decodeNotification, encodeNotification } from './notification.js';
import { decodeOpen, encodeOpen } from './open.js';
import { decodeRouteRefresh, encodeKeepalive, encodeRouteRefresh, KEEPALIVE } from './route-refresh.js';
import { decodeUpdate, encodeUpdate, type UpdateDecodeResult } from './update.js';
import {
  MessageType,
  type BgpError, type BgpMessage, type CodecContext, type KeepaliveMessage, type NotificationMessage, type OpenMessage, type RouteRefreshMessage,
} from './types.js';

export type DecodedMessage =
  | { readonly kind: 'open'; readonly message: OpenMessage }
  | { readonly kind: 'update'; readonly result: UpdateDecodeResult }
  | { readonly kind: 'notification'; readonly message: NotificationMessage }
  | { readonly kind: 'keepalive'; readonly message: KeepaliveMessage }
  | { readonly kind: 'route-refresh'; readonly message: RouteRefreshMessage }
  /** A message that could not be decoded at all; `type` is its type byte when known. */
  | { readonly kind: 'error'; readonly error: BgpError; readonly type?: number };

/** Decode a whole message (header included), validating the header again. */
export function decodeMessage(msg: Uint8Array, ctx: CodecContext): DecodedMessage {
  if (msg.length < 19) {
    return { kind: 'error', error: { code: 1, subcode: 2, data: msg.slice(16, 18), action: 'session-reset', reason: `message of ${msg.length} bytes` } };
  }
  const h = checkHeader(msg, 0);
  if (!h.ok) return h.type === undefined ? { kind: 'error', error: h.error } : { kind: 'error', error: h.error, type: h.type };
  if (h.length !== msg.length) {
    return { kind: 'error', type: h.type, error: { code: 1, subcode: 2, data: msg.slice(16, 18), action: 'session-reset', reason: `length field ${h.length} but ${msg.length} bytes` } };
  }
  switch (h.type) {
    case MessageType.OPEN: {
      const r = decodeOpen(msg);
      return r.ok ? { kind: 'open', message: r.open } : { kind: 'error', error: r.error, type: h.type };
    }
    case MessageType.UPDATE:
      return { kind: 'update', result: decodeUpdate(msg, ctx) };
    case MessageType.NOTIFICATION:
      return { kind: 'notification', message: decodeNotification(msg) };
    case MessageType.KEEPALIVE:
      return { kind: 'keepalive', message: KEEPALIVE };
    case MessageType.ROUTE_REFRESH: {
      const r = decodeRouteRefresh(msg);
      return r.ok ? { kind: 'route-refresh', message: r.message } : { kind: 'error', error: r.error, type: h.type };
    }
    default:
      // checkHeader accepts only the five types above.
      return { kind: 'error', type: h.type, error: { code: 1, subcode: 3, data: Uint8Array.of(h.type), action: 'session-reset', reason: `type ${h.type}` } };
  }
}

export function encodeMessage(m: BgpMessage, ctx: CodecContext): Uint8Array {
  switch (m.type) {
    case 'open': return encodeOpen(m);
    case 'update': return encodeUpdate(m, ctx);
    case 'notification': return encodeNotification(m);
    case 'keepalive': return encodeKeepalive();
    case 'route-refresh': return encodeRouteRefresh(m);
  }
}
