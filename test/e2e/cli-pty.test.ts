/**
 * The `lab>` prompt driven through a real pseudo-terminal, as a student
 * would use it: `lab up topologies/anycast-basic.yaml --cli` runs under
 * util-linux `script` (which allocates the pty), keystrokes go to its stdin,
 * and every step waits for an output pattern, never for a fixed time.
 *
 * Covered: wait --converged, pingall, `client ping -c1 b` (node name becomes
 * an address), tab completion of a node name, Ctrl-C ending a running
 * command (not the prompt), completion of a show view, `link r1 b down` then explain
 * (new winner via r2 and the reason), trace (every router hop with its
 * matched prefix), capture/capture --stop (a pcap tcpdump -r reads), events
 * (b's route replaced at r1 after the session went down), exit (the lab goes
 * down with the prompt: no namespace left).
 */
import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, isolateRunDir, isRoot, lab, labNamespaces, ROOT, uniqueLabName } from './helpers.js';

const root = isRoot();
const name = uniqueLabName('pty');
let iso: { dir: string; cleanup: () => void };

/** Strips terminal escapes (readline redraws the line with CSI sequences) and carriage returns. */
function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Z0-9]/g, '').replace(/\r/g, '');
}

/** A process behind a pty: what it printed so far, keystrokes in, and waits for patterns. */
class Pty {
  private out = '';
  private mark = 0;
  readonly proc: ResultPromise;
  constructor(command: string) {
    // script runs `$SHELL -c COMMAND`. `exec` replaces that shell by the command: a
    // shell left waiting in the pty's foreground process group also receives the
    // Ctrl-C typed for `ping` below, and dash then re-raises SIGINT on itself once
    // the command exits (script's status 130 although the lab exited 0). SHELL is
    // pinned so the test runs the same under any caller's shell.
    this.proc = execa('script', ['-qfec', `exec ${command}`, '/dev/null'], {
      cwd: ROOT,
      stdin: 'pipe',
      reject: false,
      env: { ANYCAST_LAB_RUN_DIR: process.env.ANYCAST_LAB_RUN_DIR, TERM: 'xterm', HOME: iso.dir, SHELL: '/bin/sh' },
    });
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
    this.proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
  }
  /** Types keys (no Enter). */
  keys(s: string): void {
    this.proc.stdin!.write(s);
  }
  /** Types a line and Enter; later waits only look at what came after it. */
  type(line: string): void {
    this.mark = this.out.length;
    this.keys(`${line}\r`);
  }
  /** Everything printed since the last typed line. */
  since(): string {
    return plain(this.out.slice(this.mark));
  }
  /** Resolves with the output since the last typed line once it matches `re` (and the prompt is back, when `prompt`). */
  async expect(re: RegExp, timeoutMs = 30_000, prompt = true): Promise<string> {
    const t0 = Date.now();
    for (;;) {
      const s = this.since();
      if (re.test(s) && (!prompt || /lab> $/.test(s))) return s;
      if (this.proc.exitCode !== null) throw new Error(`prompt exited; waiting for ${re}; output:\n${s}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${re}; output:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** Types a line and waits for `re` and the next prompt. */
  async run(line: string, re: RegExp, timeoutMs?: number): Promise<string> {
    this.type(line);
    return this.expect(re, timeoutMs);
  }
}

let pty: Pty;

beforeAll(async () => {
  if (!root) return;
  iso = isolateRunDir();
  await ensureBuilt();
  pty = new Pty(`${process.execPath} ${CLI} up topologies/anycast-basic.yaml --name ${name} --cli`);
  await pty.expect(/lab> $/, 60_000, false);
});

afterAll(async () => {
  if (!root) return;
  if (pty?.proc.exitCode === null) pty.proc.kill('SIGKILL');
  await lab(['clean'], { reject: false });
  iso.cleanup();
});

describe.runIf(root)('the lab> prompt in a pseudo-terminal (root)', () => {
  it('wait --converged, then pingall drops nothing', async () => {
    await pty.run('wait --converged --timeout 30', /\*\*\* converged in [\d.]+ s \(10\/10 sessions established\)/);
    const s = await pty.run('pingall', /Results: /);
    expect(s).toMatch(/\*\*\* Results: 0% dropped \(12\/12 received\)/);
    expect(s).toMatch(/^client -> a b c$/m);
  });

  it('client ping -c1 b: the node name becomes b\'s address and one reply comes back', async () => {
    const s = await pty.run('client ping -c1 b', /packet loss/);
    const addr = /^PING (\d+\.\d+\.\d+\.\d+) /m.exec(s)?.[1];
    expect(addr).toMatch(/^10\./); // b's link address, not the word "b"
    expect(s).toMatch(/1 packets transmitted, 1 received, 0% packet loss/);
  });

  it('tab completes a node name: "cli<TAB>" becomes "client"', async () => {
    pty.type('');
    await pty.expect(/lab> $/);
    pty.keys('cli\t');
    await pty.expect(/lab> client$/, 5000, false);
    // The completed word is a real command word: finish the line and run it.
    pty.keys(' ping -c1 a\r');
    await pty.expect(/1 packets transmitted, 1 received/);
  });

  it('Ctrl-C stops a command that runs until interrupted (client ping b) and the prompt stays; Tab completes a show view', async () => {
    pty.type('client ping -i 0.2 b');
    await pty.expect(/icmp_seq=2 /, 10_000, false);
    pty.keys('\x03');
    const s = await pty.expect(/packets transmitted/);
    const m = /(\d+) packets transmitted, (\d+) received/.exec(s)!;
    expect(Number(m[2])).toBeGreaterThanOrEqual(2);
    await pty.run('nodes', /available nodes are/);
    pty.type('');
    await pty.expect(/lab> $/);
    pty.keys('show r1 a\t');
    await pty.expect(/lab> show r1 arp$/, 5000, false);
    pty.keys('\r');
    // r1 resolved the client's address on r1-eth0 for the pings above.
    await pty.expect(/^\S+ +[0-9a-f]{2}(:[0-9a-f]{2}){5} +\S+ +r1-eth0$/m);
  });

  it('before the change, r1 prefers b (AS path 64500)', async () => {
    const s = await pty.run('explain r1 192.0.2.53', /BGP candidates/);
    expect(s).toMatch(/best\s+from b AS path \[64500\].*chosen by: .*AS_PATH 1 < 2/);
    expect(s).toMatch(/lost\s+from r2 AS path \[65002 64500\].*beaten by: AS_PATH 1 < 2/);
  });

  it('link r1 b down: explain r1 shows the new winner via r2 and why', async () => {
    await pty.run('link r1 b down', /^/);
    // The session to b drops with the interface; poll explain until r1 has moved.
    let s = '';
    for (let i = 0; i < 40; i++) {
      s = await pty.run('explain r1 192.0.2.53', /BGP candidates|no covering|\*\*\*/);
      if (/best\s+from r2/.test(s)) break;
    }
    expect(s).toMatch(/longest match 192\.0\.2\.0\/24 \(bgp\): next hop (\S+) out of r1-eth1/);
    expect(s).toMatch(/best\s+from r2 AS path \[65002 64500\] next hop \S+ — chosen by: only path/);
    expect(s).not.toMatch(/from b AS path/);
  });

  it('trace client 192.0.2.53 lists every router hop with its matched prefix, then the answering server', async () => {
    const s = await pty.run('trace client 192.0.2.53', /answered by|no answer|\*\*\*/);
    const hops = [...s.matchAll(/^\s*(\d+)\s+(\S+)\s+in (\S+) ttl (\d+): matched ([^\s,]+)/gm)].map((m) => ({ n: m[1], router: m[2], prefix: m[5] }));
    expect(hops).toEqual([
      { n: '1', router: 'r1', prefix: '192.0.2.0/24' },
      { n: '2', router: 'r2', prefix: '192.0.2.0/24' },
    ]);
    expect(s).toMatch(/answered by a /);
  });

  it('capture r1 r1-eth1 then capture --stop leaves a pcap that tcpdump -r reads', async () => {
    const started = await pty.run('capture r1 r1-eth1 t.pcap', /t\.pcap/);
    const file = /(\S+\/t\.pcap)/.exec(started)![1];
    expect(file.startsWith(`${iso.dir}/${name}/captures/`)).toBe(true);
    await pty.run('client ping -c2 -i 0.2 192.0.2.53', /2 received/);
    await pty.run('capture --stop', /t\.pcap/);
    expect(existsSync(file)).toBe(true);
    const r = await execa('tcpdump', ['-nr', file, 'icmp'], { reject: false });
    expect(r.exitCode).toBe(0);
    const requests = String(r.stdout).split('\n').filter((l) => /> 192\.0\.2\.53: ICMP echo request/.test(l));
    expect(requests).toHaveLength(2);
  });

  it('events shows the session to b going down and r1 replacing b\'s route by r2\'s', async () => {
    const s = await pty.run('events', /best path/);
    expect(s).toMatch(/r1\s+interface r1-eth2 down/);
    expect(s).toMatch(/r1\s+session \S+ Established -> Idle/);
    expect(s).toMatch(/r1\s+best path 192\.0\.2\.0\/24: b \[64500\] -> r2 \[65002 64500\]/);
    expect(s).toMatch(/r1\s+fib remove 192\.0\.2\.0\/24 via \S+ dev r1-eth2/);
  });

  it('fail takes the shell\'s spelling too (fail b --how link), and a bad kind is a one-line usage error', async () => {
    expect(await pty.run('fail b --how bogus', /\*\*\*/)).toMatch(/^\*\*\* usage: fail SERVER \[--how\] service\|kill\|freeze\|link\|blackhole\|drain$/m);
    expect(await pty.run('fail b --how link', /\*\*\*/)).toMatch(/^\*\*\* b failed \(link\): link\(s\) down: b-eth0$/m);
  });

  it('exit takes the lab down: no namespace left, exit status 0', async () => {
    pty.type('exit');
    const r = await pty.proc;
    expect(pty.since()).toMatch(new RegExp(`\\*\\*\\* lab ${name} down`));
    expect(r.exitCode).toBe(0);
    expect(await labNamespaces(name)).toEqual([]);
  });
});
