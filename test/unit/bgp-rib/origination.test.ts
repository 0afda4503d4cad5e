/** Local origination: connected, `networks:`, static and anycast prefixes as routes of peer 0. */
import { describe, expect, it } from 'vitest';
import { formatPrefix } from '../../../src/lib/prefix.js';
import { addUpPeer, mkRib, pfx } from './helpers.js';

describe('origination', () => {
  it('originated routes have ORIGIN IGP, an empty AS_PATH and a zero next hop (this router)', () => {
    const rib = mkRib();
    rib.originate([pfx('192.0.2.0/24'), pfx('2001:db8::/32')], { source: 'connected' });
    const r = rib.processAll();
    expect(r.changes.map((c) => formatPrefix(c.prefix)).sort()).toEqual(['192.0.2.0/24', '2001:db8::/32']);
    const v4 = rib.bestPath(pfx('192.0.2.0/24'));
    expect(v4?.peer.kind).toBe('local');
    expect(v4?.peer).toBe(rib.localPeer);
    expect(v4?.attrs.origin).toBe(0);
    expect(v4?.attrs.asPath).toEqual([]);
    expect([...(v4?.attrs.nextHop ?? [])]).toEqual([0, 0, 0, 0]);
    expect(rib.bestPath(pfx('2001:db8::/32'))?.attrs.nextHop?.length).toBe(16);
  });

  it('a prefix stays while any source still originates it', () => {
    const rib = mkRib();
    const e = addUpPeer(rib, 1, 65002);
    rib.originate(pfx('192.0.2.0/24'), { source: 'connected' });
    rib.originate(pfx('192.0.2.0/24'), { source: 'anycast', communities: [7] });
    rib.processAll();
    expect(rib.originSources(pfx('192.0.2.0/24'))).toEqual(['connected', 'anycast']);
    expect(rib.bestPath(pfx('192.0.2.0/24'))?.attrs.communities).toBeUndefined();
    rib.withdrawOriginated(pfx('192.0.2.0/24'), 'connected');
    rib.processAll();
    // The anycast source's options now apply.
    expect(rib.bestPath(pfx('192.0.2.0/24'))?.attrs.communities).toEqual([7]);
    rib.withdrawOriginated(pfx('192.0.2.0/24'), 'static');
    rib.processAll();
    expect(rib.bestPath(pfx('192.0.2.0/24'))).toBeDefined();
    rib.withdrawOriginated(pfx('192.0.2.0/24'), 'anycast');
    rib.processAll();
    expect(rib.bestPath(pfx('192.0.2.0/24'))).toBeUndefined();
    expect(rib.originSources(pfx('192.0.2.0/24'))).toEqual([]);
    const out = rib.pendingUpdates(e);
    expect(out.batches).toEqual([]);
    expect(out.withdrawals).toEqual([]);
  });

  it('originated MED and communities reach eBGP neighbours', () => {
    const rib = mkRib();
    const e = addUpPeer(rib, 1, 65002);
    rib.pendingUpdates(e);
    rib.originate(pfx('198.51.100.0/24'), { source: 'static', med: 20, communities: [0xfde80001] });
    rib.processAll();
    const a = rib.pendingUpdates(e).batches[0].attrs;
    expect(a.med).toBe(20);
    expect(a.communities).toEqual([0xfde80001]);
  });
});
