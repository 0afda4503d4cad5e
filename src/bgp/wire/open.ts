/**
 * OPEN messages (RFC 4271 §4.2) with optional parameters and capabilities
 * (RFC 5492): multiprotocol (RFC 4760 §8), route refresh (RFC 2918),
 * 4-octet AS (RFC 6793); any other capability is kept as 'unknown' and
 * ignored (RFC 5492 §3).
 *
 * Owns: decoding without session context (errors: 2/1 version, 2/0 malformed
 * or overrunning parameters, 2/4 unknown parameter type or the RFC 9072
 * extended parameters form) and encoding. Checks that need the session
 * (peer AS, hold time, identifier) are in open-checks.ts.
 * Not supported: RFC 9072 extended optional parameters (rejected with 2/4;
 * this speaker never needs more than 255 bytes of parameters).
 */
import { ByteWriter, u16, u32 } from './bytes.js';
import { bgpError } from './errors.js';
import { frame, HEADER_LEN } from './header.js';
import { ErrorCode, MessageType, OpenSubcode, type BgpError, type Capability, type OpenMessage } from './types.js';

export const BGP_VERSION = 4;
export const OptionalParameter = { CAPABILITIES: 2, EXTENDED_LENGTH: 255 } as const;
export const CapabilityCode = { MULTIPROTOCOL: 1, ROUTE_REFRESH: 2, FOUR_OCTET_AS: 65 } as const;

export type OpenDecodeResult = { readonly ok: true; readonly open: OpenMessage } | { readonly ok: false; readonly error: BgpError };

const openError = (subcode: number, reason: string, data?: Uint8Array): OpenDecodeResult => ({
  ok: false, error: bgpError(ErrorCode.OPEN_MESSAGE, subcode, 'session-reset', reason, data),
});

/** Decode one whole OPEN message (header included). Never throws. */
export function decodeOpen(msg: Uint8Array): OpenDecodeResult {
  const o = HEADER_LEN;
  if (msg.length < o + 10) return openError(OpenSubcode.UNSPECIFIC, `OPEN of ${msg.length} bytes`);
  const version = msg[o];
  if (version !== BGP_VERSION) {
    return openError(OpenSubcode.UNSUPPORTED_VERSION, `version ${version}`, Uint8Array.of(0, BGP_VERSION));
  }
  const myAs = u16(msg, o + 1);
  const holdTime = u16(msg, o + 3);
  const bgpId = u32(msg, o + 5);
  const optLen = msg[o + 9];
  let p = o + 10;
  const end = p + optLen;
  if (optLen === 255 && p < msg.length && msg[p] === OptionalParameter.EXTENDED_LENGTH) {
    return openError(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, 'RFC 9072 extended optional parameters are not supported');
  }
  if (end !== msg.length) return openError(OpenSubcode.UNSPECIFIC, `optional parameters length ${optLen} does not match the message length ${msg.length}`);
  const capabilities: Capability[] = [];
  while (p < end) {
    if (p + 2 > end) return openError(OpenSubcode.UNSPECIFIC, 'truncated optional parameter header');
    const type = msg[p];
    const len = msg[p + 1];
    const vEnd = p + 2 + len;
    if (vEnd > end) return openError(OpenSubcode.UNSPECIFIC, `optional parameter ${type} overruns the parameters`);
    if (type !== OptionalParameter.CAPABILITIES) return openError(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `optional parameter type ${type}`);
    const r = decodeCapabilities(msg, p + 2, vEnd, capabilities);
    if (r) return r;
    p = vEnd;
  }
  return { ok: true, open: { type: 'open', version, myAs, holdTime, bgpId, capabilities } };
}

function decodeCapabilities(b: Uint8Array, start: number, end: number, out: Capability[]): OpenDecodeResult | undefined {
  let p = start;
  while (p < end) {
    if (p + 2 > end) return openError(OpenSubcode.UNSPECIFIC, 'truncated capability header');
    const code = b[p];
    const len = b[p + 1];
    const v = p + 2;
    if (v + len > end) return openError(OpenSubcode.UNSPECIFIC, `capability ${code} overruns its parameter`);
    const bad = (want: number) => openError(OpenSubcode.UNSPECIFIC, `capability ${code} length ${len}, expected ${want}`);
    switch (code) {
      case CapabilityCode.MULTIPROTOCOL:
        if (len !== 4) return bad(4);
        out.push({ kind: 'multiprotocol', afi: u16(b, v), safi: b[v + 3] });
        break;
      case CapabilityCode.ROUTE_REFRESH:
        if (len !== 0) return bad(0);
        out.push({ kind: 'route-refresh' });
        break;
      case CapabilityCode.FOUR_OCTET_AS:
        if (len !== 4) return bad(4);
        out.push({ kind: 'four-octet-as', asn: u32(b, v) });
        break;
      default:
        out.push({ kind: 'unknown', code, value: b.slice(v, v + len) });
    }
    p = v + len;
  }
  return undefined;
}

function writeCapability(w: ByteWriter, c: Capability): void {
  switch (c.kind) {
    case 'multiprotocol': w.u8(CapabilityCode.MULTIPROTOCOL).u8(4).u16(c.afi).u8(0).u8(c.safi); break;
    case 'route-refresh': w.u8(CapabilityCode.ROUTE_REFRESH).u8(0); break;
    case 'four-octet-as': w.u8(CapabilityCode.FOUR_OCTET_AS).u8(4).u32(c.asn); break;
    case 'unknown': w.u8(c.code).u8(c.value.length).bytes(c.value); break;
  }
}

/**
 * Encode an OPEN (header included). Capabilities go in one Capabilities
 * parameter each time 255 bytes are not exceeded; a new parameter is started
 * otherwise. Throws RangeError if they need more than 255 bytes in total.
 */
export function encodeOpen(m: OpenMessage): Uint8Array {
  const params = new ByteWriter(64);
  let cur = new ByteWriter(64);
  const flush = () => {
    if (cur.length === 0) return;
    params.u8(OptionalParameter.CAPABILITIES).u8(cur.length).bytes(cur.finish());
    cur = new ByteWriter(64);
  };
  for (const c of m.capabilities) {
    const one = new ByteWriter(8);
    writeCapability(one, c);
    if (cur.length + one.length > 255) flush();
    cur.bytes(one.finish());
  }
  flush();
  if (params.length > 255) throw new RangeError(`OPEN optional parameters of ${params.length} bytes`);
  const w = new ByteWriter(10 + params.length);
  w.u8(m.version).u16(m.myAs).u16(m.holdTime).u32(m.bgpId).u8(params.length).bytes(params.finish());
  return frame(MessageType.OPEN, w.finish());
}
