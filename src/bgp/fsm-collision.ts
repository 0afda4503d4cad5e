/**
 * BGP connection collision detection (RFC 4271 §6.8) as a pure decision.
 * Every router of a lab starts at once, so both sides usually connect to
 * each other at the same moment: this decides which TCP connection survives.
 *
 * Rule: keep the connection initiated by the speaker with the higher BGP
 * identifier (compared as unsigned 32-bit numbers); with equal identifiers
 * (allowed between different ASes, RFC 6286 §2.3) keep the one initiated by
 * the speaker with the larger AS number. A connection already Established
 * wins over a new one (CollisionDetectEstablishedState off, §8.1.1).
 * The losing connection's FSM gets OpenCollisionDump (Cease 6/7, RFC 4486).
 * Not here: finding the other connection (the session edge holds both).
 */
import type { BgpStateName } from './fsm.js';

export interface CollisionIds {
  readonly localId: number;
  readonly remoteId: number;
  readonly localAsn: number;
  readonly remoteAsn: number;
}

/** Which connection survives a collision: the one we initiated, or the one the peer initiated. */
export function collisionWinner(ids: CollisionIds): 'locally-initiated' | 'remotely-initiated' {
  const l = ids.localId >>> 0;
  const r = ids.remoteId >>> 0;
  if (l !== r) return l > r ? 'locally-initiated' : 'remotely-initiated';
  return ids.localAsn > ids.remoteAsn ? 'locally-initiated' : 'remotely-initiated';
}

export interface ConnectionView {
  readonly state: BgpStateName;
  readonly initiatedLocally: boolean;
}

export type CollisionOutcome = { readonly kind: 'none' } | { readonly kind: 'dump'; readonly which: 'this' | 'other' };

/**
 * Called when connection `self` has just received a valid OPEN from the peer
 * (so its identifier is known) while `other` is another connection to the
 * same peer, if any.
 */
export function detectCollision(self: ConnectionView, other: ConnectionView | undefined, ids: CollisionIds): CollisionOutcome {
  if (other === undefined) return { kind: 'none' };
  switch (other.state) {
    case 'Idle':
    case 'Connect':
    case 'Active':
      return { kind: 'none' };
    case 'Established':
      return { kind: 'dump', which: 'this' };
    case 'OpenSent':
    case 'OpenConfirm': {
      if (self.initiatedLocally === other.initiatedLocally) return { kind: 'dump', which: 'this' };
      const keep = collisionWinner(ids);
      const selfWins = (keep === 'locally-initiated') === self.initiatedLocally;
      return { kind: 'dump', which: selfWins ? 'other' : 'this' };
    }
  }
}
