/**
 * Route changes on their way from the router's thread to the data-plane
 * thread (dataplane-thread.ts → worker-main.ts): a batch of RouteChange
 * records packed into one transferable ArrayBuffer, so that posting 100,000
 * changes costs one buffer transfer instead of a structured clone of
 * 100,000 objects, and the receiving thread decodes them a chunk at a time.
 *
 * Layout of one record (network byte order where it matters):
 *
 *   u8 action (0 add, 1 replace, 2 remove) | u8 source (0 connected,
 *   1 static, 2 bgp) | u8 family (4|6) | u8 prefix length |
 *   u32 next-hop set id | 4 or 16 address bytes
 *
 * Next-hop sets (the `nextHops` arrays) are interned by the encoder: each
 * distinct set gets an id once, sent with the first batch that uses it
 * (`BatchMessage.hopSets`) and remembered by the decoder. The router already
 * shares one array between the many prefixes of one BGP next hop, so the
 * set table stays small.
 *
 * Not here: applying the changes (worker-main.ts), posting (dataplane-thread.ts).
 */
import type { NextHop, RouteChange, RouteSource } from '../router/route-table.js';

const ACTIONS = ['add', 'replace', 'remove'] as const;
const SOURCES: readonly RouteSource[] = ['connected', 'static', 'bgp'];
const HEADER = 8;

/**
 * One change as the data-plane thread applies it, read in place
 * (RouteBatchDecoder.read fills a caller's object: no allocation per change).
 */
export interface RawRouteChange {
  remove: boolean;
  family: 4 | 6;
  len: number;
  /** The next-hop set's id (see BatchMessage.hopSets). */
  hopSet: number;
  /** The address as unsigned 32-bit words, most significant first (IPv4: w0 only). */
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/** One message's worth of changes. */
export interface BatchMessage {
  readonly buffer: ArrayBuffer;
  /** Bytes of `buffer` in use. */
  readonly length: number;
  readonly count: number;
  /** Next-hop sets first used in this batch: [id, set]. */
  readonly hopSets: ReadonlyArray<readonly [number, readonly NextHop[]]>;
}

export class RouteBatchEncoder {
  private readonly byArray = new WeakMap<readonly NextHop[], number>();
  private readonly byText = new Map<string, number>();
  private newSets: Array<[number, readonly NextHop[]]> = [];
  private bytes = new Uint8Array(4096);
  private view = new DataView(this.bytes.buffer);
  private used = 0;
  private count = 0;

  get pending(): number {
    return this.count;
  }

  add(change: RouteChange): void {
    const p = change.route.prefix;
    const need = HEADER + p.bytes.length;
    if (this.used + need > this.bytes.length) this.grow(need);
    const at = this.used;
    this.bytes[at] = ACTIONS.indexOf(change.action);
    this.bytes[at + 1] = SOURCES.indexOf(change.route.source);
    this.bytes[at + 2] = p.family;
    this.bytes[at + 3] = p.len;
    this.view.setUint32(at + 4, this.hopSetId(change.route.nextHops));
    this.bytes.set(p.bytes, at + HEADER);
    this.used += need;
    this.count += 1;
  }

  /** The batch so far (its buffer to be transferred), and a fresh one begun. */
  take(): BatchMessage {
    const msg: BatchMessage = { buffer: this.bytes.buffer, length: this.used, count: this.count, hopSets: this.newSets };
    this.bytes = new Uint8Array(Math.max(4096, Math.min(this.bytes.length, 1 << 20)));
    this.view = new DataView(this.bytes.buffer);
    this.used = 0;
    this.count = 0;
    this.newSets = [];
    return msg;
  }

  private grow(need: number): void {
    let size = this.bytes.length * 2;
    while (size < this.used + need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.used));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  private hopSetId(hops: readonly NextHop[]): number {
    const known = this.byArray.get(hops);
    if (known !== undefined) return known;
    const text = hops.map((h) => `${h.via ?? ''}%${h.interface}`).join(',');
    let id = this.byText.get(text);
    if (id === undefined) {
      id = this.byText.size;
      this.byText.set(text, id);
      this.newSets.push([id, hops.map((h) => (h.via === undefined ? { interface: h.interface } : { via: h.via, interface: h.interface }))]);
    }
    this.byArray.set(hops, id);
    return id;
  }
}

/**
 * Reads batches in order: `read()` fills a RawRouteChange in place (the
 * data-plane thread), `next()` builds a RouteChange (tests, tools).
 */
export class RouteBatchDecoder {
  private readonly sets = new Map<number, readonly NextHop[]>();
  private readonly queue: BatchMessage[] = [];
  private bytes: Uint8Array | undefined;
  private view: DataView | undefined;
  private end = 0;
  private at = 0;
  private queued = 0;

  /** Changes received and not yet handed out. */
  get pending(): number {
    return this.queued;
  }

  push(msg: BatchMessage): void {
    // Sets are registered at once: a later batch may use them before this one is read.
    for (const [id, set] of msg.hopSets) this.sets.set(id, set);
    this.queue.push(msg);
    this.queued += msg.count;
  }

  /** Moves to the next batch when this one is read; false when none is left. */
  private more(): boolean {
    while (!this.bytes || this.at >= this.end) {
      const msg = this.queue.shift();
      if (!msg) {
        this.bytes = undefined;
        return false;
      }
      this.bytes = new Uint8Array(msg.buffer, 0, msg.length);
      this.view = new DataView(msg.buffer, 0, msg.length);
      this.at = 0;
      this.end = msg.length;
    }
    return true;
  }

  /** Fills `out` with the next change; false when every batch has been read. */
  read(out: RawRouteChange): boolean {
    if (!this.more()) return false;
    const b = this.bytes!;
    const v = this.view!;
    const at = this.at;
    const family = b[at + 2];
    const n = family === 4 ? 4 : 16;
    if (b[at] > 2 || (family !== 4 && family !== 6) || at + HEADER + n > this.end) throw new Error(`route batch: malformed record at byte ${at}`);
    out.remove = b[at] === 2;
    out.family = family;
    out.len = b[at + 3];
    out.hopSet = v.getUint32(at + 4);
    out.w0 = v.getUint32(at + HEADER);
    if (family === 6) {
      out.w1 = v.getUint32(at + HEADER + 4);
      out.w2 = v.getUint32(at + HEADER + 8);
      out.w3 = v.getUint32(at + HEADER + 12);
    } else {
      out.w1 = out.w2 = out.w3 = 0;
    }
    this.at = at + HEADER + n;
    this.queued -= 1;
    return true;
  }

  /** The next change, or undefined when every batch has been read. */
  next(): RouteChange | undefined {
    if (!this.more()) return undefined;
    const b = this.bytes!;
    const at = this.at;
    const family = b[at + 2] as 4 | 6;
    const n = family === 4 ? 4 : 16;
    const nextHops = this.sets.get(this.view!.getUint32(at + 4));
    const action = ACTIONS[b[at]];
    const source = SOURCES[b[at + 1]];
    if (!nextHops || !action || !source || (family !== 4 && family !== 6) || at + HEADER + n > this.end) {
      throw new Error(`route batch: malformed record at byte ${at}`);
    }
    this.at = at + HEADER + n;
    this.queued -= 1;
    const route = { prefix: { family, bytes: b.slice(at + HEADER, at + HEADER + n), len: b[at + 3] }, source, nextHops };
    return { action, route };
  }
}
