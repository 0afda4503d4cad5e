/**
 * UDP ping-pong for the forwarding benchmark, run as a child process inside a
 * namespace (`ip netns exec NS node udp-pingpong.js ROLE ...`): Node cannot
 * enter a namespace itself.
 *
 * Roles:
 * - `echo PORT`: sends every datagram back to where it came from; prints
 *   `ready` once bound.
 * - `client HOST PORT COUNT`: sequential round trips (the next probe leaves
 *   when the previous reply arrives, or after a 200 ms timeout, which counts
 *   as lost); COUNT 0 means "until stdin says `stop` or closes". Prints
 *   `ready` once bound, then at the end one JSON line
 *   `{samples: [[sentUs, rttUs], ...], lost}` where sentUs is the monotonic
 *   clock (`process.hrtime`, CLOCK_MONOTONIC, shared by every process of the
 *   machine) in microseconds.
 *
 * Payload: 18 bytes (a 64-byte frame on the wire), a sequence number first,
 * so a late reply to a timed-out probe is not taken for the current one.
 * Not supported: IPv6, concurrent probes.
 */
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

function echo(port: number): void {
  const s = createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  s.bind(port, () => process.stdout.write('ready\n'));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

function client(host: string, port: number, count: number): void {
  const s = createSocket('udp4');
  const samples: Array<[number, number]> = [];
  let lost = 0;
  let seq = 0;
  let sentAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  const payload = Buffer.alloc(18);
  const finish = (): void => {
    if (timer) clearTimeout(timer);
    process.stdout.write(JSON.stringify({ samples, lost }) + '\n', () => process.exit(0));
  };
  const next = (): void => {
    if (stopping || (count > 0 && samples.length + lost >= count)) return finish();
    seq++;
    payload.writeUInt32BE(seq, 0);
    sentAt = nowUs();
    s.send(payload, port, host);
    timer = setTimeout(() => {
      lost++;
      next();
    }, 200);
  };
  s.on('message', (m) => {
    const t = nowUs();
    if (m.length < 4 || m.readUInt32BE(0) !== seq) return;
    clearTimeout(timer);
    samples.push([sentAt, t - sentAt]);
    next();
  });
  s.bind(0, () => {
    process.stdout.write('ready\n');
    next();
  });
  const stop = (): void => {
    stopping = true;
  };
  createInterface({ input: process.stdin }).on('line', (l) => {
    if (l.trim() === 'stop') stop();
  });
  process.stdin.on('end', stop);
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'echo') echo(Number(rest[0]));
else if (role === 'client') client(rest[0], Number(rest[1]), Number(rest[2] ?? 0));
else {
  process.stderr.write('usage: udp-pingpong.js echo PORT | client HOST PORT COUNT\n');
  process.exit(2);
}
