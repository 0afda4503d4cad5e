/**
 * BGP messages captured here: BIRD 2.0.12 speakers in three network namespaces
 * (AS 4200000001 'a' with eBGP to AS 65002 'b' over IPv4 and over IPv6 on one veth,
 * and to a 2-octet-only BIRD 'c' that refused it with Bad Peer AS), `tcpdump -w` in a's
 * namespace, then `birdc reload in` (ROUTE-REFRESH incl. RFC 7313 BoRR/EoRR) and
 * `birdc disable a "lab maintenance: back soon"` (Cease 6/2 with RFC 8203 text).
 * Each entry: direction on the wire and the complete message in hex.
 */
export interface CapturedVector { readonly name: string; readonly dir: string; readonly hex: string }

export const CAPTURED: readonly CapturedVector[] = [
  { name: 'open-1', dir: 'fd00::2:39103 -> fd00::1:179', hex: 'ffffffffffffffffffffffffffffffff00350104fdea00090a00000218021601040002000102004002007841040000fdea46004700' },
  { name: 'keepalive-1', dir: 'fd00::2:39103 -> fd00::1:179', hex: 'ffffffffffffffffffffffffffffffff001304' },
  { name: 'update-1', dir: 'fd00::2:39103 -> fd00::1:179', hex: 'ffffffffffffffffffffffffffffffff0054020000003d900e002c00020120fd000000000000000000000000000002fe800000000000006ce473fffebc01e1003020010db8000b4001010040020602010000fdea' },
  { name: 'update-2', dir: 'fd00::2:39103 -> fd00::1:179', hex: 'ffffffffffffffffffffffffffffffff001d0200000006800f03000201' },
  { name: 'open-2', dir: 'fd00::1:179 -> fd00::2:39103', hex: 'ffffffffffffffffffffffffffffffff003b01045ba000090a0000011e021c0104000100010104000200010200400200784104fa56ea0146004700' },
  { name: 'update-3', dir: 'fd00::1:179 -> fd00::2:39103', hex: 'ffffffffffffffffffffffffffffffff005d0200000046900e003500020120fd000000000000000000000000000001fe800000000000007c96c1fffeb21be1003020010db800014020010db800020010400101004002060201fa56ea01' },
  { name: 'open-3', dir: '10.0.1.2:54121 -> 10.0.1.1:179', hex: 'ffffffffffffffffffffffffffffffff002f0104fdeb00090a00010212021001040001000102004002007846004700' },
  { name: 'notification-1', dir: '10.0.1.2:54121 -> 10.0.1.1:179', hex: 'ffffffffffffffffffffffffffffffff0019030202fa56ea01' },
  { name: 'open-4', dir: '10.0.1.1:179 -> 10.0.1.2:54121', hex: 'ffffffffffffffffffffffffffffffff003501045ba000090a0000011802160104000100010200400200784104fa56ea0146004700' },
  { name: 'update-4', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff00340200000014400101004002060201fa56ea014003040a00000118c6336419cb007100' },
  { name: 'update-5', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff0037020000001b400101004002060201fa56ea014003040a000001c00804fde900641ac0000280' },
  { name: 'update-6', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff00170200000000' },
  { name: 'update-7', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff00580200000041900e002c00020120fd000000000000000000000000000002fe800000000000006ce473fffebc01e1003020010db8000b4001010040020a0202fa56ea010000fdea' },
  { name: 'update-8', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff005d0200000046900e00350002012020010db800ff00000000000000000001fe800000000000007c96c1fffeb21be1003020010db800014020010db800020010400101004002060201fa56ea01' },
  { name: 'route-refresh-1', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff00170500010101' },
  { name: 'route-refresh-2', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff00170500010201' },
  { name: 'route-refresh-3', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff00170500020101' },
  { name: 'route-refresh-4', dir: '10.0.0.1:179 -> 10.0.0.2:43385', hex: 'ffffffffffffffffffffffffffffffff00170500020201' },
  { name: 'open-5', dir: '10.0.0.2:43385 -> 10.0.0.1:179', hex: 'ffffffffffffffffffffffffffffffff003b0104fdea00090a0000021e021c01040001000101040002000102004002007841040000fdea46004700' },
  { name: 'update-9', dir: '10.0.0.2:43385 -> 10.0.0.1:179', hex: 'ffffffffffffffffffffffffffffffff002f02000000144001010040020602010000fdea4003040a00000218644001' },
  { name: 'update-10', dir: '10.0.0.2:43385 -> 10.0.0.1:179', hex: 'ffffffffffffffffffffffffffffffff0054020000003d900e002c0002012020010db800ff00000000000000000002fe800000000000006ce473fffebc01e1003020010db8000b4001010040020602010000fdea' },
  { name: 'update-11', dir: '10.0.0.2:43385 -> 10.0.0.1:179', hex: 'ffffffffffffffffffffffffffffffff0061020000004a900e003500020120fd000000000000000000000000000001fe800000000000007c96c1fffeb21be1003020010db800014020010db8000200104001010040020a02020000fdeafa56ea01' },
  { name: 'route-refresh-5', dir: '10.0.0.2:43385 -> 10.0.0.1:179', hex: 'ffffffffffffffffffffffffffffffff00170500010001' },
  { name: 'route-refresh-6', dir: '10.0.0.2:43385 -> 10.0.0.1:179', hex: 'ffffffffffffffffffffffffffffffff00170500020001' },
  { name: 'notification-2', dir: '10.0.0.2:43385 -> 10.0.0.1:179', hex: 'ffffffffffffffffffffffffffffffff00300306021a6c6162206d61696e74656e616e63653a206261636b20736f6f6e' },
];

/**
 * A second capture made the same way: BIRD 'a' (AS 4200000001) with BIRD 'b'
 * (AS 65002) and FRR 8.4.4 'c' (AS 65003, zebra + bgpd) over IPv6
 * (fd01::/64, IPv4 and IPv6 unicast) and over IPv4 with FRR's
 * `dont-capability-negotiate` (FRR refused AS_TRANS with 2/2). Then FRR
 * `clear bgp fd01::1 soft in` and `neighbor fd01::1 shutdown message ...`.
 * FRR sends AS_PATH with Extended Length, MED, large communities (32) and
 * capabilities this speaker does not know (add-path, FQDN, GR, LLGR, ...).
 */
export const CAPTURED_FRR: readonly CapturedVector[] = [
  { name: 'bird-update-1', dir: 'fd01::1:179 -> fd01::2:52182', hex: 'ffffffffffffffffffffffffffffffff002f0200000014400101004002060201fa56ea014003040a00010118c63364' },
  { name: 'bird-update-2', dir: 'fd01::1:179 -> fd01::2:52182', hex: 'ffffffffffffffffffffffffffffffff0046020000002a400101004002060201fa56ea014003040a000101c00804fde90064c0200cfa56ea0100000001000000021ac0000280' },
  { name: 'bird-update-3', dir: 'fd01::1:179 -> fd01::2:52182', hex: 'ffffffffffffffffffffffffffffffff0054020000003d900e002c00020120fd010000000000000000000000000001fe8000000000000024bc8efffe28ba3e003020010db80001400101004002060201fa56ea01' },
  { name: 'bird-update-4', dir: 'fd01::1:179 -> fd01::2:52182', hex: 'ffffffffffffffffffffffffffffffff00580200000041900e002c00020120fd010000000000000000000000000001fe8000000000000024bc8efffe28ba3e003020010db8000b4001010040020a0202fa56ea010000fdea' },
  { name: 'bird-update-5', dir: 'fd01::1:179 -> fd01::2:52182', hex: 'ffffffffffffffffffffffffffffffff003302000000184001010040020a0202fa56ea010000fdea4003040a00010118644001' },
  { name: 'frr-open-1', dir: '10.0.1.2:39708 -> 10.0.1.1:179', hex: 'ffffffffffffffffffffffffffffffff001d0104fdeb00090a00010200' },
  { name: 'frr-notification-1', dir: '10.0.1.2:39708 -> 10.0.1.1:179', hex: 'ffffffffffffffffffffffffffffffff00170302025ba0' },
  { name: 'frr-open-2', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff00700104fdeb00090a0001025302060104000100010206010400020001020280000202020002024600020641040000fdeb02020600020a450800010101000201010205490301630002044002c0780210470e0001018000000000020180000000' },
  { name: 'frr-update-1', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff0037020000001c400101005002000602010000fdeb4003040a0001028004040000000018644002' },
  { name: 'frr-update-2', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff005c0200000045900e002c00020120fd010000000000000000000000000002fe800000000000005cfdcefffe7bb74a003020010db8000c400101005002000602010000fdeb80040400000000' },
  { name: 'frr-update-3', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff00340200000019400101005002000a02020000fdebfa56ea014003040a00010218c63364' },
  { name: 'frr-update-4', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff00590200000042900e002c00020120fd010000000000000000000000000002fe800000000000005cfdcefffe7bb74a003020010db80001400101005002000a02020000fdebfa56ea01' },
  { name: 'frr-update-5', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff004b020000002f400101005002000a02020000fdebfa56ea014003040a000102c00804fde90064c0200cfa56ea0100000001000000021ac0000280' },
  { name: 'frr-update-6', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff0038020000001d400101005002000e02030000fdebfa56ea010000fdea4003040a00010218644001' },
  { name: 'frr-update-7', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff005d0200000046900e002c00020120fd010000000000000000000000000002fe800000000000005cfdcefffe7bb74a003020010db8000b400101005002000e02030000fdebfa56ea010000fdea' },
  { name: 'frr-notification-2', dir: 'fd01::2:52182 -> fd01::1:179', hex: 'ffffffffffffffffffffffffffffffff00300306021a66727220676f696e6720646f776e20666f7220746865206c6162' },
  { name: 'bird-update-6', dir: 'fd00::2:58015 -> fd00::1:179', hex: 'ffffffffffffffffffffffffffffffff0054020000003d900e002c00020120fd000000000000000000000000000002fe80000000000000a0718efffebf9d73003020010db8000b4001010040020602010000fdea' },
  { name: 'bird-update-7', dir: 'fd00::1:179 -> fd00::2:58015', hex: 'ffffffffffffffffffffffffffffffff00580200000041900e002c00020120fd000000000000000000000000000001fe800000000000007445c6fffed400b2003020010db8000c4001010040020a0202fa56ea010000fdeb' },
  { name: 'bird-update-8', dir: 'fd00::1:179 -> fd00::2:58015', hex: 'ffffffffffffffffffffffffffffffff0054020000003d900e002c00020120fd000000000000000000000000000001fe800000000000007445c6fffed400b2003020010db80001400101004002060201fa56ea01' },
  { name: 'bird-update-9', dir: 'fd00::1:179 -> fd00::2:58015', hex: 'ffffffffffffffffffffffffffffffff0025020000000e900f000a0002013020010db8000c' },
  { name: 'bird-update-10', dir: '10.0.0.1:39747 -> 10.0.0.2:179', hex: 'ffffffffffffffffffffffffffffffff00580200000041900e002c00020120fd000000000000000000000000000002fe80000000000000a0718efffebf9d73003020010db8000b4001010040020a0202fa56ea010000fdea' },
  { name: 'bird-update-11', dir: '10.0.0.1:39747 -> 10.0.0.2:179', hex: 'ffffffffffffffffffffffffffffffff002f0200000014400101004002060201fa56ea014003040a00000118c63364' },
  { name: 'bird-update-12', dir: '10.0.0.1:39747 -> 10.0.0.2:179', hex: 'ffffffffffffffffffffffffffffffff0046020000002a400101004002060201fa56ea014003040a000001c00804fde90064c0200cfa56ea0100000001000000021ac0000280' },
  { name: 'bird-update-13', dir: '10.0.0.1:39747 -> 10.0.0.2:179', hex: 'ffffffffffffffffffffffffffffffff003302000000184001010040020a0202fa56ea010000fdeb4003040a00000118644002' },
  { name: 'bird-update-14', dir: '10.0.0.1:39747 -> 10.0.0.2:179', hex: 'ffffffffffffffffffffffffffffffff00580200000041900e002c0002012020010db800ff00000000000000000001fe800000000000007445c6fffed400b2003020010db8000c4001010040020a0202fa56ea010000fdeb' },
  { name: 'bird-update-15', dir: '10.0.0.1:39747 -> 10.0.0.2:179', hex: 'ffffffffffffffffffffffffffffffff0054020000003d900e002c0002012020010db800ff00000000000000000001fe800000000000007445c6fffed400b2003020010db80001400101004002060201fa56ea01' },
  { name: 'bird-update-16', dir: '10.0.0.1:39747 -> 10.0.0.2:179', hex: 'ffffffffffffffffffffffffffffffff001b020004186440020000' },
  { name: 'bird-update-17', dir: '10.0.0.2:179 -> 10.0.0.1:39747', hex: 'ffffffffffffffffffffffffffffffff0054020000003d900e002c0002012020010db800ff00000000000000000002fe80000000000000a0718efffebf9d73003020010db8000b4001010040020602010000fdea' },
  { name: 'bird-update-18', dir: '10.0.0.2:179 -> 10.0.0.1:39747', hex: 'ffffffffffffffffffffffffffffffff005c0200000045900e002c00020120fd000000000000000000000000000001fe800000000000007445c6fffed400b2003020010db8000c4001010040020e02030000fdeafa56ea010000fdeb' },
  { name: 'bird-update-19', dir: '10.0.0.2:179 -> 10.0.0.1:39747', hex: 'ffffffffffffffffffffffffffffffff00580200000041900e002c00020120fd000000000000000000000000000001fe800000000000007445c6fffed400b2003020010db800014001010040020a02020000fdeafa56ea01' },
];

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function vector(name: string): Uint8Array {
  const v = [...CAPTURED, ...CAPTURED_FRR].find((c) => c.name === name);
  if (!v) throw new Error(`no captured vector ${name}`);
  return hexToBytes(v.hex);
}
