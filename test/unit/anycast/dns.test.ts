/**
 * The site's DNS answers, encoded and decoded with dns-packet, through the
 * real service on 127.0.0.1 and ::1 (ports chosen by the kernel), and the
 * pure answer function on a query captured here.
 *
 * Captured vector: `dig @192.0.2.53 id.server CH TXT +nsid +noadflag
 * +nocookie` (DiG 9.18) from the client of topologies/anycast-basic.yaml,
 * `tcpdump -x` on client-eth0; the UDP payload (42 bytes), id 0xb994, RD,
 * one question, an OPT (payload size 1232) carrying an empty NSID option.
 */
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerDns, demoZone, NSID_OPTION } from '../../../src/anycast/dns-answer.js';
import { AnycastService } from '../../../src/anycast/service.js';
import { defaultServiceConfig } from '../../../src/anycast/config.js';

const DIG_ID_SERVER_NSID = Buffer.from(
  'b99401000001000000000001' + '0269640673657276657200' + '00100003' + '00002904d000000000' + '000400030000',
  'hex',
);

const identity = { name: 'b', zone: demoZone(['192.0.2.53', '2001:db8::53']) };

function decode(buf: Buffer) {
  return dnsPacket.decode(buf) as dnsPacket.DecodedPacket & { rcode: string; opcode: string };
}

describe('answerDns (pure)', () => {
  it('the captured dig query: TXT "b" in class CH, and NSID "b" in the OPT', () => {
    expect(DIG_ID_SERVER_NSID.length).toBe(42);
    const r = answerDns(DIG_ID_SERVER_NSID, identity);
    expect(r.kind).toBe('answered');
    if (r.kind !== 'answered') return;
    const d = decode(r.reply);
    expect(d.id).toBe(0xb994);
    expect(d.type).toBe('response');
    expect(d.rcode).toBe('NOERROR');
    expect(d.flag_rd).toBe(true);
    expect(d.answers).toHaveLength(1);
    expect(d.answers![0]).toMatchObject({ name: 'id.server', type: 'TXT', class: 'CH' });
    expect((d.answers![0] as { data: Buffer[] }).data.map(String)).toEqual(['b']);
    const opt = d.additionals!.find((a) => a.type === 'OPT') as unknown as { options: { code: number; data: Buffer }[] };
    expect(opt.options.find((o) => o.code === NSID_OPTION)!.data.toString()).toBe('b');
  });

  it('malformed input is reported, never thrown', () => {
    for (const bad of [Buffer.alloc(0), Buffer.from('hello'), DIG_ID_SERVER_NSID.subarray(0, 20), Buffer.alloc(12, 0xff)]) {
      expect(answerDns(bad, identity).kind).toBe('malformed');
    }
    // A 63-octet label of 0xff bytes: the codec would echo it as 189 octets.
    const notUtf8 = Buffer.from('b99401000001000000000000' + '3f' + 'ff'.repeat(63) + '00' + '00100003', 'hex');
    expect(answerDns(notUtf8, identity)).toMatchObject({ kind: 'malformed', reason: 'question name not representable' });
    // A response is not a query.
    const resp = dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'id.server', type: 'TXT', class: 'CH' }] });
    expect(answerDns(resp, identity)).toMatchObject({ kind: 'malformed', reason: 'not a query' });
  });
});

describe('answerDns never throws (fast-check)', () => {
  it('on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const r = answerDns(bytes, identity);
      expect(['malformed', 'answered']).toContain(r.kind);
    }), { numRuns: 2000 });
  });

  it('on mutations of the captured query (flipped bytes, truncations); whatever it answers decodes', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(41), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.integer({ min: 0, max: 42 }), (flips, cut) => {
      const q = Buffer.from(DIG_ID_SERVER_NSID);
      for (const [i, v] of flips) q[i] = v;
      const r = answerDns(q.subarray(0, cut), identity);
      if (r.kind === 'answered') expect(() => dnsPacket.decode(r.reply)).not.toThrow();
    }), { numRuns: 2000 });
  });
});

