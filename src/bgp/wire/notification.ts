/**
 * NOTIFICATION (RFC 4271 §4.5) and the shutdown communication of RFC 8203 /
 * RFC 9003 (Cease subcodes 2 Administrative Shutdown and 4 Administrative
 * Reset: a length byte then up to 255 bytes of UTF-8).
 *
 * Owns: decode/encode, building the data of a shutdown communication
 * (truncated on a character boundary) and reading it back.
 * Not here: deciding when to send (fsm.ts).
 */
import { frame, HEADER_LEN } from './header.js';
import { CeaseSubcode, ErrorCode, MessageType, type NotificationMessage } from './types.js';

export const SHUTDOWN_COMMUNICATION_MAX = 255;

/** Decode one whole NOTIFICATION (header included); the splitter guarantees >= 21 bytes. */
export function decodeNotification(msg: Uint8Array): NotificationMessage {
  const code = msg.length > HEADER_LEN ? msg[HEADER_LEN] : 0;
  const subcode = msg.length > HEADER_LEN + 1 ? msg[HEADER_LEN + 1] : 0;
  return { type: 'notification', code, subcode, data: msg.slice(HEADER_LEN + 2) };
}

export function encodeNotification(n: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): Uint8Array {
  const data = n.data.subarray(0, 4096 - HEADER_LEN - 2);
  const body = new Uint8Array(2 + data.length);
  body[0] = n.code;
  body[1] = n.subcode;
  body.set(data, 2);
  return frame(MessageType.NOTIFICATION, body);
}

/** Data for Cease 6/2 or 6/4: length byte + UTF-8, cut to 255 bytes without splitting a character. */
export function shutdownCommunicationData(text: string): Uint8Array {
  let bytes = new TextEncoder().encode(text);
  if (bytes.length > SHUTDOWN_COMMUNICATION_MAX) {
    let cut = SHUTDOWN_COMMUNICATION_MAX;
    while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** A Cease NOTIFICATION with an optional shutdown communication. */
export function ceaseNotification(subcode: number, text?: string): NotificationMessage {
  const withText = text !== undefined && text !== '' && (subcode === CeaseSubcode.ADMIN_SHUTDOWN || subcode === CeaseSubcode.ADMIN_RESET);
  return { type: 'notification', code: ErrorCode.CEASE, subcode, data: withText ? shutdownCommunicationData(text) : new Uint8Array(0) };
}

/**
 * The shutdown communication in a Cease 6/2 or 6/4, or undefined when there
 * is none or it is malformed (length past the data, or invalid UTF-8).
 */
export function shutdownCommunication(n: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): string | undefined {
  if (n.code !== ErrorCode.CEASE || (n.subcode !== CeaseSubcode.ADMIN_SHUTDOWN && n.subcode !== CeaseSubcode.ADMIN_RESET)) return undefined;
  if (n.data.length < 1) return undefined;
  const len = n.data[0];
  if (len === 0 || 1 + len > n.data.length) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(n.data.subarray(1, 1 + len));
  } catch {
    return undefined;
  }
}
