/**
 * The wire codecs, one module per protocol (see each module's header for its
 * RFCs and what it does not support). Views (`*View`) are for the data
 * plane's in-place work; `parse*` / `emit*` / `*Len` for everything else.
 */
export * from './result.js';
export * from './ip-protocol.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './icmpv4.js';
export * from './icmpv6.js';
export * from './udp.js';
