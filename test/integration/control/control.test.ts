import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient, ControlError } from '../../../src/control/client.js';
import { ControlServer } from '../../../src/control/server.js';
import type { ControlEvent } from '../../../src/control/protocol.js';

describe('control channel over a real unix socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
  const path = join(dir, 'r1.sock');
  const server = new ControlServer('r1');
  server.handle('hello', () => ({ node: 'r1', kind: 'router', pid: process.pid, version: 1 }));
  server.handle('explain', (p) => {
    if (p.address === 'boom') throw new Error('bad address');
    return { address: p.address, matches: [], notes: ['no route'] };
  });

  beforeAll(() => server.listen(path));
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0600', () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('answers requests by id, and turns handler errors into error responses', async () => {
    const c = await ControlClient.connect(path);
    const [h, e] = await Promise.all([c.request('hello'), c.request('explain', { address: '192.0.2.53' })]);
    expect(h.node).toBe('r1');
    expect(e.notes).toEqual(['no route']);
    await expect(c.request('explain', { address: 'boom' })).rejects.toMatchObject({ code: 'failed', message: 'bad address' });
    await expect(c.request('show.fib')).rejects.toBeInstanceOf(ControlError);
    c.close();
  });

  it('pushes events to subscribers and replays those after a sequence number', async () => {
    server.emit({ type: 'log', level: 'info', message: 'before' });
    const c = await ControlClient.connect(path);
    const got: ControlEvent[] = [];
    const seq = await c.subscribe((ev) => got.push(ev), 0);
    expect(seq).toBeGreaterThan(0);
    server.emit({ type: 'session', peer: '10.0.0.1', from: 'OpenConfirm', to: 'Established' });
    await new Promise((r) => setTimeout(r, 50));
    expect(got.map((g) => g.type)).toEqual(['log', 'session']);
    expect(got[1]).toMatchObject({ node: 'r1', peer: '10.0.0.1', to: 'Established' });
    c.close();
  });
});
