/**
 * The topology layer's public face: load a YAML file, a Mininet `--topo`
 * string or a Mininet Python topology, and get one validated `Topology`.
 */
export * from './types.js';
export { loadTopologyFile, loadTopologyText, NODE_KINDS } from './load.js';
export { buildTopology, DEFAULT_IPV4_POOL, DEFAULT_IPV6_POOL, ROUTER_KINDS, SPEAKER_KINDS } from './build.js';
export {
  loadMininetCustom, loadMininetCustomTopo, mininetTopology, mininetTopoGraph, MININET_TOPOS, naturalCompare, SYSTEM_PYTHON,
} from './mininet.js';
export { ACCEPT_ALL, REJECT_ALL, onlyPrefixes } from './policy.js';
