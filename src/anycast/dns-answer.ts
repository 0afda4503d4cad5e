/**
 * The anycast site's DNS answers: a pure function from query bytes to reply
 * bytes, using the maintained `dns-packet` codec (no hand-written DNS).
 *
 *   id.server / hostname.bind  CH TXT  → the site's name (the convention
 *                                        root servers follow, RFC 4892 §2)
 *   NSID option in the query's OPT     → the site's name in the reply's OPT
 *                                        (RFC 5001 §2.3); EDNS replies carry
 *                                        an OPT of their own (RFC 6891 §6.1.1)
 *   A / AAAA for names of the demo zone → its addresses (authoritative)
 *   other names in the zone            → NXDOMAIN (with no answers)
 *   names outside the zone, other CH   → REFUSED
 *   opcode other than QUERY            → NOTIMP
 *
 * Malformed input (undecodable, a response, no question, more than one
 * question) gets no reply at all: the caller counts it. Never throws.
 * Not supported: TCP, DNSSEC, zone transfers, ANY, wildcards, delegation.
 */
import dnsPacket from 'dns-packet';
import type { Answer, Packet, Question } from 'dns-packet';

export const DNS_PORT = 53;
/** RFC 5001 §2.3. */
export const NSID_OPTION = 3;
const TXT_TTL = 0;
const ZONE_TTL = 60;

export interface DnsZone {
  /** Lower-case owner names without a trailing dot, e.g. "www.anycast.example". */
  readonly records: Readonly<Record<string, readonly string[]>>;
  /** The apex: names under it that are not in `records` are NXDOMAIN, others REFUSED. */
  readonly origin: string;
}

export interface DnsIdentity {
  readonly name: string;
  readonly zone: DnsZone;
}

export type DnsOutcome =
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'answered'; readonly rcode: string; readonly reply: Buffer; readonly question: string };

/** RFC 1035 §4.1.1 and RFC 6895 §2.3: the response codes this server uses. */
const RCODES = { NOERROR: 0, NOTIMP: 4, NXDOMAIN: 3, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODES;
const OPCODE_MASK = 0x7800;

const CHAOS_NAMES = new Set(['id.server', 'hostname.bind']);

function lower(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function inZone(zone: DnsZone, name: string): boolean {
  return name === zone.origin || name.endsWith(`.${zone.origin}`);
}

/** The demo zone for a site's anycast addresses. */
export function demoZone(addresses: readonly string[], origin = 'anycast.example'): DnsZone {
  return { origin, records: { [`www.${origin}`]: addresses, [`ns.${origin}`]: addresses } };
}

export function answerDns(query: Uint8Array, id: DnsIdentity): DnsOutcome {
  let q: Packet;
  try {
    q = dnsPacket.decode(Buffer.from(query.buffer, query.byteOffset, query.byteLength));
  } catch (err) {
    return { kind: 'malformed', reason: err instanceof Error ? err.message : 'undecodable' };
  }
  if (q.type !== 'query') return { kind: 'malformed', reason: 'not a query' };
  const questions = q.questions ?? [];
  if (questions.length !== 1) return { kind: 'malformed', reason: `${questions.length} questions` };
  const question = questions[0] as Question;
  const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { options?: { code: number }[] } | undefined;
  const wantsNsid = !!opt?.options?.some((o) => o.code === NSID_OPTION);
  const name = lower(question.name);
  const cls = String(question.class ?? 'IN');

  let rcode: Rcode = 'NOERROR';
  let aa = false;
  const answers: Answer[] = [];
  const opcode = (q as { opcode?: string }).opcode ?? 'QUERY';
  if (opcode !== 'QUERY') rcode = 'NOTIMP';
  else if (cls === 'CH') {
    if (CHAOS_NAMES.has(name) && (question.type === 'TXT' || (question.type as string) === 'ANY')) {
      answers.push({ name: question.name, type: 'TXT', class: 'CH', ttl: TXT_TTL, data: [id.name] } as Answer);
    } else if (!CHAOS_NAMES.has(name)) rcode = 'REFUSED';
  } else if (cls === 'IN' && inZone(id.zone, name)) {
    aa = true;
    const addrs = id.zone.records[name];
    if (!addrs) rcode = 'NXDOMAIN';
    else
      for (const a of addrs) {
        const type = a.includes(':') ? 'AAAA' : 'A';
        if (question.type === type) answers.push({ name: question.name, type, class: 'IN', ttl: ZONE_TTL, data: a } as Answer);
      }
  } else rcode = 'REFUSED';

  const additionals: Answer[] = [];
  if (opt) {
    additionals.push({
      name: '.',
      type: 'OPT',
      udpPayloadSize: 1232,
      flags: 0,
      options: wantsNsid ? [{ code: NSID_OPTION, data: Buffer.from(id.name) }] : [],
    } as unknown as Answer);
  }
  const reply: Packet = {
    type: 'response',
    id: q.id ?? 0,
    flags: ((q.flags ?? 0) & (OPCODE_MASK | dnsPacket.RECURSION_DESIRED)) | (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODES[rcode],
    questions: [question],
    answers,
    additionals,
  };
  let bytes: Buffer;
  try {
    bytes = dnsPacket.encode(reply);
  } catch (err) {
    return { kind: 'malformed', reason: `cannot encode a reply: ${err instanceof Error ? err.message : String(err)}` };
  }
  // The codec carries names as strings: a label with bytes that are not
  // UTF-8 comes back as U+FFFD (3 bytes each), so the echoed question could
  // outgrow 63 octets (RFC 1035 §2.3.4) or differ from what was asked.
  // Such a reply is never sent.
  if (!questionEchoed(bytes, question.name)) return { kind: 'malformed', reason: 'question name not representable' };
  return { kind: 'answered', rcode, reply: bytes, question: `${name} ${cls} ${question.type}` };
}

function questionEchoed(reply: Buffer, asked: string): boolean {
  try {
    return dnsPacket.decode(reply).questions?.[0]?.name === asked;
  } catch {
    return false;
  }
}
