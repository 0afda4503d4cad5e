// LinkMonitor over rtnetlink (root): a namespace with a veth pair whose far
// end is moved to a second namespace; the monitor is opened inside the first
// (the socket belongs to the namespace of the thread that opens it, switched
// with the lab's netns addon) and must report the initial state, carrier
// loss when the far end goes down, carrier back when it comes up, and a
// deleted link as down. The state it reports is compared with `ip -json link`.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkMonitor, type LinkState } from '../../src/router/link-monitor.js';
import { loadNetnsTools } from '../../lab/netns-tools.js';

const id = randomBytes(3).toString('hex');
const NS_A = `lmon-${id}-a`;
const NS_B = `lmon-${id}-b`;
const created: string[] = [];

async function ip(...args: string[]): Promise<void> {
  await execa('ip', args);
}

/** UP,LOWER_UP without NO-CARRIER, as `ip -json link` reports it. */
async function kernelSaysUp(ns: string, dev: string): Promise<boolean> {
  const [l] = JSON.parse((await execa('ip', ['-n', ns, '-json', 'link', 'show', 'dev', dev])).stdout) as Array<{ flags: string[] }>;
  return l.flags.includes('UP') && l.flags.includes('LOWER_UP') && !l.flags.includes('NO-CARRIER');
}

describe('LinkMonitor (rtnetlink, in a namespace)', () => {
  const events: LinkState[] = [];
  let monitor: LinkMonitor;
  let initial: Map<string, boolean>;

  async function next(name: string, up: boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!events.some((e) => e.name === name && e.up === up)) {
      if (Date.now() > deadline) throw new Error(`no event ${name} ${up ? 'up' : 'down'}; saw ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  beforeAll(async () => {
    for (const ns of [NS_A, NS_B]) {
      await ip('netns', 'add', ns);
      created.push(ns);
    }
    await ip('-n', NS_A, 'link', 'add', 'lm0', 'type', 'veth', 'peer', 'name', 'lm1', 'netns', NS_B);
    await ip('-n', NS_A, 'link', 'set', 'lm0', 'up');
    await ip('-n', NS_B, 'link', 'set', 'lm1', 'up');
    await ip('-n', NS_A, 'link', 'set', 'lo', 'up');
    const tools = loadNetnsTools();
    if (!tools) throw new Error('the netns addon is not built');
    monitor = new LinkMonitor((s) => events.push(s));
    let started: Promise<Map<string, boolean>> | undefined;
    tools.runIn(NS_A, () => {
      started = monitor.start();
    });
    initial = await started!;
  });

  afterAll(async () => {
    monitor?.stop();
    for (const ns of created) await execa('ip', ['netns', 'del', ns], { reject: false });
  });

  it('reads the namespace’s own links at start, with the kernel’s view of carrier', async () => {
    expect([...initial.keys()].sort()).toEqual(['lm0', 'lo']);
    expect(initial.get('lm0')).toBe(await kernelSaysUp(NS_A, 'lm0'));
    expect(initial.get('lm0')).toBe(true);
    expect(monitor.isUp('lm0')).toBe(true);
  });

  it('reports carrier loss when the far end goes down, and carrier back', async () => {
    await ip('-n', NS_B, 'link', 'set', 'lm1', 'down');
    await next('lm0', false);
    expect(monitor.isUp('lm0')).toBe(false);
    expect(await kernelSaysUp(NS_A, 'lm0')).toBe(false);
    await ip('-n', NS_B, 'link', 'set', 'lm1', 'up');
    await next('lm0', true);
    expect(monitor.isUp('lm0')).toBe(true);
  });

  it('sees links of its own namespace only, and a deleted link as down', async () => {
    await ip('-n', NS_B, 'link', 'add', 'other0', 'type', 'veth', 'peer', 'name', 'other1');
    await ip('-n', NS_B, 'link', 'set', 'other0', 'up');
    events.length = 0;
    await ip('-n', NS_A, 'link', 'del', 'lm0');
    await next('lm0', false);
    expect(events.some((e) => e.name === 'other0')).toBe(false);
    expect(monitor.isUp('lm0')).toBe(false);
  });
});
