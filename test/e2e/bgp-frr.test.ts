/**
 * Interop with FRR (Debian's frr: zebra + bgpd, per-instance sockets as in
 * /work/shared/reference/peers.md) as root: our speaker in one namespace,
 * FRR in another. Established on both sides; IPv4 and IPv6 routes both ways
 * with the right AS_PATH and NEXT_HOP; withdrawals both ways; Cease 6/2 with
 * its text on stop; tshark finds nothing malformed in what we sent.
 */
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, execaSync, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeighborInfo, RibEntryInfo } from '../../src/control/protocol.js';
import {
  buildSpeaker, deleteNamespaces, inNs, makeLink, SpeakerProcess, startCapture, tempDir, tsharkCheck, uniqueId, waitUntil,
} from './bgp-harness.js';

const id = uniqueId();
const NS_OURS = `bgpf-${id}-a`;
const NS_FRR = `bgpf-${id}-b`;
const tmp = tempDir(`bgpf-${id}-`);
const DIR = tmp.dir;
const CAPTURE = join(DIR, 'capture.pcap');

const daemons: ResultPromise[] = [];
let ours: SpeakerProcess | undefined;
let capture: { stop: () => Promise<void> } | undefined;

const BGPD_CONF = `
frr defaults traditional
hostname frrpeer
log stdout
router bgp 65202
 bgp router-id 10.78.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.78.0.1 remote-as 65201
 neighbor 10.78.0.1 timers 3 9
 neighbor 10.78.0.1 timers connect 1
 address-family ipv4 unicast
  network 203.0.113.0/24
 exit-address-family
 address-family ipv6 unicast
  neighbor 10.78.0.1 activate
  network 2001:db8:f::/48
 exit-address-family
`;

async function vtysh(...commands: string[]): Promise<string> {
  return inNs(NS_FRR, ['vtysh', '--vty_socket', DIR, ...commands.flatMap((c) => ['-c', c])], { reject: false });
}

async function frrJson(command: string): Promise<Record<string, any>> {
  const t = await vtysh(command);
  return JSON.parse(t.trim() === '' ? '{}' : t);
}

/** The daemons drop to user frr, which must own the instance directory (peers.md). */
function frrUid(): { uid: number; gid: number } {
  const id = (flag: string) => Number(String(execaSync('id', [flag, 'frr']).stdout).trim());
  return { uid: id('-u'), gid: id('-g') };
}

beforeAll(async () => {
  await buildSpeaker();
  await makeLink(
    { ns: NS_OURS, dev: 'bgpf0', v4: '10.78.0.1/30', v6: 'fd78::1/64' },
    { ns: NS_FRR, dev: 'bgpf1', v4: '10.78.0.2/30', v6: 'fd78::2/64' },
  );
  capture = await startCapture(NS_FRR, 'bgpf1', CAPTURE);
  const conf = join(DIR, 'bgpd.conf');
  writeFileSync(conf, BGPD_CONF);
  const { uid, gid } = frrUid();
  chownSync(DIR, uid, gid);
  chownSync(conf, uid, gid);
  const zserv = join(DIR, 'zserv.api');
  daemons.push(execa('ip', ['netns', 'exec', NS_FRR, '/usr/lib/frr/zebra', '-z', zserv, '--vty_socket', DIR, '-i', join(DIR, 'zebra.pid')], { reject: false, buffer: false }));
  await waitUntil('zebra socket', async () => (await execa('test', ['-S', zserv], { reject: false })).exitCode === 0 || undefined, 10_000);
  daemons.push(execa('ip', ['netns', 'exec', NS_FRR, '/usr/lib/frr/bgpd', '-z', zserv, '--vty_socket', DIR, '-i', join(DIR, 'bgpd.pid'), '-P', '0', '-f', conf], { reject: false, buffer: false }));
  ours = await SpeakerProcess.start(NS_OURS, DIR, {
    options: {
      asn: 65201, routerId: '10.78.0.1', multipath: false,
      neighbors: [{
        node: 'frr', address: '10.78.0.2', remoteAs: 65202, localAddress: '10.78.0.1', localAddress6: 'fd78::1', interface: 'bgpf0',
        kind: 'ebgp', holdTime: 9, keepalive: 3, import: { terms: [], default: 'accept' }, export: { terms: [], default: 'accept' },
      }],
    },
    originate: ['198.51.100.0/24', '2001:db8:a::/48'],
  });
}, 120_000);

