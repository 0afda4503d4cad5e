/**
 * DataplaneThread's side of the thread boundary, against a stand-in worker
 * (test/fixtures/dataplane-thread/fake-worker.mjs) that refuses to start,
 * throws or exits: a start failure rejects with the thread's own error, and
 * a thread dying later is reported once through onFailure with every
 * pending request rejected — never lost silently. The real worker is
 * exercised in namespaces by test/e2e/dataplane-thread.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataplaneThread } from '../../../src/dataplane/dataplane-thread.js';
import type { RouteChange } from '../../../src/router/route-table.js';

const FAKE = join(import.meta.dirname, '../../fixtures/dataplane-thread/fake-worker.mjs');

function start(behaviour: string, failures: Error[] = [], traces: unknown[] = []) {
  return DataplaneThread.start({
    interfaces: [{ name: 'r1-eth9' }],
    workerPath: FAKE,
    onFailure: (e) => failures.push(e),
    onTrace: (r) => traces.push(r),
    ...({ behaviour } as object),
  });
}

const change = (i: number): RouteChange => ({
  action: 'add',
  route: { prefix: { family: 4, bytes: Uint8Array.of(10, i >> 8, i & 255, 0), len: 24 }, source: 'bgp', nextHops: [{ via: '10.0.0.1', interface: 'r1-eth0' }] },
});

describe('DataplaneThread', () => {
  it('a port that cannot be opened: start rejects with the thread\'s error naming the interface', async () => {
    await expect(start('refuse')).rejects.toThrow(/^data plane: frame-io: open r1-eth9: no such interface/);
  });

  it('a thread that throws before it is ready: start rejects with that error', async () => {
    await expect(start('throw-at-load')).rejects.toThrow(/data plane thread failed: .*boom at load/s);
  });

  it('route changes of one synchronous run leave as one message; settled() waits for them', async () => {
    const failures: Error[] = [];
    const traces: unknown[] = [];
    const dp = await start('ok', failures, traces);
    for (let i = 0; i < 1000; i++) dp.apply(change(i));
    expect(await dp.settled()).toEqual({ applied: 1000 });
    expect(await dp.setTraceFilter({ protocol: 17 })).toEqual({ ok: true });
    expect(traces).toEqual([{ ingress: 'x', filter: { protocol: 17 } }]);
    await dp.close();
    expect(failures).toEqual([]);
    await expect(dp.counters()).rejects.toThrow(/closed/);
  });

  it('an exception in the thread: onFailure once, the pending request rejected', async () => {
    const failures: Error[] = [];
    const dp = await start('ok', failures);
    await expect(dp.counters()).rejects.toThrow(/boom in the data plane/);
    await new Promise((r) => setTimeout(r, 50));
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toMatch(/^data plane thread failed: .*boom in the data plane/s);
    await expect(dp.neighbors()).rejects.toThrow(/boom/);
  });

  it('the thread exiting on its own: onFailure names the exit code', async () => {
    const failures: Error[] = [];
    const dp = await start('ok', failures);
    await expect(dp.neighbors()).rejects.toThrow(/exited \(code 5\) while forwarding/);
    expect(failures.map((e) => e.message)).toEqual(['data plane thread exited (code 5) while forwarding']);
  });
});
