/**
 * Frame I/O benchmark (root): 64-byte frames one way between two namespaces
 * over a veth pair (offloads off), from a sendmmsg generator built on the
 * addon, in two phases of the same run:
 *
 *   kernel: nobody reads the frames; the receiving interface's rx_packets
 *           counts what the kernel delivered (the generator's ceiling);
 *   recvmmsg, ring: a LinuxFrameIo port in the receiving namespace (its own
 *           process) drains every frame, first with recvmmsg, then through a
 *           TPACKET_V2 ring; we count frames seen, drops and the receiver's
 *           CPU time per frame.
 *
 * Prints frames/s for each and ratios between them, the only figures that
 * mean anything on a shared machine.
 *
 *   node dist/bench/frame-io.js [--quick]        (orchestrator)
 *   internal roles: `generate DEV NS SECONDS`, `receive DEV NS SECONDS RINGFRAMES`
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { LinuxFrameIo } from '../src/dataplane/linux-frame-io.js';

const self = fileURLToPath(import.meta.url);

function frame64(dst: Uint8Array, src: Uint8Array, seq: number): Uint8Array {
  const f = new Uint8Array(60); // 64 on the wire with the FCS
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5; // IEEE 802 local experimental EtherType
  new DataView(f.buffer).setUint32(14, seq);
  return f;
}

async function generate(dev: string, ns: string, seconds: number): Promise<void> {
  const io = new LinuxFrameIo({ netns: `/run/netns/${ns}` });
  const port = io.open(dev, { txSlots: 256 });
  const dst = Uint8Array.from([0x02, 0, 0, 0, 0xbe, 0xef]);
  const frames = Array.from({ length: 256 }, (_, i) => frame64(dst, port.mac, i));
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (const f of frames) port.send(f);
    port.flush();
  }
  const c = port.counters();
  io.close();
  process.stdout.write(JSON.stringify({ sent: c.txFrames, dropped: c.txDropped, errors: c.txErrors }) + '\n');
}

async function receive(dev: string, ns: string, seconds: number, ringFrames: number): Promise<void> {
  const io = new LinuxFrameIo({ netns: `/run/netns/${ns}` });
  const port = io.open(dev, { slots: 256, ringFrames });
  let frames = 0;
  port.onFrames((b) => {
    frames += b.count;
  });
  process.stdout.write('ready\n');
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const c = port.counters();
  io.close();
  process.stdout.write(
    JSON.stringify({ frames, kernelDrops: c.kernelDrops, batches: c.rxBatches, cpuUs: cpu.user + cpu.system }) + '\n',
  );
}

async function rxPackets(ns: string, dev: string): Promise<number> {
  const { stdout } = await execa('ip', ['-n', ns, '-s', '-json', 'link', 'show', 'dev', dev]);
  return JSON.parse(stdout)[0].stats64.rx.packets as number;
}

async function orchestrate(quick: boolean): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench frame-io: needs root (network namespaces)\n');
    return 1;
  }
  const seconds = quick ? 1 : 5;
  const id = randomBytes(3).toString('hex');
  const nsA = `fio-bench-${id}-a`;
  const nsB = `fio-bench-${id}-b`;
  const devA = 'fbga0';
  const devB = 'fbgb0';
  const made: string[] = [];
  try {
    for (const ns of [nsA, nsB]) {
      await execa('ip', ['netns', 'add', ns]);
      made.push(ns);
      await execa('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    await execa('ip', ['-n', nsA, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', nsB]);
    for (const [ns, dev] of [[nsA, devA], [nsB, devB]] as const) {
      await execa('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      await execa('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    const node = process.execPath;

    // Phase 1: the kernel alone.
    const k0 = await rxPackets(nsB, devB);
    const gen1 = JSON.parse((await execa(node, [self, 'generate', devA, nsA, String(seconds)])).stdout);
    const kernelFrames = (await rxPackets(nsB, devB)) - k0;

    // Phases 2 and 3: the addon drains every frame in its own process (recvmmsg, then the ring).
    const withReader = async (ringFrames: number) => {
      const rx = execa(node, [self, 'receive', devB, nsB, String(seconds + 1), String(ringFrames)]);
      await new Promise<void>((resolve, reject) => {
        rx.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        });
        rx.catch(reject);
      });
      const a0 = await rxPackets(nsB, devB);
      const gen = JSON.parse((await execa(node, [self, 'generate', devA, nsA, String(seconds)])).stdout);
      const delivered = (await rxPackets(nsB, devB)) - a0;
      const lines = (await rx).stdout.trim().split('\n');
      const res = JSON.parse(lines[lines.length - 1]);
      return {
        generated: gen.sent as number,
        deliveredByKernel: delivered,
        received: res.frames as number,
        perSecond: Math.round(res.frames / seconds),
        kernelDrops: res.kernelDrops as number,
        lost: delivered - res.frames,
        framesPerBatch: res.batches ? +(res.frames / res.batches).toFixed(1) : 0,
        receiverCpuNsPerFrame: res.frames ? Math.round((res.cpuUs * 1000) / res.frames) : null,
      };
    };
    const copy = await withReader(0);
    const ring = await withReader(4096);

    const out = {
      seconds,
      kernel: { generated: gen1.sent, delivered: kernelFrames, perSecond: Math.round(kernelFrames / seconds) },
      recvmmsg: copy,
      ring,
      ratioRecvmmsgToKernel: kernelFrames ? +(copy.received / kernelFrames).toFixed(3) : null,
      ratioRingToKernel: kernelFrames ? +(ring.received / kernelFrames).toFixed(3) : null,
      cpuPerFrameRingToRecvmmsg:
        copy.receiverCpuNsPerFrame && ring.receiverCpuNsPerFrame
          ? +(ring.receiverCpuNsPerFrame / copy.receiverCpuNsPerFrame).toFixed(3)
          : null,
    };
    process.stdout.write(`frame-io: 64-byte frames one way over a veth, ${seconds} s per phase\n`);
    process.stdout.write(`  kernel only : ${out.kernel.perSecond.toLocaleString()} frames/s delivered (nobody reading)\n`);
    for (const [name, r] of [['recvmmsg', copy], ['ring    ', ring]] as const) {
      process.stdout.write(
        `  ${name}    : ${r.perSecond.toLocaleString()} frames/s received, lost ${r.lost} of ${r.deliveredByKernel.toLocaleString()}, ` +
          `${r.kernelDrops} socket drops, ${r.framesPerBatch} frames/batch, ${r.receiverCpuNsPerFrame} ns receiver CPU/frame\n`,
      );
    }
    process.stdout.write(
      `  ratios: recvmmsg/kernel ${out.ratioRecvmmsgToKernel}, ring/kernel ${out.ratioRingToKernel}, ` +
        `receiver CPU per frame ring/recvmmsg ${out.cpuPerFrameRingToRecvmmsg}\n` +
        '  (on a veth the sender\'s CPU also runs the receive path, so a reader slows the generator:\n' +
        '   frames/s with a reader measure the pair, CPU per frame measures the reader)\n',
    );
    process.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  } finally {
    for (const ns of made) await execa('ip', ['netns', 'delete', ns], { reject: false });
  }
}

const [role, dev, ns, secs] = process.argv.slice(2);
if (role === 'generate') await generate(dev, ns, Number(secs));
else if (role === 'receive') await receive(dev, ns, Number(secs), Number(process.argv[6] ?? 0));
else process.exitCode = await orchestrate(process.argv.includes('--quick'));
