/**
 * Frame I/O benchmark (root): 64-byte frames one way between two namespaces
 * over a veth pair (offloads off), from a sendmmsg generator built on the
 * addon, in two phases of the same run:
 *
 *   kernel: nobody reads the frames; the receiving interface's rx_packets
 *           counts what the kernel delivered (the generator's ceiling);
 *   addon:  a LinuxFrameIo port in the receiving namespace (its own process)
 *           drains every frame; we count frames seen, kernel drops and the
 *           receiver's CPU time per frame.
 *
 * Prints frames/s for both and the ratio addon/kernel, which is the only
 * figure that means anything on a shared machine.
 *
 *   node dist/bench/frame-io.js [--quick]        (orchestrator)
 *   internal roles: `generate DEV NS SECONDS`, `receive DEV NS SECONDS`
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

async function receive(dev: string, ns: string, seconds: number): Promise<void> {
  const io = new LinuxFrameIo({ netns: `/run/netns/${ns}` });
  const port = io.open(dev, { slots: 256 });
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

    // Phase 2: the addon drains every frame in its own process.
    const rx = execa(node, [self, 'receive', devB, nsB, String(seconds + 1)]);
    await new Promise<void>((resolve, reject) => {
      rx.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      rx.catch(reject);
    });
    const a0 = await rxPackets(nsB, devB);
    const gen2 = JSON.parse((await execa(node, [self, 'generate', devA, nsA, String(seconds)])).stdout);
    const delivered = (await rxPackets(nsB, devB)) - a0;
    const lines = (await rx).stdout.trim().split('\n');
    const res = JSON.parse(lines[lines.length - 1]);

    const rate = (n: number) => Math.round(n / seconds);
    const out = {
      seconds,
      kernel: { generated: gen1.sent, delivered: kernelFrames, perSecond: rate(kernelFrames) },
      addon: {
        generated: gen2.sent,
        deliveredByKernel: delivered,
        received: res.frames,
        perSecond: rate(res.frames),
        kernelDrops: res.kernelDrops,
        lost: delivered - res.frames,
        framesPerBatch: res.batches ? +(res.frames / res.batches).toFixed(1) : 0,
        receiverCpuNsPerFrame: res.frames ? Math.round((res.cpuUs * 1000) / res.frames) : null,
      },
      ratioAddonToKernel: kernelFrames ? +(res.frames / seconds / (kernelFrames / seconds)).toFixed(3) : null,
    };
    process.stdout.write(`frame-io: 64-byte frames one way over a veth, ${seconds} s per phase\n`);
    process.stdout.write(`  kernel only : ${out.kernel.perSecond.toLocaleString()} frames/s delivered\n`);
    process.stdout.write(
      `  addon       : ${out.addon.perSecond.toLocaleString()} frames/s received, ${out.addon.kernelDrops} dropped by the socket, ` +
        `${out.addon.framesPerBatch} frames/batch, ${out.addon.receiverCpuNsPerFrame} ns CPU/frame\n`,
    );
    process.stdout.write(
      `  lost between the interface and the port: ${out.addon.lost} of ${delivered.toLocaleString()}; ` +
        `generator rate with a reader / without: ${gen1.sent ? (gen2.sent / gen1.sent).toFixed(3) : '-'}\n` +
        '  (on a veth the sender\'s CPU also runs the receive path, so a busy reader slows the generator)\n',
    );
    process.stdout.write(`  ratio addon/kernel: ${out.ratioAddonToKernel}\n`);
    process.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  } finally {
    for (const ns of made) await execa('ip', ['netns', 'delete', ns], { reject: false });
  }
}

const [role, dev, ns, secs] = process.argv.slice(2);
if (role === 'generate') await generate(dev, ns, Number(secs));
else if (role === 'receive') await receive(dev, ns, Number(secs));
else process.exitCode = await orchestrate(process.argv.includes('--quick'));
