"""Mininet nodes that run anycast-lab's router process.

Owns: AnycastLabRouter, a Mininet ``Node`` whose namespace runs our BGP
router (``node <repo>/dist/src/router/main.js CONFIG.json``);
AnycastLabServer, an anycast site (the same router process as its BGP
speaker, plus our whoami/DNS service on the anycast addresses and the
health checker that announces the prefixes while the service answers);
and wait_converged(), which asks every such node over its control socket
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

Anycast sites: ``addNode('a', cls=AnycastLabServer, asn=64500,
anycast=['192.0.2.53'], prefixes=['192.0.2.0/24'])``. The service answers
whoami (UDP 7777) and DNS (``dig @192.0.2.53 id.server CH TXT`` gives the
site's name); the health checker probes it every 500 ms (rise 2, fall 3)
and tells the router to announce or withdraw (src/anycast/config.ts is the
contract of both configs).

Not supported: IPv6 sessions and addresses (Mininet's link parameters carry
IPv4), route policies beyond accept-all.
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
# The V8 options of every router process: ROUTER_NODE_FLAGS in src/router/config.ts.
ROUTER_NODE_FLAGS = ['--max-semi-space-size=8']
SERVICE_MAIN = os.path.join(REPO, 'dist', 'src', 'anycast', 'service-main.js')
HEALTH_MAIN = os.path.join(REPO, 'dist', 'src', 'anycast', 'health-main.js')
NODE = shutil.which('node') or 'node'
WHOAMI_PORT = 7777
DNS_PORT = 53

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
        self.router = self._spawn([NODE] + ROUTER_NODE_FLAGS + [ROUTER_MAIN, self.config_file], self.name)

    def _spawn(self, argv, log_name):
        log = open(os.path.join(run_dir(), log_name + '.log'), 'w')
        p = self.popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return p

    def bgp_status(self, timeout=2.0):
        """The router's `bgp.status` answer (sessions, established, msSinceLastUpdate), or None."""
        return control_request(self.control_socket, 'bgp.status', timeout=timeout)

    def bgp_paths(self, prefix, timeout=2.0):
        """How many BGP paths the router holds for prefix (its `show.rib` answer), 0 when none or no answer."""
        rib = control_request(self.control_socket, 'show.rib', {'prefix': prefix}, timeout=timeout) or []
        return sum(len(e.get('paths', [])) for e in rib if e.get('prefix') == prefix)

    def terminate(self):
        """Stops the router (SIGTERM: its sessions close with a Cease), then the node."""
        _stop(self.router)
        self.router = None
        super().terminate()


def _stop(p):
    """SIGTERM, then SIGKILL after 5 s."""
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class AnycastLabServer(AnycastLabRouter):
    """An anycast site: our router as its BGP speaker (kernel forwarding off,
    no connected subnets announced), the anycast addresses on lo, our
    whoami/DNS service bound to them, and the health checker that announces
    ``prefixes`` while the service answers and withdraws them when it stops.

    Parameters: asn, anycast (addresses), prefixes (announced), hold,
    keepalive, health (dict: intervalMs, rise, fall)."""

    def __init__(self, name, **params):
        super().__init__(name, **params)
        self.service = None
        self.health = None

    def config(self, anycast=(), prefixes=(), health=None, **params):
        if not anycast or not prefixes:
            raise ValueError('%s: AnycastLabServer needs anycast=[addresses] and prefixes=[...]' % self.name)
        self._anycast = {'addresses': [a.split('/')[0] for a in anycast], 'prefixes': list(prefixes)}
        self._health = dict({'intervalMs': 500, 'rise': 2, 'fall': 3}, **(health or {}))
        params['dataplane'] = 'kernel'
        r = super().config(**params)
        return r

    def router_config(self, asn, neighbors=(), networks=(), dataplane='kernel', hold=9, keepalive=3, router_id=None):
        cfg = super().router_config(asn, neighbors, networks, 'kernel', hold, keepalive, router_id)
        cfg.update(kind='anycast-server', originateConnected=False, anycast=self._anycast)
        return cfg

    def start_router(self, cfg):
        # A site never forwards transit; the service addresses live on lo.
        for s in ('net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0'):
            self.cmd('sysctl -qw ' + s)
        for a in self._anycast['addresses']:
            self.cmd('ip addr add %s/%d dev lo' % (a, 128 if ':' in a else 32))
        super().start_router(cfg)
        d = run_dir()
        svc = {'version': 1, 'name': self.name, 'addresses': self._anycast['addresses'], 'whoamiPort': WHOAMI_PORT,
               'dnsPort': DNS_PORT, 'zoneOrigin': 'anycast.example', 'controlSocket': os.path.join(d, self.name + '-service.sock')}
        hc = dict({'version': 1, 'name': self.name, 'address': self._anycast['addresses'][0], 'whoamiPort': WHOAMI_PORT,
                   'routerSocket': cfg['controlSocket'], 'serviceSocket': svc['controlSocket'],
                   'controlSocket': os.path.join(d, self.name + '-health.sock'), 'drainMs': 2000}, **self._health)
        for name, c in (('service', svc), ('health', hc)):
            with open(os.path.join(d, '%s-%s.json' % (self.name, name)), 'w') as f:
                json.dump(c, f, indent=1)
        self.service = self._spawn([NODE, SERVICE_MAIN, os.path.join(d, self.name + '-service.json')], self.name + '-service')
        # The checker talks to the router: start it once the router's control socket answers.
        deadline = time.time() + 20
        while self.bgp_status(timeout=0.5) is None and time.time() < deadline and self.router.poll() is None:
            time.sleep(0.05)
        self.health = self._spawn([NODE, HEALTH_MAIN, os.path.join(d, self.name + '-health.json')], self.name + '-health')

    def service_control(self, action):
        """Our service's control: 'stop' (the health checker then withdraws), 'start', 'reset-counters'."""
        return control_request(os.path.join(run_dir(), self.name + '-service.sock'), 'anycast.control', {'action': action})

    def anycast_status(self, timeout=2.0):
        """The router's `anycast.status` (announced or not), or None."""
        return control_request(self.control_socket, 'anycast.status', timeout=timeout)

    def terminate(self):
        for p in (self.health, self.service):
            _stop(p)
        self.health = self.service = None
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
    """Waits until every router's sessions are Established, every anycast site
    announces, and no UPDATE went by for quiet_ms.

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
            if ok and isinstance(r, AnycastLabServer):
                a = r.anycast_status()
                ok = bool(a and a.get('announced'))
                if not ok:
                    waiting.append('%s (not announced)' % r.name)
                    continue
            if not ok:
                waiting.append('%s (%s)' % (r.name, 'no answer' if st is None else '%d/%d established' % (st['established'], st['sessions'])))
        if not waiting:
            return time.time() - t0
        if time.time() - t0 > timeout:
            raise RuntimeError('not converged after %.0f s: %s; logs in %s' % (timeout, ', '.join(waiting), run_dir()))
        time.sleep(0.1)
