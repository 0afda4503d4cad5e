"""Mininet nodes that run anycast-lab's router process.

Owns: AnycastLabRouter, a Mininet ``Node`` whose namespace runs our BGP
router (``node <repo>/dist/src/router/main.js CONFIG.json``), and
wait_converged(), which asks every such router over its control socket
whether its BGP sessions are up and quiet.

The router's JSON configuration (contract: src/router/config.ts) is written
from the node's own interfaces and addresses at configuration time, so a
script only says what Mininet already knows plus an AS number::

    topo.addNode('r1', cls=AnycastLabRouter, asn=65001)
    topo.addLink('h1', 'r1', params2={'ip': '10.0.1.1/24'})

Neighbours: every directly connected AnycastLabRouter, eBGP (iBGP when the
ASNs are equal), over the link's IPv4 addresses, accept-all policies; more
can be listed with ``neighbors=[{'address': ..., 'remoteAs': ...,
'interface': ...}]`` (e.g. a BIRD or FRR host). Every router announces its
connected IPv4 subnets (``originateConnected``) and the ``networks`` given.

Data plane: ``dataplane='userspace'`` (default: our FIB forwards transit, the
kernel's forwarding is off and the veths' offloads are off so frames carry
real checksums) or ``'kernel'`` (the kernel forwards with the routes the
router mirrors into it).

Files: ``$ANYCAST_LAB_MININET_DIR`` (default: a fresh /tmp directory per
Python process) holds ``<node>.json``, ``<node>.log`` and ``<node>.sock``.

Not supported: IPv6 sessions and addresses (Mininet's link parameters carry
IPv4), route policies beyond accept-all, anycast servers (their service and
health-check daemons are started by the lab, not by this module).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from mininet.node import Node

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ROUTER_MAIN = os.path.join(REPO, 'dist', 'src', 'router', 'main.js')

_run_dir = None


def run_dir():
    """The directory of configs, logs and control sockets (created once per process)."""
    global _run_dir
    if _run_dir is None:
        _run_dir = os.environ.get('ANYCAST_LAB_MININET_DIR') or tempfile.mkdtemp(prefix='anycast-lab-mininet-')
        os.makedirs(_run_dir, exist_ok=True)
    return _run_dir


def _peer_intf(intf):
    """The interface at the other end of intf's link, or None."""
    link = getattr(intf, 'link', None)
    if link is None:
        return None
    return link.intf2 if link.intf1 is intf else link.intf1


