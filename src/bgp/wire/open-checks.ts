/**
 * OPEN checks that need the session's configuration, kept apart from
 * decoding (as GoBGP does), and capability negotiation.
 *
 * RFC 4271 §6.2 (version, peer AS, hold time, identifier), RFC 7607 (AS 0),
 * RFC 6286 §2.2 (identifier unique within an AS only), RFC 6793 (4-octet AS),
 * RFC 4760 §8 (families: no multiprotocol capability means IPv4 unicast),
 * RFC 2918 (route refresh), RFC 5492 (unknown capabilities ignored).
 * Also builds this speaker's own OPEN.
 * Not supported: hold-time policy beyond "0 or >= 3", role (RFC 9234), ADD-PATH.
 */
import { bgpError } from './errors.js';
import { AS_TRANS } from './as-path.js';
import { BGP_VERSION } from './open.js';
import { Afi, ErrorCode, OpenSubcode, Safi, type BgpError, type Capability, type OpenMessage } from './types.js';

export interface AddressFamily {
  readonly afi: number;
  readonly safi: number;
}

/** This side of the session, as configured. Times in seconds. */
export interface LocalSessionConfig {
  readonly localAsn: number;
  readonly bgpId: number;
  /** Proposed hold time: 0 or >= 3 (lab default 9). */
  readonly holdTime: number;
  /** The AS the peer must have. */
  readonly peerAsn: number;
  readonly families: readonly AddressFamily[];
  readonly routeRefresh?: boolean;
}

/** The session parameters both sides agreed on. */
export interface Negotiated {
  readonly peerAsn: number;
  readonly peerBgpId: number;
  readonly fourOctetAs: boolean;
  /** min of both proposals; 0 means no keepalives and no hold timer. */
  readonly holdTime: number;
  /** holdTime / 3, rounded down (RFC 4271 §10). */
  readonly keepaliveTime: number;
  readonly families: readonly AddressFamily[];
  readonly routeRefresh: boolean;
}

export type OpenCheckResult = { readonly ok: true; readonly negotiated: Negotiated } | { readonly ok: false; readonly error: BgpError };

export const DEFAULT_FAMILIES: readonly AddressFamily[] = [
  { afi: Afi.IPV4, safi: Safi.UNICAST },
  { afi: Afi.IPV6, safi: Safi.UNICAST },
];

const fail = (subcode: number, reason: string, data?: Uint8Array): OpenCheckResult => ({
  ok: false, error: bgpError(ErrorCode.OPEN_MESSAGE, subcode, 'session-reset', reason, data),
});

/** The OPEN this speaker sends. */
export function buildOpen(local: LocalSessionConfig): OpenMessage {
  const capabilities: Capability[] = local.families.map((f) => ({ kind: 'multiprotocol', afi: f.afi, safi: f.safi }) as const);
  if (local.routeRefresh !== false) capabilities.push({ kind: 'route-refresh' });
  capabilities.push({ kind: 'four-octet-as', asn: local.localAsn });
  return {
    type: 'open', version: BGP_VERSION, myAs: local.localAsn > 0xffff ? AS_TRANS : local.localAsn,
    holdTime: local.holdTime, bgpId: local.bgpId, capabilities,
  };
}

/** Check a decoded OPEN against the configuration and negotiate. */
export function checkOpen(open: OpenMessage, local: LocalSessionConfig): OpenCheckResult {
  if (open.version !== BGP_VERSION) return fail(OpenSubcode.UNSUPPORTED_VERSION, `version ${open.version}`, Uint8Array.of(0, BGP_VERSION));
  const as4 = open.capabilities.find((c): c is Extract<Capability, { kind: 'four-octet-as' }> => c.kind === 'four-octet-as');
  const peerAsn = as4 ? as4.asn : open.myAs;
  if (peerAsn === 0 || open.myAs === 0) return fail(OpenSubcode.BAD_PEER_AS, 'peer AS 0 (RFC 7607)');
  if (peerAsn !== local.peerAsn) return fail(OpenSubcode.BAD_PEER_AS, `peer AS ${peerAsn}, configured ${local.peerAsn}`);
  if (open.holdTime === 1 || open.holdTime === 2) return fail(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${open.holdTime}`);
  if (open.bgpId === 0) return fail(OpenSubcode.BAD_BGP_IDENTIFIER, 'BGP identifier 0');
  if (open.bgpId === local.bgpId && peerAsn === local.localAsn) {
    return fail(OpenSubcode.BAD_BGP_IDENTIFIER, 'internal peer uses our BGP identifier (RFC 6286 §2.2)');
  }

  const holdTime = Math.min(open.holdTime, local.holdTime);
  const peerFamilies = open.capabilities.filter((c): c is Extract<Capability, { kind: 'multiprotocol' }> => c.kind === 'multiprotocol');
  const offered: readonly AddressFamily[] = peerFamilies.length > 0 ? peerFamilies : [{ afi: Afi.IPV4, safi: Safi.UNICAST }];
  const families = local.families.filter((f) => offered.some((p) => p.afi === f.afi && p.safi === f.safi));
  return {
    ok: true,
    negotiated: {
      peerAsn, peerBgpId: open.bgpId, fourOctetAs: as4 !== undefined, holdTime, keepaliveTime: Math.floor(holdTime / 3), families,
      routeRefresh: local.routeRefresh !== false && open.capabilities.some((c) => c.kind === 'route-refresh'),
    },
  };
}
