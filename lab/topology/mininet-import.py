"""Import a Mininet Python topology and print it as JSON on stdout.

Usage: python3 mininet-import.py FILE NAME ARGS_JSON
       python3 mininet-import.py --builtin TOPO_STRING...   (mn's own --topo classes)

Runs FILE (a Mininet custom topology: `topos = { 'name': TopoClass }`),
instantiates topos[NAME](*args, **kwargs) and prints nodes(), nodeInfo(n),
links(sort=True, withKeys=True, withInfo=True) with ports and link options,
plus the line of FILE where each node and link was added.

Uses the real mininet package when importable (Debian installs it for
/usr/bin/python3), otherwise a minimal stand-in of mininet.topo.Topo with the
same port numbering (Topo.addPort) and link order (links(sort=True)).
MININET_IMPORT_STAND_IN=1 forces the stand-in (for tests).
Never executes anything but FILE itself; output is JSON only.
"""
import json
import os
import re
import sys
import traceback
import types

REAL = os.environ.get('MININET_IMPORT_STAND_IN') != '1'
if REAL:
    try:
        from mininet.topo import Topo  # noqa: F401
    except Exception:  # ImportError, or a broken install
        REAL = False


def natural(text):
    return [int(s) if s.isdigit() else s for s in re.split(r'(\d+)', str(text))]


def install_stand_in():
    """A minimal mininet.topo.Topo (and permissive stubs of the other modules)."""

    class StandInTopo(object):
        def __init__(self, *args, **params):
            self._nodes = {}
            self._edges = []
            self.hopts = params.pop('hopts', {})
            self.sopts = params.pop('sopts', {})
            self.lopts = params.pop('lopts', {})
            self.ports = {}
            self.build(*args, **params)

        def build(self, *args, **params):
            pass

        def addNode(self, name, **opts):
            self._nodes[name] = opts
            return name

        def addHost(self, name, **opts):
            if not opts and self.hopts:
                opts = self.hopts
            return self.addNode(name, **opts)

        def addSwitch(self, name, **opts):
            if not opts and self.sopts:
                opts = self.sopts
            return self.addNode(name, isSwitch=True, **opts)

        def isSwitch(self, n):
            return self._nodes.get(n, {}).get('isSwitch', False)

        def addPort(self, src, dst, sport=None, dport=None):
            ports = self.ports
            ports.setdefault(src, {})
            ports.setdefault(dst, {})
            if sport is None:
                sport = len(ports[src]) + (1 if self.isSwitch(src) else 0)
            if dport is None:
                dport = len(ports[dst]) + (1 if self.isSwitch(dst) else 0)
            ports[src][sport] = (dst, dport)
            ports[dst][dport] = (src, sport)
            return sport, dport

        def addLink(self, node1, node2, port1=None, port2=None, key=None, **opts):
            if not opts and self.lopts:
                opts = self.lopts
            self._nodes.setdefault(node1, {})
            self._nodes.setdefault(node2, {})
            port1, port2 = self.addPort(node1, node2, port1, port2)
            opts = dict(opts)
            opts.update(node1=node1, node2=node2, port1=port1, port2=port2)
            same = [k for (a, b, k, _) in self._edges if {a, b} == {node1, node2} and isinstance(k, int)]
            if key is None:
                key = max([0] + same) + 1
            self._edges.append((node1, node2, key, opts))
            return key

        def nodes(self, sort=True):
            names = list(self._nodes)
            return sorted(names, key=natural) if sort else names

        def hosts(self, sort=True):
            return [n for n in self.nodes(sort) if not self.isSwitch(n)]

        def switches(self, sort=True):
            return [n for n in self.nodes(sort) if self.isSwitch(n)]

        def nodeInfo(self, name):
            return self._nodes[name]

        def links(self, sort=False, withKeys=False, withInfo=False):
            out = []
            for (a, b, k, info) in self._edges:
                t = (info['node1'], info['node2'])
                if withKeys:
                    t = t + (k,)
                if withInfo:
                    t = t + (info,)
                out.append(t)
            if sort:
                size = 3 if withKeys else 2
                out.sort(key=lambda l: [natural(x) for x in l[:size]])
            return out

    class Anything(object):
        def __init__(self, *a, **k):
            pass

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        m.__getattr__ = lambda attr: Anything  # from mininet.node import Host, ...
        sys.modules[name] = m
        return m

    def irange(start, end):
        return range(start, end + 1)

    root = module('mininet')
    root.topo = module('mininet.topo', Topo=StandInTopo)
    root.util = module('mininet.util', irange=irange, natural=natural)
    root.log = module('mininet.log', setLogLevel=lambda *a: None, info=lambda *a: None,
                      warn=lambda *a: None, error=lambda *a: None, debug=lambda *a: None)
    for sub in ('net', 'node', 'link', 'cli', 'nodelib', 'topolib', 'clean'):
        setattr(root, sub, module('mininet.' + sub))
    return StandInTopo