afterAll(async () => {
  ours?.kill();
  for (const d of daemons) d.kill('SIGKILL');
  await Promise.all(daemons.map((d) => d.catch(() => undefined)));
  await capture?.stop().catch(() => undefined);
  await deleteNamespaces([NS_OURS, NS_FRR]);
  if (process.env.BGPE_KEEP === undefined) tmp.cleanup();
}, 30_000);

const ribAt = (prefix: string) => ours!.request<RibEntryInfo[]>('rib', { prefix });

describe('BGP interop with FRR', () => {
  it('the session reaches Established on both sides', async () => {
    await waitUntil('FRR Established', async () => (await frrJson('show bgp neighbors 10.78.0.1 json'))['10.78.0.1']?.bgpState === 'Established' || undefined, 20_000);
    const n = await waitUntil('ours Established', async () => {
      const [x] = await ours!.request<NeighborInfo[]>('neighbors');
      return x.state === 'Established' ? x : undefined;
    });
    expect(n).toMatchObject({ address: '10.78.0.2', remoteAs: 65202, node: 'frr' });
  }, 60_000);

  it('IPv4 and IPv6 routes reach FRR with AS_PATH 65201 and our next hop', async () => {
    const v4 = await waitUntil('198.51.100.0/24 at FRR', async () => {
      const j = await frrJson('show bgp ipv4 unicast 198.51.100.0/24 json');
      return j.paths?.length > 0 ? j : undefined;
    });
    expect(v4.paths[0].aspath.string).toBe('65201');
    expect(v4.paths[0].nexthops[0].ip).toBe('10.78.0.1');
    const v6 = await waitUntil('2001:db8:a::/48 at FRR', async () => {
      const j = await frrJson('show bgp ipv6 unicast 2001:db8:a::/48 json');
      return j.paths?.length > 0 ? j : undefined;
    });
    expect(v6.paths[0].aspath.string).toBe('65201');
    expect(v6.paths[0].nexthops[0].ip).toBe('fd78::1');
  });

  it('FRR\'s IPv4 and IPv6 routes reach us with AS_PATH 65202 and FRR\'s next hop', async () => {
    const [v4] = await waitUntil('203.0.113.0/24 at ours', async () => { const r = await ribAt('203.0.113.0/24'); return r.length > 0 ? r : undefined; });
    expect(v4.paths[0]).toMatchObject({ from: '10.78.0.2', asPath: [65202], nextHop: '10.78.0.2', origin: 'igp', best: true });
    const [v6] = await waitUntil('2001:db8:f::/48 at ours', async () => { const r = await ribAt('2001:db8:f::/48'); return r.length > 0 ? r : undefined; });
    expect(v6.paths[0]).toMatchObject({ asPath: [65202], nextHop: 'fd78::2' });
  });

  it('withdrawals propagate both ways', async () => {
    await ours!.request('withdraw', { prefixes: ['198.51.100.0/24'] });
    await waitUntil('withdrawn at FRR', async () => ((await frrJson('show bgp ipv4 unicast 198.51.100.0/24 json')).paths === undefined) || undefined);
    await vtysh('configure terminal', 'router bgp 65202', 'address-family ipv4 unicast', 'no network 203.0.113.0/24');
    await waitUntil('withdrawn at ours', async () => (await ribAt('203.0.113.0/24')).length === 0 || undefined);
    expect(await ribAt('2001:db8:f::/48')).toHaveLength(1);
  });

  it('stopping our speaker sends Cease 6/2 with the shutdown text', async () => {
    await ours!.request('stop', { text: 'lab maintenance' });
    const j = await waitUntil('FRR saw the shutdown', async () => {
      const n = (await frrJson('show bgp neighbors 10.78.0.1 json'))['10.78.0.1'];
      return n !== undefined && n.bgpState !== 'Established' ? n : undefined;
    });
    expect(JSON.stringify(j)).toMatch(/Administrative Shutdown/i);
    expect(JSON.stringify(j)).toMatch(/lab maintenance/);
  });

  it('tshark decodes every message we sent with no malformed packet or expert warning', async () => {
    await new Promise((r) => setTimeout(r, 300));
    await capture!.stop();
    const r = await tsharkCheck(CAPTURE, '10.78.0.1');
    expect(r.messages).toBeGreaterThanOrEqual(6);
    expect(r.problems).toBe('');
  });
});
