// MemoryFrameIo: in-process wires behave like a veth pair seen through AF_PACKET.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameFlag, PacketType, type FrameBatch, type FramePort } from '../../../src/dataplane/frame-io.js';
import { MemoryFrameIo, MemoryNetwork, parseMac } from '../../../src/dataplane/memory-frame-io.js';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

interface Received {
  bytes: number[];
  pktType: number;
  flags: number;
  wireLength: number;
  csumStart: number;
  csumOffset: number;
}

function setup(options: { mtuA?: number; mtuB?: number; queueFrames?: number } = {}) {
  const net = new MemoryNetwork({ queueFrames: options.queueFrames });
  net.link({ name: 'a-eth0', mac: MAC_A, mtu: options.mtuA }, { name: 'b-eth0', mac: MAC_B, mtu: options.mtuB });
  const ioA = new MemoryFrameIo(net);
  const ioB = new MemoryFrameIo(net);
  const a = ioA.open('a-eth0');
  const b = ioB.open('b-eth0');
  return { net, ioA, ioB, a, b };
}

function collect(port: FramePort): { frames: Received[]; batches: number[] } {
  const frames: Received[] = [];
  const batches: number[] = [];
  port.onFrames((batch: FrameBatch) => {
    batches.push(batch.count);
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offsets[i];
      frames.push({
        bytes: [...batch.buffer.subarray(off, off + batch.lengths[i])],
        pktType: batch.pktType[i],
        flags: batch.flags[i],
        wireLength: batch.wireLengths[i],
        csumStart: batch.csumStart[i],
        csumOffset: batch.csumOffset[i],
      });
    }
  });
  return { frames, batches };
}