def track_lines(topo_cls, path):
    """Record the line of `path` that added each node and link."""
    node_lines, link_lines = {}, {}
    target = os.path.abspath(path) if path else None
    orig_node, orig_link = topo_cls.addNode, topo_cls.addLink

    def caller_line():
        f = sys._getframe(2)
        while f is not None:
            if target and os.path.abspath(f.f_code.co_filename) == target:
                return f.f_lineno
            f = f.f_back
        return 0

    def addNode(self, name, **opts):
        node_lines.setdefault(name, caller_line())
        return orig_node(self, name, **opts)

    def addLink(self, node1, node2, *a, **k):
        key = orig_link(self, node1, node2, *a, **k)
        link_lines[(node1, node2, key)] = caller_line()
        return key

    topo_cls.addNode, topo_cls.addLink = addNode, addLink
    return node_lines, link_lines


def jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return {'python': getattr(v, '__name__', None) or repr(v)}


def parse_topo_string(s):
    """mininet.util.splitArgs: name,arg,...,key=value."""
    def num(x):
        try:
            return int(x)
        except ValueError:
            try:
                return float(x)
            except ValueError:
                return x
    parts = s.split(',')
    args = [num(p) for p in parts[1:] if '=' not in p]
    kwargs = dict((p.split('=', 1)[0], num(p.split('=', 1)[1])) for p in parts[1:] if '=' in p)
    return parts[0], args, kwargs


def fail(message, line=0):
    print(json.dumps({'error': message, 'line': line}))
    sys.exit(2)


def describe(topo, node_lines, link_lines):
    nodes = [{'name': n, 'isSwitch': bool(topo.isSwitch(n)), 'info': jsonable(topo.nodeInfo(n)),
              'line': node_lines.get(n, 0)} for n in topo.nodes()]
    links = []
    for (n1, n2, key, info) in topo.links(sort=True, withKeys=True, withInfo=True):
        opts = {k: jsonable(v) for k, v in info.items() if k not in ('node1', 'node2', 'port1', 'port2')}
        links.append({'node1': n1, 'node2': n2, 'port1': info.get('port1'), 'port2': info.get('port2'),
                      'opts': opts, 'line': link_lines.get((n1, n2, key), 0)})
    return {'mininet': 'real' if REAL else 'stand-in', 'hosts': topo.hosts(), 'switches': topo.switches(),
            'nodes': nodes, 'links': links}


def builtin(topo_string):
    """One of mn's own --topo topologies, from the real mininet package."""
    from mininet.topo import MinimalTopo, LinearTopo, SingleSwitchReversedTopo, SingleSwitchTopo
    from mininet.topolib import TreeTopo, TorusTopo
    topos = {'minimal': MinimalTopo, 'linear': LinearTopo, 'reversed': SingleSwitchReversedTopo,
             'single': SingleSwitchTopo, 'tree': TreeTopo, 'torus': TorusTopo}
    name, args, kwargs = parse_topo_string(topo_string)
    if name not in topos:
        fail("no topology '%s'" % name)
    return describe(topos[name](*args, **kwargs), {}, {})


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == '--builtin':
        if not REAL:
            fail('the mininet package is not importable by ' + sys.executable)
        if len(sys.argv) == 3:
            print(json.dumps(builtin(sys.argv[2])))
        else:
            print(json.dumps({'topos': {t: builtin(t) for t in sys.argv[2:]}}))
        return
    if len(sys.argv) != 4:
        fail('usage: mininet-import.py FILE NAME ARGS_JSON | --builtin TOPO...')
    path, name = sys.argv[1], sys.argv[2]
    spec = json.loads(sys.argv[3])
    args, kwargs = spec.get('args', []), spec.get('kwargs', {})
    topo_cls = Topo if REAL else install_stand_in()
    node_lines, link_lines = track_lines(topo_cls, path)
    import runpy
    try:
        ns = runpy.run_path(path, run_name='__mininet_custom__')
    except SystemExit:
        fail('the file called exit() while loading')
    except Exception as e:
        tb = [fr for fr in traceback.extract_tb(e.__traceback__) if os.path.abspath(fr.filename) == os.path.abspath(path)]
        fail('%s: %s' % (type(e).__name__, e), tb[-1].lineno if tb else 0)
    topos = ns.get('topos')
    if not isinstance(topos, dict):
        fail("the file defines no 'topos' dictionary (topos = { 'name': MyTopo })")
    if name not in topos:
        fail("no topology '%s'; the file defines: %s" % (name, ', '.join(sorted(topos)) or 'none'))
    try:
        topo = topos[name](*args, **kwargs)
    except Exception as e:
        tb = [fr for fr in traceback.extract_tb(e.__traceback__) if os.path.abspath(fr.filename) == os.path.abspath(path)]
        fail('building %s: %s: %s' % (name, type(e).__name__, e), tb[-1].lineno if tb else 0)
    print(json.dumps(describe(topo, node_lines, link_lines)))


if __name__ == '__main__':
    main()