class AnycastLabRouter(Node):
    """A Mininet node running anycast-lab's router process.

    Parameters (as addNode/addHost keyword arguments): asn (required),
    neighbors (extra BGP peers), networks (prefixes to announce), dataplane
    ('userspace' or 'kernel'), hold and keepalive (BGP timers, seconds),
    router_id (default: the first interface address).
    """

    def __init__(self, name, **params):
        super().__init__(name, **params)
        self.router = None
        self.config_file = None
        self.control_socket = None

    @property
    def asn(self):
        return self.params.get('asn')

    def config(self, asn=None, neighbors=(), networks=(), dataplane='userspace', hold=9, keepalive=3, router_id=None, **params):
        # A router's addresses come from its links (params1/params2), not
        # from the node-wide default ip Mininet hands every host.
        params.pop('ip', None)
        r = super().config(ip=None, **params)
        if asn is None:
            raise ValueError('%s: AnycastLabRouter needs asn=' % self.name)
        if dataplane not in ('userspace', 'kernel'):
            raise ValueError('%s: dataplane must be userspace or kernel' % self.name)
        fwd = '1' if dataplane == 'kernel' else '0'
        for s in ('net.ipv4.ip_forward=' + fwd, 'net.ipv6.conf.all.forwarding=' + fwd,
                  'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'):
            self.cmd('sysctl -qw ' + s)
        cfg = self.router_config(asn, neighbors, networks, dataplane, hold, keepalive, router_id)
        if dataplane == 'userspace':
            for i in cfg['interfaces']:
                self.cmd('ethtool -K %s tx off tso off gso off gro off >/dev/null 2>&1' % i['name'])
        self.start_router(cfg)
        return r

    def router_config(self, asn, neighbors=(), networks=(), dataplane='userspace', hold=9, keepalive=3, router_id=None):
        """The router's configuration (src/router/config.ts) from this node's interfaces and links."""
        interfaces = []
        peers = []
        for intf in self.intfList():
            if intf.name == 'lo' or not intf.IP():
                continue
            interfaces.append({'name': intf.name, 'ipv4': '%s/%s' % (intf.IP(), intf.prefixLen), 'mtu': self._mtu(intf.name)})
            other = _peer_intf(intf)
            if other is None or not isinstance(other.node, AnycastLabRouter) or not other.IP():
                continue
            peers.append(self._neighbor(other.node.name, other.IP(), other.node.asn, intf.IP(), intf.name, asn, hold, keepalive))
        for n in neighbors:
            intf = self.intf(n['interface']) if n.get('interface') else self.defaultIntf()
            peers.append(self._neighbor(n.get('node'), n['address'], n['remoteAs'], n.get('localAddress') or intf.IP(), intf.name, asn, hold, keepalive))
        if not interfaces:
            raise ValueError('%s: no interface with an IPv4 address (give links params with ip=)' % self.name)
        d = run_dir()
        return {
            'version': 1,
            'lab': 'mininet',
            'node': self.name,
            'kind': 'router',
            'asn': asn,
            'routerId': router_id or interfaces[0]['ipv4'].split('/')[0],
            'dataplane': dataplane,
            'controlSocket': os.path.join(d, self.name + '.sock'),
            'interfaces': interfaces,
            'neighbors': peers,
            'networks': list(networks),
            'staticRoutes': [],
            'originateConnected': True,
            'multipath': False,
        }

    @staticmethod
    def _neighbor(node, address, remote_as, local_address, interface, asn, hold, keepalive):
        n = {
            'address': address,
            'remoteAs': remote_as,
            'localAddress': local_address,
            'interface': interface,
            'kind': 'ibgp' if remote_as == asn else 'ebgp',
            'import': {'terms': [], 'default': 'accept'},
            'export': {'terms': [], 'default': 'accept'},
            'holdTime': hold,
            'keepalive': keepalive,
        }
        if node:
            n['node'] = node
        return n

    def _mtu(self, ifname):
        out = self.cmd('ip -o link show dev %s' % ifname).split()
        return int(out[out.index('mtu') + 1]) if 'mtu' in out else 1500

    def start_router(self, cfg):
        """Writes the config and starts the router process in this node's namespace."""
        if not os.path.exists(ROUTER_MAIN):
            raise RuntimeError('%s is missing: build first (npx tsc -p %s)' % (ROUTER_MAIN, REPO))
        d = run_dir()
        self.config_file = os.path.join(d, self.name + '.json')
        self.control_socket = cfg['controlSocket']
        with open(self.config_file, 'w') as f:
            json.dump(cfg, f, indent=1)
        if os.path.exists(self.control_socket):
            os.unlink(self.control_socket)
        log = open(os.path.join(d, self.name + '.log'), 'w')
        node_bin = shutil.which('node') or 'node'
        self.router = self.popen([node_bin, ROUTER_MAIN, self.config_file], stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def bgp_status(self, timeout=2.0):
        """The router's `bgp.status` answer (sessions, established, msSinceLastUpdate), or None."""
        return control_request(self.control_socket, 'bgp.status', timeout=timeout)

    def terminate(self):
        """Stops the router (SIGTERM: its sessions close with a Cease), then the node."""
        p = self.router
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.router = None
        super().terminate()


def control_request(path, method, params=None, timeout=2.0):
    """One request on a router's control socket (JSON lines, src/control/protocol.ts); the result or None."""
    if not path or not os.path.exists(path):
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(path)
            s.sendall((json.dumps({'v': 1, 'id': 1, 'method': method, 'params': params or {}}) + '\n').encode())
            buf = b''
            while b'\n' not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                buf += chunk
        msg = json.loads(buf.split(b'\n', 1)[0])
        return msg.get('result') if msg.get('ok') else None
    except (OSError, ValueError):
        return None


def routers(net):
    """The network's AnycastLabRouter nodes."""
    return [h for h in net.hosts if isinstance(h, AnycastLabRouter)]


def wait_converged(net, timeout=60.0, quiet_ms=1000):
    """Waits until every router's sessions are Established and no UPDATE went by for quiet_ms.

    Returns the seconds it took; raises RuntimeError on timeout (naming the
    routers still waiting and where their logs are)."""
    t0 = time.time()
    while True:
        waiting = []
        for r in routers(net):
            if r.router is not None and r.router.poll() is not None:
                raise RuntimeError('%s: router process exited (%s); see %s' % (r.name, r.router.returncode, os.path.join(run_dir(), r.name + '.log')))
            st = r.bgp_status()
            ok = st is not None and st['established'] == st['sessions'] and (st['msSinceLastUpdate'] < 0 or st['msSinceLastUpdate'] >= quiet_ms)
            if not ok:
                waiting.append('%s (%s)' % (r.name, 'no answer' if st is None else '%d/%d established' % (st['established'], st['sessions'])))
        if not waiting:
            return time.time() - t0
        if time.time() - t0 > timeout:
            raise RuntimeError('not converged after %.0f s: %s; logs in %s' % (timeout, ', '.join(waiting), run_dir()))
        time.sleep(0.1)
