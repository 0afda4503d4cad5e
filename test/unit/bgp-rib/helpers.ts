/** Small builders shared by the RIB tests. */
import { parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../../../src/lib/prefix.js';
import type { PathAttributes, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { Rib, type PeerConfig, type RibOptions } from '../../../src/bgp/rib/index.js';

export const LOCAL_AS = 65001;

export function pfx(text: string): IpPrefix {
  const r = parsePrefix(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export function addr(text: string): IpAddress {
  const r = parseAddress(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export function rid(text: string): number {
  const b = addr(text).bytes;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

export function mkRib(opts: Partial<RibOptions> = {}): Rib {
  return new Rib({ localAs: LOCAL_AS, routerId: rid('10.255.0.1'), ...opts });
}

/** Adds a neighbour n at 10.0.n.2 (our side 10.0.n.1) and brings it up with router id `routerId`. */
export function addUpPeer(rib: Rib, n: number, asn: number, opts: Partial<PeerConfig> & { routerId?: string } = {}): number {
  const ref = rib.addPeer({
    address: addr(`10.0.${n}.2`), localAddress: addr(`10.0.${n}.1`), asn,
    kind: asn === LOCAL_AS ? 'ibgp' : 'ebgp', name: `p${n}`,
    localAddress6: addr(`fd00:${n}::1`),
    ...opts,
  });
  rib.peerUp(ref.id, { routerId: rid(opts.routerId ?? `10.255.${n}.2`) });
  return ref.id;
}

export function attrs(path: readonly number[], extra: Partial<PathAttributes> = {}): PathAttributes {
  return { origin: 0, asPath: path.length > 0 ? [{ type: 2, asns: path }] : [], ...extra };
}

export function update(prefixes: readonly string[], a: PathAttributes, withdrawn: readonly string[] = []): UpdateMessage {
  return { type: 'update', withdrawn: withdrawn.map(pfx), attributes: a, nlri: prefixes.map(pfx) };
}

/** Announces `prefixes` from peer `id` with next hop = the peer's address. */
export function announce(rib: Rib, id: number, prefixes: readonly string[], a: PathAttributes): void {
  const nh = rib.peer(id).address.bytes;
  rib.enqueueUpdate(id, update(prefixes, { nextHop: nh, ...a }));
}
