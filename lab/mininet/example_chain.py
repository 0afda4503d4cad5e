#!/usr/bin/python3
"""A three-router chain of anycast-lab routers built with Mininet's own API.

    h1 --- r1 --- r2 --- r3 --- h2
         AS65001 AS65002 AS65003

Each router runs our BGP router process (lab/mininet/anycast_lab.py); they
learn each other's connected subnets over eBGP, the hosts' default routes
point at their routers, and h1 pings h2 across the chain.

Run as root (after `npx tsc -p .` built dist/), preferably inside a network
namespace of its own so Mininet never touches the host's interfaces:

    ip netns add mn1
    ip netns exec mn1 /usr/bin/python3 lab/mininet/example_chain.py [--cli] [--dataplane kernel]
    ip netns del mn1

With `mn`:  mn --custom lab/mininet/example_chain.py --topo anycastchain
            --switch lxbr --controller none
(then wait a few seconds for BGP before `h1 ping h2`).

Exit status 0 when h1's pings to h2 are answered.
"""

import argparse
import inspect
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
# `mn --custom` runs this file with exec() and no __file__: the code object knows the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(inspect.currentframe().f_code.co_filename)))

from mininet.cli import CLI  # noqa: E402
from mininet.log import info, setLogLevel  # noqa: E402
from mininet.net import Mininet  # noqa: E402
from mininet.nodelib import LinuxBridge  # noqa: E402
from mininet.topo import Topo  # noqa: E402

from anycast_lab import AnycastLabRouter, control_request, run_dir, wait_converged  # noqa: E402


class ChainTopo(Topo):
    """h1 - r1 - r2 - r3 - h2: /24 subnets at the hosts, /30s between routers."""

    def build(self, dataplane='userspace'):
        h1 = self.addHost('h1', ip='10.0.1.2/24', defaultRoute='via 10.0.1.1')
        h2 = self.addHost('h2', ip='10.0.2.2/24', defaultRoute='via 10.0.2.1')
        r1 = self.addNode('r1', cls=AnycastLabRouter, asn=65001, dataplane=dataplane)
        r2 = self.addNode('r2', cls=AnycastLabRouter, asn=65002, dataplane=dataplane)
        r3 = self.addNode('r3', cls=AnycastLabRouter, asn=65003, dataplane=dataplane)
        self.addLink(h1, r1, intfName2='r1-eth0', params2={'ip': '10.0.1.1/24'})
        self.addLink(r1, r2, intfName1='r1-eth1', params1={'ip': '10.0.12.1/30'}, intfName2='r2-eth0', params2={'ip': '10.0.12.2/30'})
        self.addLink(r2, r3, intfName1='r2-eth1', params1={'ip': '10.0.23.1/30'}, intfName2='r3-eth0', params2={'ip': '10.0.23.2/30'})
        self.addLink(r3, h2, intfName1='r3-eth1', params1={'ip': '10.0.2.1/24'})


topos = {'anycastchain': ChainTopo}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cli', action='store_true', help="drop into Mininet's CLI after the ping")
    ap.add_argument('--dataplane', choices=('userspace', 'kernel'), default='userspace')
    ap.add_argument('--count', type=int, default=3, help='pings from h1 to h2')
    args = ap.parse_args()
    setLogLevel('info')
    net = Mininet(topo=ChainTopo(dataplane=args.dataplane), switch=LinuxBridge, controller=None, autoSetMacs=True)
    ok = False
    try:
        net.start()
        info('*** Waiting for BGP (files in %s)\n' % run_dir())
        info('*** Converged in %.2f s\n' % wait_converged(net, timeout=60))
        h1, h2, r1 = net.get('h1', 'h2', 'r1')
        info(r1.cmd('ip route show proto bgp'))
        out = h1.cmd('ping -c %d -i 0.2 -W 2 %s' % (args.count, h2.IP()))
        info(out)
        ok = (' %d received' % args.count) in out
        counters = control_request(net.get('r2').control_socket, 'show.counters') or {}
        fwd = sum(v for k, v in counters.items() if k.endswith('.forwarded'))
        info('*** r2 forwarded %d packets in %s\n' % (fwd, 'its kernel' if args.dataplane == 'kernel' else 'userspace'))
        info('*** h1 -> h2: %s\n' % ('OK' if ok else 'FAILED'))
        if args.cli:
            CLI(net)
    finally:
        net.stop()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
