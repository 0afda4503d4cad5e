#!/usr/bin/python3
"""Anycast with Mininet's API: two sites share 192.0.2.53; the nearer one answers.

    client --- r1 ------------ r2
               |               |
               s1              s2        (sites, AS 64500, both announce 192.0.2.0/24)
            AS65001         AS65002

The client asks `dig @192.0.2.53 id.server CH TXT`: s1 answers (AS path
"64500" at r1, against "65002 64500" via r2). Then s1's service stops, its
health checker withdraws 192.0.2.0/24, and the same question is answered by
s2. Run as root inside a namespace of its own (see example_chain.py):

    ip netns exec mn1 /usr/bin/python3 lab/mininet/example_anycast.py [--cli]

Exit status 0 when the answers are s1, then s2.
"""

import argparse
import inspect
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
# `mn --custom` runs this file with exec() and no __file__: the code object knows the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(inspect.currentframe().f_code.co_filename)))

from mininet.cli import CLI  # noqa: E402
from mininet.log import info, setLogLevel  # noqa: E402
from mininet.net import Mininet  # noqa: E402
from mininet.nodelib import LinuxBridge  # noqa: E402
from mininet.topo import Topo  # noqa: E402

from anycast_lab import AnycastLabRouter, AnycastLabServer, run_dir, wait_converged  # noqa: E402

ANYCAST = '192.0.2.53'


class AnycastTopo(Topo):
    def build(self):
        site = dict(cls=AnycastLabServer, asn=64500, anycast=[ANYCAST], prefixes=['192.0.2.0/24'])
        client = self.addHost('client', ip='10.0.1.2/24', defaultRoute='via 10.0.1.1')
        r1 = self.addNode('r1', cls=AnycastLabRouter, asn=65001)
        r2 = self.addNode('r2', cls=AnycastLabRouter, asn=65002)
        s1 = self.addNode('s1', **site)
        s2 = self.addNode('s2', **site)
        self.addLink(client, r1, intfName2='r1-eth0', params2={'ip': '10.0.1.1/24'})
        self.addLink(r1, r2, intfName1='r1-eth1', params1={'ip': '10.0.12.1/30'}, intfName2='r2-eth0', params2={'ip': '10.0.12.2/30'})
        self.addLink(r1, s1, intfName1='r1-eth2', params1={'ip': '10.0.13.1/30'}, intfName2='s1-eth0', params2={'ip': '10.0.13.2/30'})
        self.addLink(r2, s2, intfName1='r2-eth1', params1={'ip': '10.0.23.1/30'}, intfName2='s2-eth0', params2={'ip': '10.0.23.2/30'})


topos = {'anycast2': AnycastTopo}


def who_answers(client):
    """The site name in the TXT answer to id.server, or '' when nobody answered."""
    out = client.cmd('dig +short +tries=1 +time=1 @%s id.server CH TXT' % ANYCAST).strip()
    return out.strip('"') if out and not out.startswith(';') else ''


def wait_for_answer(client, site, timeout=20.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if who_answers(client) == site:
            return time.time() - t0
        time.sleep(0.2)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cli', action='store_true', help="drop into Mininet's CLI at the end")
    args = ap.parse_args()
    setLogLevel('info')
    net = Mininet(topo=AnycastTopo(), switch=LinuxBridge, controller=None, autoSetMacs=True)
    ok = False
    try:
        net.start()
        info('*** Waiting for BGP and the sites\' announcements (files in %s)\n' % run_dir())
        info('*** Converged in %.2f s\n' % wait_converged(net, timeout=60))
        client, r1, s1 = net.get('client', 'r1', 's1')
        # The failover needs the second site's path at r1 (via r2) before s1 goes.
        t0 = time.time()
        while r1.bgp_paths('192.0.2.0/24') < 2 and time.time() - t0 < 20:
            time.sleep(0.2)
        info('*** r1 holds %d paths to 192.0.2.0/24\n' % r1.bgp_paths('192.0.2.0/24'))
        info(r1.cmd('ip route show 192.0.2.0/24'))
        first = who_answers(client)
        info('*** client asks %s: id.server is "%s"\n' % (ANYCAST, first))
        s1.service_control('stop')
        info('*** s1: service stopped\n')
        moved = wait_for_answer(client, 's2')
        info('*** client asks %s: id.server is "%s"%s\n' % (ANYCAST, who_answers(client), '' if moved is None else ' (after %.1f s)' % moved))
        info(r1.cmd('ip route show 192.0.2.0/24'))
        ok = first == 's1' and moved is not None
        info('*** anycast failover: %s\n' % ('OK' if ok else 'FAILED'))
        if args.cli:
            CLI(net)
    finally:
        net.stop()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