async function ask(port: number, host: string, q: dnsPacket.Packet, timeoutMs = 1000): Promise<ReturnType<typeof decode> | undefined> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    return await new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), timeoutMs);
      s.on('message', (m) => {
        clearTimeout(t);
        resolve(decode(m));
      });
      s.send(dnsPacket.encode(q), port, host);
    });
  } finally {
    s.close();
  }
}

const query = (name: string, type: string, klass = 'IN', extra: Partial<dnsPacket.Packet> = {}): dnsPacket.Packet =>
  ({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: klass }], ...extra }) as dnsPacket.Packet;

for (const host of ['127.0.0.1', '::1']) {
  describe(`the service's DNS over UDP on ${host}`, () => {
    let svc: AnycastService;
    let port: number;
    beforeAll(async () => {
      svc = new AnycastService({ ...defaultServiceConfig('site-x', [host]), whoamiPort: 0, dnsPort: 0 });
      await svc.start();
      port = svc.boundPorts().dns;
      expect(port).toBeGreaterThan(0);
    });
    afterAll(() => svc.stop());

    it('id.server and hostname.bind CH TXT answer the site name', async () => {
      for (const name of ['id.server', 'hostname.bind', 'ID.SERVER']) {
        const d = await ask(port, host, query(name, 'TXT', 'CH'));
        expect(d?.rcode).toBe('NOERROR');
        expect(d?.id).toBe(4242);
        expect((d!.answers![0] as { data: Buffer[] }).data.map(String)).toEqual(['site-x']);
      }
    });

    it('NSID only when asked; an EDNS query gets an OPT back', async () => {
      const withNsid = await ask(port, host, query('id.server', 'TXT', 'CH', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [{ code: NSID_OPTION, data: Buffer.alloc(0) }] } as unknown as dnsPacket.Answer] }));
      const opt = withNsid!.additionals!.find((a) => a.type === 'OPT') as unknown as { options: { code: number; data: Buffer }[] };
      expect(opt.options.map((o) => [o.code, o.data.toString()])).toEqual([[NSID_OPTION, 'site-x']]);
      const plainEdns = await ask(port, host, query('id.server', 'TXT', 'CH', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as dnsPacket.Answer] }));
      const opt2 = plainEdns!.additionals!.find((a) => a.type === 'OPT') as unknown as { options: unknown[] };
      expect(opt2.options).toEqual([]);
      const noEdns = await ask(port, host, query('id.server', 'TXT', 'CH'));
      expect(noEdns!.additionals).toEqual([]);
    });

    it('the demo zone: A and AAAA of www, authoritative; NXDOMAIN inside, REFUSED outside', async () => {
      const [type, other] = host.includes(':') ? ['AAAA', 'A'] : ['A', 'AAAA'];
      const a = await ask(port, host, query('www.anycast.example', type));
      expect(a!.flag_aa).toBe(true);
      expect(a!.answers!.map((x) => (x as { data: string }).data)).toEqual([host]);
      // The name exists but has no record of the other family: NOERROR, no answers.
      const nodata = await ask(port, host, query('www.anycast.example', other));
      expect(nodata!.rcode).toBe('NOERROR');
      expect(nodata!.answers).toEqual([]);
      const nx = await ask(port, host, query('nope.anycast.example', 'A'));
      expect(nx!.rcode).toBe('NXDOMAIN');
      expect(nx!.answers).toEqual([]);
      const refused = await ask(port, host, query('example.com', 'A'));
      expect(refused!.rcode).toBe('REFUSED');
      const chOther = await ask(port, host, query('version.bind', 'TXT', 'CH'));
      expect(chOther!.rcode).toBe('REFUSED');
    });

    it('malformed queries are dropped and counted; the service keeps answering', async () => {
      const before = svc.status().malformed;
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((r) => s.send(Buffer.from('not dns at all'), port, host, () => r()));
      await new Promise<void>((r) => s.send(Buffer.alloc(3), port, host, () => r()));
      s.close();
      const after = await ask(port, host, query('id.server', 'TXT', 'CH'));
      expect(after?.rcode).toBe('NOERROR');
      expect(svc.status().malformed).toBe(before + 2);
      expect(svc.status().byClient[host].dns).toBeGreaterThan(0);
    });
  });
}
