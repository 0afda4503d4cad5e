/**
 * The load generator of `lab ddos`:
 * `flood-main.js ADDRESS --rate N --duration S [--port P] [--id ID] [--spoof INDEX]`,
 * run in an attacker's namespace. Sends `flood` whoami datagrams (whoami.ts:
 * counted by the site, never answered), paced in small bursts so rates of
 * tens of thousands a second are reachable; prints one JSON line:
 * {"sent":N,"sendErrors":E,"seconds":S}.
 *
 * Without --spoof: from the host's own address with Node's dgram.
 * With --spoof INDEX: from spoofed sources (spoofed-frames.ts: attacker
 * INDEX's block of 198.18.0.0/15 or 2001:2::/48), as whole frames sent at
 * layer 2 through the frame I/O addon on the interface `ip route get`
 * names, to the gateway's MAC from the neighbour table (resolved first
 * with one ping of the gateway when absent). Needs root (AF_PACKET).
 */
import { createSocket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { emitWhoamiRequest, WHOAMI_PORT } from './whoami.js';
import { buildSpoofedFrame, spoofedSource, SPOOFED_SOURCES_PER_ATTACKER } from './spoofed-frames.js';
import { LinuxFrameIo } from '../dataplane/linux-frame-io.js';
import { parseMac } from '../lib/mac.js';
import { parseAddress } from '../lib/prefix.js';

function flagValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const address = argv[0];
  const rate = Number(flagValue(argv, 'rate') ?? 1000);
  const duration = Number(flagValue(argv, 'duration') ?? 1);
  const port = Number(flagValue(argv, 'port') ?? WHOAMI_PORT);
  const id = flagValue(argv, 'id') ?? `flood-${process.pid}`;
  const spoof = flagValue(argv, 'spoof');
  if (!address || !isIP(address) || !(rate > 0) || !(duration > 0) || (spoof !== undefined && !/^\d+$/.test(spoof))) {
    process.stderr.write('usage: flood-main.js ADDRESS --rate N --duration S [--port P] [--id ID] [--spoof INDEX]\n');
    return 2;
  }
  if (spoof !== undefined) return spoofedFlood(address, rate, duration, port, id, Number(spoof));
  const sock = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
  let sendErrors = 0;
  sock.on('error', () => sendErrors++);
  const t0 = performance.now();
  let sent = 0;
  let inFlight = 0;
  await paced(rate, Math.round(rate * duration), (due) => {
    while (sent < due && inFlight < 4096) {
      inFlight++;
      sock.send(emitWhoamiRequest({ t: 'flood', seq: sent++, id }), port, address, (err) => {
        inFlight--;
        if (err) sendErrors++;
      });
    }
    return sent;
  });
  await new Promise<void>((resolve) => {
    const wait = () => (inFlight === 0 ? resolve() : setTimeout(wait, 1));
    wait();
  });
  sock.close();
  process.stdout.write(JSON.stringify({ sent: sent - sendErrors, sendErrors, seconds: (performance.now() - t0) / 1000 }) + '\n');
  return 0;
}

/**
 * Calls `sendUpTo(due)` about every millisecond with how many of `total`
 * should have gone by now at `rate` per second; it sends what it can and
 * returns how many have gone. Resolves once that reaches `total`.
 */
function paced(rate: number, total: number, sendUpTo: (due: number) => number): Promise<void> {
  const t0 = performance.now();
  return new Promise<void>((resolve) => {
    const pump = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      if (sendUpTo(due) >= total) resolve();
      else setTimeout(pump, 1);
    };
    pump();
  });
}

interface Egress { readonly dev: string; readonly gateway: string }

/** The interface and next hop toward `address`, from the kernel's own routing table. */
async function egressToward(address: string): Promise<Egress> {
  const r = await execa('ip', ['-j', 'route', 'get', address]);
  const [route] = JSON.parse(r.stdout) as { dev?: string; gateway?: string; dst?: string }[];
  if (!route?.dev) throw new Error(`no route to ${address} in this namespace`);
  return { dev: route.dev, gateway: route.gateway ?? address };
}

async function neighbourMac(e: Egress): Promise<Uint8Array | undefined> {
  const r = await execa('ip', ['-j', 'neigh', 'show', 'to', e.gateway, 'dev', e.dev], { reject: false });
  const entries = (r.exitCode === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : []) as { lladdr?: string; state?: string[] }[];
  const found = entries.find((n) => n.lladdr && !(n.state ?? []).includes('FAILED'));
  return found?.lladdr ? parseMac(found.lladdr) : undefined;
}

async function gatewayMac(e: Egress): Promise<Uint8Array> {
  let mac = await neighbourMac(e);
  if (!mac) {
    await execa('ping', [isIPv6(e.gateway) ? '-6' : '-4', '-c', '1', '-W', '1', '-I', e.dev, e.gateway], { reject: false });
    mac = await neighbourMac(e);
  }
  if (!mac) throw new Error(`the gateway ${e.gateway} on ${e.dev} does not answer ARP/ND`);
  return mac;
}

async function spoofedFlood(address: string, rate: number, duration: number, port: number, id: string, index: number): Promise<number> {
  const dst = parseAddress(address);
  if (!dst.ok) throw new Error(dst.error);
  const family = dst.value.family;
  const egress = await egressToward(address);
  const dstMac = await gatewayMac(egress);
  const io = new LinuxFrameIo();
  const out = io.open(egress.dev, { slots: 1, txSlots: 256 });
  const frames = Array.from({ length: SPOOFED_SOURCES_PER_ATTACKER }, (_, n) => buildSpoofedFrame({
    family, srcMac: out.mac, dstMac, src: spoofedSource(family, index, n), dst: dst.value.bytes,
    srcPort: 40000 + n, dstPort: port, payload: emitWhoamiRequest({ t: 'flood', seq: n, id }),
  }));
  const total = Math.round(rate * duration);
  const before = out.counters();
  const t0 = performance.now();
  let tried = 0;
  await paced(rate, total, (due) => {
    for (; tried < due; tried++) out.send(frames[tried % frames.length]); // a refusal is counted as txDropped
    out.flush();
    return tried;
  });
  const after = out.counters();
  io.close();
  const sent = after.txFrames - before.txFrames;
  process.stdout.write(JSON.stringify({ sent, sendErrors: total - sent, seconds: (performance.now() - t0) / 1000, spoofed: true }) + '\n');
  return 0;
}

main().then((c) => process.exit(c), (err) => {
  process.stderr.write(`flood: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
