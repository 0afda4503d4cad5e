// TapWatch (src/dataplane/tap-watch.ts): which AF_XDP ports give way to a
// capture, from /proc/net/packet text as the kernel prints it.
import { describe, expect, it } from 'vitest';
import { TapWatch, tappedInterfaces, type BypassablePort } from '../../../src/dataplane/tap-watch.js';

const HEADER = 'sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n';
const line = (iface: number, inode: number) => `ffff8f0b0a3c4800 3      3    0003   ${iface}     1 0      0      ${inode}\n`;

class FakePort implements BypassablePort {
  bypass = false;
  calls = 0;
  constructor(readonly ifindex: number, readonly socketInode: number, readonly xdp = 'native') {}
  setXdpBypass(on: boolean): void {
    this.bypass = on;
    this.calls++;
  }
}

describe('tappedInterfaces', () => {
  it('lists the interfaces of sockets that are not ours; 0 for a socket on every interface', () => {
    expect([...tappedInterfaces(HEADER + line(2, 100) + line(3, 101) + line(3, 555), new Set([100, 101]))]).toEqual([3]);
    expect([...tappedInterfaces(HEADER + line(2, 100) + line(0, 777), new Set([100]))]).toEqual([0]);
    expect(tappedInterfaces(HEADER, new Set()).size).toBe(0);
    expect(tappedInterfaces('', new Set()).size).toBe(0);
  });
});

describe('TapWatch', () => {
  it('bypasses the tapped port only, restores it when the capture goes, and calls the port only on a change', () => {
    const a = new FakePort(2, 100), b = new FakePort(3, 101);
    let text = HEADER + line(2, 100) + line(3, 101);
    const w = new TapWatch(() => [a, b], () => text);
    expect(w.check()).toEqual([]);
    text += line(3, 900); // tcpdump -i <b's interface>
    expect(w.check()).toEqual([b]);
    expect(w.check()).toEqual([b]);
    expect([a.bypass, b.bypass, b.calls, a.calls]).toEqual([false, true, 1, 0]);
    text = HEADER + line(2, 100) + line(3, 101) + line(0, 901); // tcpdump -i any
    expect(new Set(w.check())).toEqual(new Set([a, b]));
    text = HEADER + line(2, 100) + line(3, 101);
    expect(w.check()).toEqual([]);
    expect([a.bypass, b.bypass]).toEqual([false, false]);
  });

  it('leaves ports without XDP alone; an unreadable file changes nothing', () => {
    const plain = new FakePort(2, 100, '');
    const x = new FakePort(3, 101);
    let fail = false;
    const w = new TapWatch(() => [plain, x], () => {
      if (fail) throw new Error('EACCES');
      return HEADER + line(0, 5);
    });
    expect(w.check()).toEqual([x]);
    expect(plain.calls).toBe(0);
    fail = true;
    expect(w.check()).toEqual([x]);
    expect(x.bypass).toBe(true);
  });
});
