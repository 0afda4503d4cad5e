/**
 * Turns the bytes of one TCP stream into complete BGP messages.
 *
 * Owns: buffering partial reads, header validation as soon as 19 bytes are
 * there (RFC 4271 §6.1), and stopping at the first header error — after it
 * the session is reset, so later bytes are ignored.
 * Holds at most one message (4096 bytes) plus the last chunk.
 * Not here: decoding bodies (message.ts).
 */
import { checkHeader, HEADER_LEN } from './header.js';
import type { BgpError } from './types.js';

export type SplitItem =
  | { readonly kind: 'message'; readonly type: number; /** the whole message, header included (a copy) */ readonly frame: Uint8Array }
  | { readonly kind: 'error'; readonly error: BgpError; /** the type byte when it was read (a NOTIFICATION is never answered) */ readonly type?: number };

export class MessageSplitter {
  private buf = new Uint8Array(8192);
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

  /** Feed a chunk; returns the messages (and at most one error, last) it completes. */
  push(chunk: Uint8Array): SplitItem[] {
    const out: SplitItem[] = [];
    if (this.failed) return out;
    this.append(chunk);
    while (this.end - this.start >= HEADER_LEN) {
      const h = checkHeader(this.buf, this.start);
      if (!h.ok) {
        this.failed = true;
        this.start = this.end = 0;
        out.push(h.type === undefined ? { kind: 'error', error: h.error } : { kind: 'error', error: h.error, type: h.type });
        return out;
      }
      if (this.end - this.start < h.length) break;
      out.push({ kind: 'message', type: h.type, frame: this.buf.slice(this.start, this.start + h.length) });
      this.start += h.length;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  private append(chunk: Uint8Array): void {
    const have = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (have + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(this.buf.length * 2, have + chunk.length));
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
