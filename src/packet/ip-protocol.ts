/**
 * IP protocol numbers / IPv6 Next Header values (IANA "Assigned Internet
 * Protocol Numbers") that the codecs name. Any other value is carried as a
 * plain number.
 */
export const IpProtocol = {
  HOPOPT: 0, ICMP: 1, TCP: 6, UDP: 17, IPV6_ROUTE: 43, IPV6_FRAG: 44, ESP: 50, AH: 51,
  ICMPV6: 58, IPV6_NONXT: 59, IPV6_OPTS: 60,
} as const;
