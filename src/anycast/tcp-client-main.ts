/**
 * A scriptable TCP client for tests and for students:
 * `tcp-client-main.js ADDRESS [--port P]`, run in a client's namespace.
 * Connects, then sends every line read from stdin and prints one JSON line
 * per event on stdout:
 *   {"event":"connected","local":"10.0.0.1:40312","t":ms}
 *   {"event":"line","text":"b hello","t":ms}     (a line the server sent)
 *   {"event":"error","code":"ECONNRESET","message":"...","t":ms}
 *   {"event":"close","t":ms}
 * `t` is milliseconds since the epoch. Exits 0 after close.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { TCP_ECHO_PORT } from './tcp-echo.js';

const print = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);

function main(): void {
  const argv = process.argv.slice(2);
  const address = argv[0];
  const pi = argv.indexOf('--port');
  const port = pi >= 0 ? Number(argv[pi + 1]) : TCP_ECHO_PORT;
  if (!address || !(port > 0 && port < 65536)) {
    process.stderr.write('usage: tcp-client-main.js ADDRESS [--port P]\n');
    process.exit(2);
  }
  const sock = connect({ host: address, port });
  sock.setNoDelay(true);
  sock.setEncoding('utf8');
  let buf = '';
  sock.on('connect', () => print({ event: 'connected', local: `${sock.localAddress}:${sock.localPort}` }));
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      print({ event: 'line', text: buf.slice(0, nl) });
      buf = buf.slice(nl + 1);
    }
  });
  sock.on('error', (err: NodeJS.ErrnoException) => print({ event: 'error', code: err.code ?? '', message: err.message }));
  sock.on('close', () => {
    print({ event: 'close' });
    process.exit(0);
  });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (!sock.destroyed) sock.write(`${line}\n`);
  });
  rl.on('close', () => sock.end());
}

main();
