/**
 * Pieces of the lab> prompt that need no namespace: tab completion (the
 * first word, `show ROUTER` views, `capture NODE` interfaces, node names
 * elsewhere), node-name substitution, the iperf helpers (bandwidth parsing,
 * Mininet's rate format, the default pair), and the ARP/ND view.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../../lab/topology/load.js';
import { completions, substituteNodeNames } from '../../../lab/prompt.js';
import { formatBps, formatIperf, iperfPair, parseBandwidth } from '../../../lab/iperf.js';
import { formatArp } from '../../../lab/router-views.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const basic = () => loadTopologyFile(join(ROOT, 'topologies/anycast-basic.yaml'));
const LAB_COMMANDS = ['up', 'down', 'clean', 'cli', 'show', 'explain', 'trace', 'catchment', 'capture', 'iperf'];

describe('prompt completion', () => {
  it('the first word: prompt commands, lab commands (not up/down/clean/cli) and node names', async () => {
    const topo = await basic();
    expect(completions(topo, LAB_COMMANDS, 'cli')).toEqual([['client'], 'cli']);
    expect(completions(topo, LAB_COMMANDS, 'ex')[0]).toEqual(['exit', 'explain']);
    expect(completions(topo, LAB_COMMANDS, 'c')[0]).toEqual(['c', 'capture', 'catchment', 'client']);
    expect(completions(topo, LAB_COMMANDS, 'u')[0]).toEqual([]);
    expect(completions(topo, LAB_COMMANDS, 'ip')[0]).toEqual(['iperf']);
  });

  it('show ROUTER VIEW, capture NODE INTF, node names elsewhere', async () => {
    const topo = await basic();
    expect(completions(topo, LAB_COMMANDS, 'show r1 ')[0]).toEqual(['arp', 'bgp', 'counters', 'fib', 'interfaces', 'neighbors']);
    expect(completions(topo, LAB_COMMANDS, 'show r1 a')).toEqual([['arp'], 'a']);
    expect(completions(topo, LAB_COMMANDS, 'show r')[0]).toEqual(['r1', 'r2', 'r3']);
    expect(completions(topo, LAB_COMMANDS, 'capture r1 r1-eth')[0]).toEqual(['r1-eth0', 'r1-eth1', 'r1-eth2']);
    expect(completions(topo, LAB_COMMANDS, 'tcpdump b ')[0]).toEqual(['b-eth0']);
    expect(completions(topo, LAB_COMMANDS, 'client ping ')[0]).toEqual(['a', 'b', 'c', 'client', 'r1', 'r2', 'r3']);
  });

  it('node names after the command word become addresses', async () => {
    const topo = await basic();
    const out = substituteNodeNames(topo, ['ping', '-c1', 'b', 'client']);
    expect(out[0]).toBe('ping');
    expect(out[1]).toBe('-c1');
    expect(out[2]).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(out[3]).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(substituteNodeNames(topo, ['b', 'b'])[0]).toBe('b');
  });
});

describe('iperf helpers', () => {
  it('bandwidths: 10M, 500k, 1.5G, plain bits; anything else is not a rate', () => {
    expect(parseBandwidth('10M')).toBe(10e6);
    expect(parseBandwidth('500k')).toBe(500e3);
    expect(parseBandwidth('1.5G')).toBe(1.5e9);
    expect(parseBandwidth('64000')).toBe(64000);
    expect(parseBandwidth('10 M')).toBeUndefined();
    expect(parseBandwidth('fast')).toBeUndefined();
    expect(parseBandwidth('')).toBeUndefined();
  });

  it('Mininet\'s rate format and result line', () => {
    expect(formatBps(94_100_000)).toBe('94.1 Mbits/sec');
    expect(formatBps(9_800_000)).toBe('9.80 Mbits/sec');
    expect(formatBps(1_250_000_000)).toBe('1.25 Gbits/sec');
    expect(formatBps(900)).toBe('900.0 bits/sec');
    expect(formatIperf({ client: 'h1', server: 'h2', protocol: 'udp', seconds: 2, sentBps: 10e6, receivedBps: 9.8e6, lostPercent: 2 })).toBe(
      "*** Iperf: testing UDP bandwidth between h1 and h2 (2 s)\n*** Results: ['9.80 Mbits/sec', '10.0 Mbits/sec'], 2.00% lost\n",
    );
  });

  it('the default pair is the first and the last end system; one name or three is an error', async () => {
    const topo = await basic();
    expect(iperfPair(topo, []).map((n) => n.name)).toEqual(['client', 'c']);
    expect(iperfPair(topo, ['a', 'client']).map((n) => n.name)).toEqual(['a', 'client']);
    expect(() => iperfPair(topo, ['a'])).toThrow(/two hosts/);
    expect(() => iperfPair(topo, ['a', 'nope'])).toThrow(/no node 'nope'/);
  });
});

describe('show ROUTER arp', () => {
  it('one line per neighbour, sorted by interface then address; an unresolved one says so', () => {
    const text = formatArp([
      { interface: 'r1-eth2', address: '10.0.0.6', mac: '92:79:82:a7:87:aa', state: 'reachable' },
      { interface: 'r1-eth0', address: '10.0.0.0', state: 'incomplete' },
    ]);
    expect(text.split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(/^10\.0\.0\.0 +\(incomplete\) +incomplete +r1-eth0$/),
      expect.stringMatching(/^10\.0\.0\.6 +92:79:82:a7:87:aa +reachable +r1-eth2$/),
    ]);
    expect(formatArp([])).toBe('no neighbour entries\n');
  });
});
