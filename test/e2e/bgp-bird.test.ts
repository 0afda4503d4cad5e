/**
 * Interop with BIRD 2 (Debian's bird2) as root: our speaker in one
 * namespace, BIRD in another, a veth between them. The session reaches
 * Established on both sides; IPv4 and IPv6 (MP_REACH_NLRI over the IPv4
 * session) routes cross both ways with the right AS_PATH and NEXT_HOP;
 * withdrawals propagate both ways; stopping our speaker sends Cease 6/2 with
 * its RFC 8203 text; tshark decodes every message we sent with no malformed
 * packet or expert warning. BIRD flags as in /work/shared/reference/peers.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeighborInfo, RibEntryInfo } from '../../src/control/protocol.js';
import {
  buildSpeaker, deleteNamespaces, inNs, makeLink, SpeakerProcess, startCapture, tempDir, tsharkCheck, uniqueId, waitUntil,
} from './bgp-harness.js';

const id = uniqueId();
const NS_OURS = `bgpe-${id}-a`;
const NS_BIRD = `bgpe-${id}-b`;
const tmp = tempDir(`bgpe-${id}-`);
const BIRD_CTL = join(tmp.dir, 'bird.ctl');
const CAPTURE = join(tmp.dir, 'capture.pcap');

let bird: ResultPromise | undefined;
let ours: SpeakerProcess | undefined;
let capture: { stop: () => Promise<void> } | undefined;

const BIRD_CONF = `
router id 10.77.0.2;
protocol device {}
protocol static s4 { ipv4; route 203.0.113.0/24 blackhole; route 192.0.2.128/25 blackhole; }
protocol static s6 { ipv6; route 2001:db8:b::/48 blackhole; }
protocol bgp ours {
  local 10.77.0.2 as 65102;
  neighbor 10.77.0.1 as 65101;
  hold time 9;
  connect retry time 1;
  ipv4 { import all; export all; };
  ipv6 { import all; export all; next hop address fd77::2; };
}
protocol bgp ours6 {
  local fd77::2 as 65102;
  neighbor fd77::1 as 65101;
  hold time 9;
  connect retry time 1;
  ipv6 { import all; export all; };
}
`;

async function birdc(...args: string[]): Promise<string> {
  return inNs(NS_BIRD, ['birdc', '-s', BIRD_CTL, ...args], { reject: false });
}

beforeAll(async () => {
  await buildSpeaker();
  await makeLink(
    { ns: NS_OURS, dev: 'bgpe0', v4: '10.77.0.1/30', v6: 'fd77::1/64' },
    { ns: NS_BIRD, dev: 'bgpe1', v4: '10.77.0.2/30', v6: 'fd77::2/64' },
  );
  capture = await startCapture(NS_BIRD, 'bgpe1', CAPTURE);
  writeFileSync(join(tmp.dir, 'bird.conf'), BIRD_CONF);
  bird = execa('ip', ['netns', 'exec', NS_BIRD, 'bird', '-f', '-c', join(tmp.dir, 'bird.conf'), '-s', BIRD_CTL, '-P', join(tmp.dir, 'bird.pid')], { reject: false });
  ours = await SpeakerProcess.start(NS_OURS, tmp.dir, {
    options: {
      asn: 65101, routerId: '10.77.0.1', multipath: false,
      neighbors: [{
        node: 'bird', address: '10.77.0.2', remoteAs: 65102, localAddress: '10.77.0.1', localAddress6: 'fd77::1', interface: 'bgpe0',
        kind: 'ebgp', holdTime: 9, keepalive: 3, import: { terms: [], default: 'accept' }, export: { terms: [], default: 'accept' },
      }, {
        node: 'bird', address: 'fd77::2', remoteAs: 65102, localAddress: 'fd77::1', interface: 'bgpe0',
        kind: 'ebgp', holdTime: 9, keepalive: 3, import: { terms: [], default: 'accept' }, export: { terms: [], default: 'accept' },
      }],
    },
    originate: ['198.51.100.0/24', '2001:db8:a::/48'],
  });
}, 120_000);

afterAll(async () => {
  ours?.kill();
  bird?.kill('SIGKILL');
  await capture?.stop().catch(() => undefined);
  await deleteNamespaces([NS_OURS, NS_BIRD]);
  if (process.env.BGPE_KEEP === undefined) tmp.cleanup();
}, 30_000);

const ribAt = (prefix: string) => ours!.request<RibEntryInfo[]>('rib', { prefix });

describe('BGP interop with BIRD', () => {
  it('both sessions (over IPv4 and over IPv6) reach Established on both sides', async () => {
    await waitUntil('BIRD Established', async () => {
      const t = await birdc('show', 'protocols');
      return (/ours\s+BGP\s+---\s+up\s+.*Established/.test(t) && /ours6\s+BGP\s+---\s+up\s+.*Established/.test(t)) || undefined;
    });
    const n = await waitUntil('ours Established', async () => {
      const x = await ours!.request<NeighborInfo[]>('neighbors');
      return x.every((s) => s.state === 'Established') ? x : undefined;
    });
    expect(n.map((x) => [x.address, x.remoteAs, x.node])).toEqual([['10.77.0.2', 65102, 'bird'], ['fd77::2', 65102, 'bird']]);
  });

  it('IPv4 and IPv6 routes reach BIRD with AS_PATH 65101 and our next hop', async () => {
    const v4 = await waitUntil('198.51.100.0/24 at BIRD', async () => {
      const t = await birdc('show', 'route', 'all', '198.51.100.0/24');
      return t.includes('BGP.as_path') ? t : undefined;
    });
    expect(v4).toMatch(/BGP\.as_path: 65101\s*$/m);
    expect(v4).toMatch(/BGP\.next_hop: 10\.77\.0\.1\s*$/m);
    expect(v4).toMatch(/BGP\.origin: IGP/);
    const v6 = await waitUntil('2001:db8:a::/48 at BIRD', async () => {
      const t = await birdc('show', 'route', 'all', '2001:db8:a::/48');
      return t.includes('BGP.as_path') ? t : undefined;
    });
    expect(v6).toMatch(/BGP\.as_path: 65101\s*$/m);
    expect(v6).toMatch(/BGP\.next_hop: fd77::1\b/m);
    // Over the IPv6 session too, from protocol ours6.
    const both = await waitUntil('2001:db8:a::/48 from ours6', async () => {
      const t = await birdc('show', 'route', 'all', '2001:db8:a::/48', 'protocol', 'ours6');
      return t.includes('BGP.as_path') ? t : undefined;
    });
    expect(both).toMatch(/BGP\.next_hop: fd77::1\b/m);
  });

  it('BIRD\'s IPv4 and IPv6 routes reach us with AS_PATH 65102 and BIRD\'s next hop', async () => {
    const [v4] = await waitUntil('203.0.113.0/24 at ours', async () => { const r = await ribAt('203.0.113.0/24'); return r.length > 0 ? r : undefined; });
    expect(v4.paths).toHaveLength(1);
    expect(v4.paths[0]).toMatchObject({ from: '10.77.0.2', asPath: [65102], nextHop: '10.77.0.2', origin: 'igp', best: true });
    const [v6] = await waitUntil('2001:db8:b::/48 at ours from both sessions', async () => { const r = await ribAt('2001:db8:b::/48'); return r[0]?.paths.length === 2 ? r : undefined; });
    expect(v6.paths.map((p) => [p.from, p.asPath, p.nextHop]).sort()).toEqual([['10.77.0.2', [65102], 'fd77::2'], ['fd77::2', [65102], 'fd77::2']]);
    // Equal up to the peer address step: the lower address wins.
    expect(v6.paths.find((p) => p.best)?.from).toBe('10.77.0.2');
  });

  it('withdrawals propagate both ways', async () => {
    await ours!.request('withdraw', { prefixes: ['198.51.100.0/24', '2001:db8:a::/48'] });
    await waitUntil('withdrawn at BIRD', async () => {
      const t = (await birdc('show', 'route', 'protocol', 'ours')) + (await birdc('show', 'route', 'protocol', 'ours6'));
      return !t.includes('198.51.100.0/24') && !t.includes('2001:db8:a::/48') ? true : undefined;
    });
    await birdc('disable', 's4');
    await waitUntil('withdrawn at ours', async () => ((await ribAt('203.0.113.0/24')).length === 0 && (await ribAt('192.0.2.128/25')).length === 0) || undefined);
    expect((await ribAt('2001:db8:b::/48'))[0].paths).toHaveLength(2);
  });

  it('stopping our speaker sends Cease 6/2 with the shutdown text', async () => {
    await ours!.request('stop', { text: 'lab maintenance' });
    const t = await waitUntil('BIRD saw the shutdown', async () => {
      const s = await birdc('show', 'protocols', 'all', 'ours');
      return /Administrative shutdown/i.test(s) ? s : undefined;
    });
    expect(t).toMatch(/lab maintenance/);
  });

  it('tshark decodes every message we sent with no malformed packet or expert warning', async () => {
    await new Promise((r) => setTimeout(r, 300));
    await capture!.stop();
    const r = await tsharkCheck(CAPTURE, '10.77.0.1');
    // OPEN, KEEPALIVEs, UPDATEs (IPv4, IPv6, End-of-RIB, withdrawals), NOTIFICATION.
    expect(r.messages).toBeGreaterThanOrEqual(6);
    expect(r.problems).toBe('');
    const r6 = await tsharkCheck(CAPTURE, 'fd77::1');
    expect(r6.messages).toBeGreaterThanOrEqual(5);
    expect(r6.problems).toBe('');
    const types = String((await execa('tshark', ['-r', CAPTURE, '-Y', 'bgp && ip.src == 10.77.0.1', '-T', 'fields', '-e', 'bgp.type'])).stdout);
    for (const t of ['1', '2', '3', '4']) expect(types.split(/[\n,]/)).toContain(t);
  });
});
