/**
 * The load generator of `lab ddos`: `flood-main.js ADDRESS --rate N --duration S [--port P] [--id ID]`,
 * run in an attacker's namespace. Sends `flood` whoami datagrams (whoami.ts:
 * counted by the site, never answered) from the host's own address with Node's
 * dgram, paced in small bursts so rates of tens of thousands a second are
 * reachable; prints one JSON line: {"sent":N,"sendErrors":E,"seconds":S}.
 *
 * Not supported: spoofed source addresses. Those need a raw socket with
 * IP_HDRINCL (the npm `raw-socket` package, not installed here) or
 * layer-2 injection (scapy's sendp, the frame I/O addon).
 */
import { createSocket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { emitWhoamiRequest, WHOAMI_PORT } from './whoami.js';

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
  if (!address || !isIP(address) || !(rate > 0) || !(duration > 0)) {
    process.stderr.write('usage: flood-main.js ADDRESS --rate N --duration S [--port P] [--id ID]\n');
    return 2;
  }
  const sock = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
  let sendErrors = 0;
  sock.on('error', () => sendErrors++);
  const total = Math.round(rate * duration);
  const t0 = performance.now();
  let sent = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due && inFlight < 4096) {
        inFlight++;
        sock.send(emitWhoamiRequest({ t: 'flood', seq: sent++, id }), port, address, (err) => {
          inFlight--;
          if (err) sendErrors++;
        });
      }
      if (sent >= total) {
        const wait = () => (inFlight === 0 ? resolve() : setTimeout(wait, 1));
        wait();
      } else setTimeout(pump, 1);
    };
    pump();
  });
  sock.close();
  process.stdout.write(JSON.stringify({ sent: sent - sendErrors, sendErrors, seconds: (performance.now() - t0) / 1000 }) + '\n');
  return 0;
}

main().then((c) => process.exit(c), (err) => {
  process.stderr.write(`flood: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
