/**
 * The BGP-4 message and path-attribute model shared by the wire codec, the
 * FSM, the RIB and policy. Plain readonly values; the codec in this folder
 * turns bytes into these and back.
 *
 * RFC 4271 §4 (messages), §5 (path attributes); RFC 4760 (MP_REACH/MP_UNREACH);
 * RFC 6793 (4-octet AS, AS4_PATH, AS4_AGGREGATOR); RFC 5492 (capabilities);
 * RFC 2918 (ROUTE-REFRESH); RFC 7606 (revised error handling: actions);
 * RFC 8203 (shutdown communication).
 *
 * AS numbers are always held as 32-bit numbers here, whatever their width on
 * the wire: the codec converts using the session's negotiated 4-octet-AS flag
 * and merges AS4_PATH into AS_PATH (RFC 6793 §4.2.3) when the peer is an
 * old (2-octet) speaker.
 */
import type { IpPrefix } from '../../lib/prefix.js';

export const MessageType = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;

export const Afi = { IPV4: 1, IPV6: 2 } as const;
export const Safi = { UNICAST: 1 } as const;

export const AttrCode = {
  ORIGIN: 1, AS_PATH: 2, NEXT_HOP: 3, MULTI_EXIT_DISC: 4, LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6, AGGREGATOR: 7, COMMUNITIES: 8,
  MP_REACH_NLRI: 14, MP_UNREACH_NLRI: 15, AS4_PATH: 17, AS4_AGGREGATOR: 18,
} as const;

export const AttrFlag = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED_LENGTH: 0x10 } as const;

export const Origin = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;
export type OriginValue = 0 | 1 | 2;

/** Well-known communities (RFC 1997). */
export const WellKnownCommunity = { NO_EXPORT: 0xffffff01, NO_ADVERTISE: 0xffffff02, NO_EXPORT_SUBCONFED: 0xffffff03 } as const;

export const AsPathSegmentType = { AS_SET: 1, AS_SEQUENCE: 2 } as const;
export interface AsPathSegment {
  readonly type: 1 | 2;
  readonly asns: readonly number[];
}

export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  /** 4 bytes (IPv4), 16 (IPv6 global) or 32 (global followed by link-local). */
  readonly nextHop: Uint8Array;
  readonly nlri: readonly IpPrefix[];
}

export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly IpPrefix[];
}

/** An attribute this speaker does not interpret, kept byte for byte. */
export interface UnknownAttribute {
  readonly flags: number;
  readonly code: number;
  readonly value: Uint8Array;
}

/**
 * Decoded path attributes of one UPDATE. MP_REACH/MP_UNREACH are carried
 * here as on the wire; the RIB consumes them as NLRI/withdrawals.
 */
export interface PathAttributes {
  readonly origin?: OriginValue;
  readonly asPath?: readonly AsPathSegment[];
  /** IPv4 NEXT_HOP attribute (type 3). */
  readonly nextHop?: Uint8Array;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: Uint8Array };
  /** RFC 1997 communities as unsigned 32-bit numbers (ASN << 16 | value). */
  readonly communities?: readonly number[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /** Optional transitive and other attributes kept as received (partial bit set on re-advertisement). */
  readonly unknown?: readonly UnknownAttribute[];
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS 23456 when the real ASN is larger). */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP identifier as an unsigned 32-bit number. */
  readonly bgpId: number;
  readonly capabilities: readonly Capability[];
}

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 withdrawn routes field. */
  readonly withdrawn: readonly IpPrefix[];
  readonly attributes: PathAttributes;
  /** IPv4 NLRI field. */
  readonly nlri: readonly IpPrefix[];
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage { readonly type: 'keepalive' }

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 message subtype (1 BoRR, 2 EoRR); absent for a plain request (0). */
  readonly subtype?: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 6608, RFC 9687). */
export const ErrorCode = {
  MESSAGE_HEADER: 1, OPEN_MESSAGE: 2, UPDATE_MESSAGE: 3, HOLD_TIMER_EXPIRED: 4,
  FSM: 5, CEASE: 6, ROUTE_REFRESH: 7, SEND_HOLD_TIMER_EXPIRED: 8,
} as const;

export const HeaderSubcode = { CONNECTION_NOT_SYNCHRONIZED: 1, BAD_MESSAGE_LENGTH: 2, BAD_MESSAGE_TYPE: 3 } as const;
export const OpenSubcode = {
  UNSPECIFIC: 0, UNSUPPORTED_VERSION: 1, BAD_PEER_AS: 2, BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4, UNACCEPTABLE_HOLD_TIME: 6, UNSUPPORTED_CAPABILITY: 7,
} as const;
export const UpdateSubcode = {
  MALFORMED_ATTRIBUTE_LIST: 1, UNRECOGNIZED_WELL_KNOWN: 2, MISSING_WELL_KNOWN: 3, ATTRIBUTE_FLAGS: 4,
  ATTRIBUTE_LENGTH: 5, INVALID_ORIGIN: 6, INVALID_NEXT_HOP: 8, OPTIONAL_ATTRIBUTE: 9,
  INVALID_NETWORK_FIELD: 10, MALFORMED_AS_PATH: 11,
} as const;
export const FsmSubcode = { UNSPECIFIED: 0, OPEN_SENT: 1, OPEN_CONFIRM: 2, ESTABLISHED: 3 } as const;
export const CeaseSubcode = {
  MAX_PREFIXES: 1, ADMIN_SHUTDOWN: 2, PEER_DECONFIGURED: 3, ADMIN_RESET: 4, CONNECTION_REJECTED: 5,
  OTHER_CONFIG_CHANGE: 6, COLLISION_RESOLUTION: 7, OUT_OF_RESOURCES: 8, HARD_RESET: 9,
} as const;

/**
 * What an error obliges the receiver to do (RFC 7606 §2, §3(h): with several
 * errors in one message the strongest wins, in this order).
 */
export type ErrorAction = 'session-reset' | 'afi-safi-disable' | 'treat-as-withdraw' | 'attribute-discard';
export const ERROR_ACTION_STRENGTH: Readonly<Record<ErrorAction, number>> = {
  'session-reset': 3, 'afi-safi-disable': 2, 'treat-as-withdraw': 1, 'attribute-discard': 0,
};

/** A decode error is a NOTIFICATION (sent when action is session-reset) plus its RFC 7606 action. */
export interface BgpError {
  readonly code: number;
  readonly subcode: number;
  /** Never longer than the bytes received. */
  readonly data: Uint8Array;
  readonly action: ErrorAction;
  /** Human text for logs; tests assert on code/subcode/action, not on this. */
  readonly reason: string;
}

/** Session context the codec needs (negotiated in OPEN). */
export interface CodecContext {
  readonly fourOctetAs: boolean;
}
