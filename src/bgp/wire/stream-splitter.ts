/**
 * Turns the bytes of one TCP stream into complete BGP messages.
 *
 * Owns: buffering partial reads, header validation as soon as 19 bytes are
 * there (RFC 4271 §6.1), and stopping at the first header error — after it
 * the session is reset, so later bytes are ignored.
 * Holds at most one incomplete message plus the chunk that completes it;
 * complete messages in a chunk are cut from it without an extra copy.
 * Not here: decoding bodies (message.ts).
 */
import { checkHeader, HEADER_LEN } from './header.js';
import type { BgpError } from './types.js';

export type SplitItem =
  | { readonly kind: 'message'; readonly type: number; /** the whole message, header included (a copy) */ readonly frame: Uint8Array }
  | { readonly kind: 'error'; readonly error: BgpError; /** the type byte when it was read (a NOTIFICATION is never answered) */ readonly type?: number };

export class MessageSplitter {
  /** Bytes of an incomplete message; allocated on first need. */
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private failed = false;

  /** True after a header error: the stream is unusable. */
  get broken(): boolean {
    return this.failed;
  }

  /** Bytes buffered waiting for the rest of a message. */
  get pending(): number {
    return this.end - this.start;
  }

  /**
   * Feed a chunk; returns the messages (and at most one error, last) it
   * completes. When nothing is pending, frames are cut from the chunk itself
   * and only the incomplete tail is copied.
   */
  push(chunk: Uint8Array): SplitItem[] {
    const out: SplitItem[] = [];
    if (this.failed) return out;
    const direct = this.start === this.end;
    if (!direct) this.append(chunk);
    const data = direct ? chunk : this.buf;
    let o = direct ? 0 : this.start;
    const end = direct ? chunk.length : this.end;
    while (end - o >= HEADER_LEN) {
      const h = checkHeader(data, o);
      if (!h.ok) {
        this.failed = true;
        this.start = this.end = 0;
        out.push(h.type === undefined ? { kind: 'error', error: h.error } : { kind: 'error', error: h.error, type: h.type });
        return out;
      }
      if (end - o < h.length) break;
      out.push({ kind: 'message', type: h.type, frame: data.slice(o, o + h.length) });
      o += h.length;
    }
    if (direct) {
      this.start = this.end = 0;
      if (o < end) this.append(chunk.subarray(o));
    } else {
      this.start = o;
      if (this.start === this.end) this.start = this.end = 0;
    }
    return out;
  }

  private append(chunk: Uint8Array): void {
    const have = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (have + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(4096, this.buf.length * 2, have + chunk.length));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = have;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
