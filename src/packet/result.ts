/**
 * The result shape every packet parser returns: parsers of untrusted bytes
 * never throw; a failure is a value naming what is wrong.
 *
 * Error codes are string constants, one table per protocol (`Ipv4Error`,
 * `UdpError`, …), of the form `<protocol>.<problem>`; tests and the data
 * plane's drop counters key on `code`, never on `message`.
 */

export interface PacketError<C extends string = string> {
  readonly code: C;
  readonly message: string;
}

export type Result<T, C extends string = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PacketError<C> };

/** A parsed header together with the payload it carries (a view into the input, not a copy). */
export interface Decoded<H> {
  readonly header: H;
  readonly payload: Uint8Array;
}

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<C extends string>(code: C, message: string): { readonly ok: false; readonly error: PacketError<C> } {
  return { ok: false, error: { code, message } };
}

export const EMPTY: Uint8Array = new Uint8Array(0);

/** Fixed-size copy of `n` bytes at `off` (used to detach addresses from a frame buffer). */
export function copyBytes(b: Uint8Array, off: number, n: number): Uint8Array {
  return b.slice(off, off + n);
}