/** An Ethernet frame: dst, src, EtherType 0x88b5 (IEEE 802 local experimental), payload. */
function frame(dst: string | Uint8Array, src: string, payload: number[] | Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(parseMac(dst), 0);
  f.set(parseMac(src), 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  f.set(payload, 14);
  return f;
}

describe('MemoryFrameIo', () => {
  it('delivers a frame byte for byte to the other end, typed PACKET_HOST', async () => {
    const { net, a, b } = setup();
    const rx = collect(b);
    const f = frame(MAC_B, MAC_A, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46]);
    expect(a.send(f)).toBe(true);
    await net.settle();
    expect(rx.frames).toHaveLength(1);
    expect(rx.frames[0].bytes).toEqual([...f]);
    expect(rx.frames[0].pktType).toBe(PacketType.host);
    expect(rx.frames[0].wireLength).toBe(f.length);
    expect(rx.frames[0].flags).toBe(0);
    expect(a.counters()).toMatchObject({ txFrames: 1, txBytes: f.length, txBatches: 1, txErrors: 0 });
    expect(b.counters()).toMatchObject({ rxFrames: 1, rxBytes: f.length, rxBatches: 1, kernelPackets: 1, kernelDrops: 0 });
  });

  it('types frames by destination MAC as eth_type_trans does', async () => {
    const { net, a, b } = setup();
    const rx = collect(b);
    const dsts = ['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:05', '33:33:00:00:00:01', '02:00:00:00:00:99', MAC_B, 'ff:ff:ff:ff:ff:fe'];
    for (const d of dsts) a.send(frame(d, MAC_A, new Uint8Array(46)));
    await net.settle();
    expect(rx.frames.map((f) => f.pktType)).toEqual([
      PacketType.broadcast,
      PacketType.multicast,
      PacketType.multicast,
      PacketType.otherHost,
      PacketType.host,
      PacketType.multicast,
    ]);
  });

  it('sends a burst in batches of txSlots and receives it in batches of slots, in order', async () => {
    const { net, a, b } = setup();
    const rx = collect(b);
    for (let i = 0; i < 150; i++) a.send(frame(MAC_B, MAC_A, [i >> 8, i & 0xff, ...new Array(44).fill(0)]));
    await net.settle();
    expect(rx.frames.map((f) => (f.bytes[14] << 8) | f.bytes[15])).toEqual([...Array(150).keys()]);
    expect(a.counters().txBatches).toBe(3); // 64 + 64 + 22
    expect(Math.max(...rx.batches)).toBeLessThanOrEqual(64);
    expect(rx.batches.reduce((x, y) => x + y, 0)).toBe(150);
    expect(b.counters().rxFrames).toBe(150);
  });

  it('flushes frames sent from a handler at the end of the tick (echo)', async () => {
    const { net, a, b } = setup();
    b.onFrames((batch, port) => {
      for (let i = 0; i < batch.count; i++) {
        const off = batch.offsets[i];
        const f = batch.buffer.slice(off, off + batch.lengths[i]);
        f.set(parseMac(MAC_A), 0);
        f.set(port.mac, 6);
        port.send(f);
      }
    });
    const rx = collect(a);
    for (let i = 0; i < 10; i++) a.send(frame(MAC_B, MAC_A, [i, ...new Array(45).fill(7)]));
    await net.settle();
    expect(rx.frames.map((f) => f.bytes[14])).toEqual([...Array(10).keys()]);
    expect(rx.frames.every((f) => f.pktType === PacketType.host)).toBe(true);
    expect(b.counters().txFrames).toBe(10);
  });

  it('sends only the first `length` bytes', async () => {
    const { net, a, b } = setup();
    const rx = collect(b);
    const f = frame(MAC_B, MAC_A, new Uint8Array(100).fill(9));
    a.send(f, 60);
    await net.settle();
    expect(rx.frames[0].bytes).toEqual([...f.subarray(0, 60)]);
  });

  it('sends a slice of a larger buffer by (buffer, length, offset) and refuses out-of-bounds slices', async () => {
    const { net, a, b } = setup();
    const rx = collect(b);
    const f = frame(MAC_B, MAC_A, new Uint8Array(46).fill(5));
    const big = new Uint8Array(300);
    big.set(f, 200);
    expect(a.send(big, f.length, 200)).toBe(true);
    expect(a.send(big, 60, 250)).toBe(false);
    expect(a.send(big, 60, -1)).toBe(false);
    await net.settle();
    expect(rx.frames.map((r) => r.bytes)).toEqual([[...f]]);
    expect(a.counters().txDropped).toBe(2);
  });

  it('refuses frames longer than the MTU at the sender and loses them at a smaller-MTU receiver', async () => {
    const { net, a, b } = setup({ mtuA: 1500, mtuB: 1400 });
    const rx = collect(b);
    a.send(frame(MAC_B, MAC_A, new Uint8Array(1501))); // 1515 > 1500 + 14: EMSGSIZE
    a.send(frame(MAC_B, MAC_A, new Uint8Array(1450))); // fits A, too long for B (1400 + 18)
    a.send(frame(MAC_B, MAC_A, new Uint8Array(1400))); // fits both
    await net.settle();
    expect(a.counters().txErrors).toBe(1);
    expect(net.lost).toBe(1);
    expect(rx.frames.map((f) => f.bytes.length)).toEqual([1414]);
  });

  it('counts kernel drops when the receive queue is full, and drains the rest once a handler is set', async () => {
    const { net, a, b } = setup({ queueFrames: 100 });
    for (let i = 0; i < 130; i++) a.send(frame(MAC_B, MAC_A, new Uint8Array(46)));
    await net.settle(); // nothing delivered: no handler yet
    expect(b.counters()).toMatchObject({ kernelPackets: 130, kernelDrops: 30, rxFrames: 0 });
    const rx = collect(b);
    await net.settle();
    expect(rx.frames).toHaveLength(100);
  });

  it('reports injected offload metadata and truncates frames longer than a slot', async () => {
    const { net, b } = setup({ mtuB: 1500 });
    const rx = collect(b);
    const udp = frame(MAC_B, MAC_A, new Uint8Array(60));
    net.inject('b-eth0', udp, { flags: FrameFlag.csumNotReady, csumStart: 34, csumOffset: 6 });
    const jumbo = frame(MAC_B, MAC_A, new Uint8Array(9000));
    net.inject('b-eth0', jumbo);
    await net.settle();
    expect(rx.frames[0]).toMatchObject({ flags: FrameFlag.csumNotReady, csumStart: 34, csumOffset: 6 });
    expect(rx.frames[1].flags & FrameFlag.truncated).toBe(FrameFlag.truncated);
    expect(rx.frames[1].wireLength).toBe(9014);
    expect(rx.frames[1].bytes.length).toBeLessThan(9014);
    expect(rx.frames[1].bytes.length).toBeGreaterThanOrEqual(1518);
    expect(b.counters().rxTruncated).toBe(1);
  });

  it('after close: send is refused and counted, frames to it are lost, the name can be opened again', async () => {
    const { net, ioB, a, b } = setup();
    b.close();
    b.close();
    expect(b.send(frame(MAC_A, MAC_B, new Uint8Array(46)))).toBe(false);
    expect(b.counters().txDropped).toBe(1);
    expect(ioB.port('b-eth0')).toBeUndefined();
    a.send(frame(MAC_B, MAC_A, new Uint8Array(46)));
    await net.settle();
    expect(net.lost).toBe(1);
    const again = ioB.open('b-eth0');
    expect(again).not.toBe(b);
    expect(again.ifindex).toBe(b.ifindex);
    expect(() => new MemoryFrameIo(net).open('b-eth0')).toThrow(/already open/);
    expect(() => ioB.open('nope0')).toThrow(/no such interface/);
  });

  it('settle() gives up on a frame loop instead of hanging', async () => {
    const { net, a, b } = setup();
    const bounce = (batch: FrameBatch, port: FramePort) => {
      for (let i = 0; i < batch.count; i++) port.send(batch.buffer.subarray(batch.offsets[i], batch.offsets[i] + batch.lengths[i]));
    };
    a.onFrames(bounce);
    b.onFrames(bounce);
    a.send(frame(MAC_B, MAC_A, new Uint8Array(46)));
    await expect(net.settle(50)).rejects.toThrow(/did not settle/);
    a.close();
    b.close();
  });

  it('property: any sequence of frames arrives unchanged and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 14, maxLength: 1514 }), { maxLength: 200 }), async (frames) => {
        const { net, a, b } = setup();
        const rx = collect(b);
        for (const f of frames) expect(a.send(f)).toBe(true);
        await net.settle();
        expect(rx.frames.map((r) => Buffer.from(r.bytes).toString('hex'))).toEqual(frames.map((f) => Buffer.from(f).toString('hex')));
        expect(b.counters().rxFrames).toBe(frames.length);
      }),
      { numRuns: 40 },
    );
  });
});
