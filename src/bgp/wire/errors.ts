/**
 * BGP decode errors as values: a NOTIFICATION (code, subcode, data) plus the
 * RFC 7606 action the receiver must take.
 *
 * Owns: constructors for `BgpError`, the "strongest action wins" rule
 * (RFC 7606 §3(h)) and the NOTIFICATION to send for a list of errors.
 * Does not: log, send or decide session policy (that is the FSM's job).
 */
import { ERROR_ACTION_STRENGTH, type BgpError, type ErrorAction } from './types.js';

const EMPTY = new Uint8Array(0);

export function bgpError(code: number, subcode: number, action: ErrorAction, reason: string, data: Uint8Array = EMPTY): BgpError {
  return { code, subcode, data, action, reason };
}

/** Strongest action among `errors` (RFC 7606 §3(h)), or undefined when there are none. */
export function strongestAction(errors: readonly BgpError[]): ErrorAction | undefined {
  let best: ErrorAction | undefined;
  for (const e of errors) {
    if (best === undefined || ERROR_ACTION_STRENGTH[e.action] > ERROR_ACTION_STRENGTH[best]) best = e.action;
  }
  return best;
}

/** The first error that carries the strongest action: the one whose NOTIFICATION is sent on session reset. */
export function strongestError(errors: readonly BgpError[]): BgpError | undefined {
  let best: BgpError | undefined;
  for (const e of errors) {
    if (best === undefined || ERROR_ACTION_STRENGTH[e.action] > ERROR_ACTION_STRENGTH[best.action]) best = e;
  }
  return best;
}
