/*
 * xsk.c — transit frames by AF_XDP: an XDP program on the interface that
 * sends every frame a router must forward into an AF_XDP socket (XSK), and
 * passes everything else to the kernel as usual.
 *
 * Owns: the XDP program (built here as BPF instructions, loaded by bpf(2);
 * no compiler or library needed), its two maps (the router's own addresses,
 * the XSK of queue 0), the attachment (a BPF link: the program leaves the
 * interface when the process exits, however it exits), the UMEM and the fill
 * and RX rings. Used by frame_io.c when a port is opened with `xdp`.
 *
 * The program redirects a frame only when all of these hold: its destination
 * MAC is the interface's own; it is IPv4 (at least 34 bytes) or IPv6 (at
 * least 54); its destination is not one of the router's own addresses (the
 * map, IPv4 as ::ffff:a.b.c.d), not IPv4 multicast, class E or 169.254/16,
 * and not IPv6 multicast or fe80::/10. Everything else — ARP, neighbour
 * discovery, BGP and pings to the router, broadcast and multicast, other
 * EtherTypes — takes the kernel's path, where the AF_PACKET socket of the
 * same port sees it too. If no XSK is bound, redirect_map falls back to
 * XDP_PASS.
 *
 * Interfaces: AF_XDP (Documentation/networking/af_xdp.rst: XDP_UMEM_REG,
 * fill/RX rings, XDP_MMAP_OFFSETS, XDP_STATISTICS), bpf(2) (BPF_MAP_CREATE,
 * BPF_PROG_LOAD, BPF_LINK_CREATE with BPF_XDP, kernel 5.9 or later), the BPF
 * instruction set (Documentation/bpf/standardization/instruction-set.rst).
 *
 * Bypass (xsk_set_bypass): the program is taken off the interface and put
 * back; meanwhile every frame takes the kernel's path, where the port's
 * AF_PACKET socket receives transit as without XDP — and so does a tcpdump
 * in the namespace, which the redirect would hide.
 *
 * Does NOT support: zero-copy (veth has none: copy mode only), queues other
 * than 0, sending through the XSK (frames leave by the port's AF_PACKET
 * socket), frames larger than a UMEM chunk (4096 bytes; counted as dropped by
 * the kernel), kernel taps on the redirected frames: a packet socket
 * (tcpdump) in the router's namespace does not see transit frames that the
 * program redirects (the data plane bypasses the program while another
 * packet socket listens on the interface: see tap-watch.ts).
 */
#define _GNU_SOURCE
#include "xsk.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

static long sys_bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof *a); }

/* ---- the program ---- */

#define MAX_INSNS 64
#define MAX_LABELS 8

typedef struct prog {
  struct bpf_insn insn[MAX_INSNS];
  int n;
  int label_at[MAX_LABELS];
  int fix_label[MAX_INSNS]; /* label a jump at that index goes to, or -1 */
} prog_t;

static void emit(prog_t *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  struct bpf_insn *i = &p->insn[p->n];
  memset(i, 0, sizeof *i);
  i->code = code;
  i->dst_reg = dst;
  i->src_reg = src;
  i->off = off;
  i->imm = imm;
  p->fix_label[p->n] = -1;
  p->n++;
}
/* A conditional jump to a label; `cls` BPF_JMP (64-bit) or BPF_JMP32 compare. */
static void jump_k(prog_t *p, uint8_t cls, uint8_t op, uint8_t reg, int32_t imm, int label) {
  emit(p, cls | op | BPF_K, reg, 0, 0, imm);
  p->fix_label[p->n - 1] = label;
}
static void jump_x(prog_t *p, uint8_t op, uint8_t dst, uint8_t src, int label) {
  emit(p, BPF_JMP | op | BPF_X, dst, src, 0, 0);
  p->fix_label[p->n - 1] = label;
}
static void ld_map_fd(prog_t *p, uint8_t dst, int fd) {
  emit(p, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
  emit(p, 0, 0, 0, 0, 0);
}
static void label(prog_t *p, int l) { p->label_at[l] = p->n; }
static void resolve(prog_t *p) {
  for (int k = 0; k < p->n; k++)
    if (p->fix_label[k] >= 0) p->insn[k].off = (int16_t)(p->label_at[p->fix_label[k]] - k - 1);
}

enum { L_PASS, L_IPV4, L_IPV6, L_V6KEY, L_LOOKUP };

/* Registers: r6 ctx, r2 data, r3 data_end, r4/r5/r7 scratch, key at r10-16. */
static void build_program(prog_t *p, const unsigned char mac[6], int local_fd, int xsks_fd) {
  memset(p, 0, sizeof *p);
  uint32_t mac_lo, mac_hi = 0;
  memcpy(&mac_lo, mac, 4); /* as the CPU loads those bytes */
  uint16_t h16;
  memcpy(&h16, mac + 4, 2);
  mac_hi = h16;
  uint16_t eth_ip4 = 0, eth_ip6 = 0;
  const unsigned char t4[2] = {0x08, 0x00}, t6[2] = {0x86, 0xdd};
  memcpy(&eth_ip4, t4, 2);
  memcpy(&eth_ip6, t6, 2);

  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);                                  /* r6 = ctx */
  emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 6, offsetof(struct xdp_md, data), 0);        /* r2 = data */
  emit(p, BPF_LDX | BPF_MEM | BPF_W, 3, 6, offsetof(struct xdp_md, data_end), 0);    /* r3 = data_end */
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
  emit(p, BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 34);
  jump_x(p, BPF_JGT, 4, 3, L_PASS);                                                  /* shorter than Ethernet + IPv4 */
  emit(p, BPF_LDX | BPF_MEM | BPF_W, 5, 2, 0, 0);
  jump_k(p, BPF_JMP32, BPF_JNE, 5, (int32_t)mac_lo, L_PASS);                         /* not our MAC */
  emit(p, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 4, 0);
  jump_k(p, BPF_JMP32, BPF_JNE, 5, (int32_t)mac_hi, L_PASS);
  emit(p, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 12, 0);                                   /* EtherType */
  jump_k(p, BPF_JMP32, BPF_JEQ, 5, eth_ip4, L_IPV4);
  jump_k(p, BPF_JMP32, BPF_JEQ, 5, eth_ip6, L_IPV6);
  emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
  p->fix_label[p->n - 1] = L_PASS;

  label(p, L_IPV4);
  emit(p, BPF_LDX | BPF_MEM | BPF_B, 5, 2, 30, 0);                                   /* first octet of the destination */
  jump_k(p, BPF_JMP32, BPF_JGE, 5, 224, L_PASS);                                     /* multicast, class E, broadcast */
  emit(p, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 30, 0);
  {
    uint16_t ll = 0;
    const unsigned char b[2] = {169, 254};
    memcpy(&ll, b, 2);
    jump_k(p, BPF_JMP32, BPF_JEQ, 5, ll, L_PASS);                                    /* 169.254/16 */
  }
  emit(p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 0);                                  /* key: ::ffff:dst */
  {
    uint32_t ff = 0;
    const unsigned char b[4] = {0, 0, 0xff, 0xff};
    memcpy(&ff, b, 4);
    emit(p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -8, (int32_t)ff);
  }
  emit(p, BPF_LDX | BPF_MEM | BPF_W, 5, 2, 30, 0);
  emit(p, BPF_STX | BPF_MEM | BPF_W, 10, 5, -4, 0);
  emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
  p->fix_label[p->n - 1] = L_LOOKUP;

  label(p, L_IPV6);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
  emit(p, BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 54);
  jump_x(p, BPF_JGT, 4, 3, L_PASS);                                                  /* shorter than Ethernet + IPv6 */
  emit(p, BPF_LDX | BPF_MEM | BPF_B, 5, 2, 38, 0);
  jump_k(p, BPF_JMP32, BPF_JEQ, 5, 0xff, L_PASS);                                    /* ff00::/8 */
  jump_k(p, BPF_JMP32, BPF_JNE, 5, 0xfe, L_V6KEY);
  emit(p, BPF_LDX | BPF_MEM | BPF_B, 7, 2, 39, 0);
  emit(p, BPF_ALU | BPF_AND | BPF_K, 7, 0, 0, 0xc0);
  jump_k(p, BPF_JMP32, BPF_JEQ, 7, 0x80, L_PASS);                                    /* fe80::/10 */
  label(p, L_V6KEY);
  emit(p, BPF_LDX | BPF_MEM | BPF_DW, 5, 2, 38, 0);
  emit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 5, -16, 0);
  emit(p, BPF_LDX | BPF_MEM | BPF_DW, 5, 2, 46, 0);
  emit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 5, -8, 0);

  label(p, L_LOOKUP);
  ld_map_fd(p, 1, local_fd);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
  emit(p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -16);
  emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
  jump_k(p, BPF_JMP, BPF_JNE, 0, 0, L_PASS);                                          /* one of ours: the kernel's */
  ld_map_fd(p, 1, xsks_fd);
  emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 6, offsetof(struct xdp_md, rx_queue_index), 0);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS);                            /* no XSK bound: pass */
  emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map);
  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

  label(p, L_PASS);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS);
  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  resolve(p);
}

/* ---- rings ---- */

static int map_ring(int fd, const struct xdp_ring_offset *o, size_t esz, uint32_t size, off_t pgoff, xsk_ring_t *r) {
  size_t len = o->desc + size * esz;
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
  if (m == MAP_FAILED) return -1;
  uint8_t *p = m;
  r->map = m;
  r->map_len = len;
  r->producer = (uint32_t *)(p + o->producer);
  r->consumer = (uint32_t *)(p + o->consumer);
  r->desc = p + o->desc;
  r->mask = size - 1;
  return 0;
}

void xsk_init(xsk_t *x) {
  memset(x, 0, sizeof *x);
  x->fd = x->prog_fd = x->local_fd = x->xsks_fd = x->link_fd = -1;
}

size_t xsk_umem_bytes(uint32_t mtu) {
  uint32_t chunk = mtu + 14 + 4 <= 2048 ? 2048 : 4096;
  return (size_t)XSK_FRAMES * chunk;
}

#define FAIL(s)        \
  do {                 \
    *step = (s);       \
    int e_ = errno;    \
    xsk_close(x);      \
    errno = e_;        \
    return -1;         \
  } while (0)

static int attach(const xsk_t *x, uint32_t flags) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)x->prog_fd;
  a.link_create.target_ifindex = (uint32_t)x->ifindex;
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = flags;
  return (int)sys_bpf(BPF_LINK_CREATE, &a);
}

int xsk_open(xsk_t *x, int ifindex, const unsigned char mac[6], uint32_t mtu, int mode, uint8_t *umem, const char **step) {
  xsk_init(x);
  if (mtu + 14 + 4 > 4096) {
    *step = "xdp: MTU larger than a UMEM chunk (4096 bytes)";
    errno = EMSGSIZE;
    return -1;
  }
  x->chunk = mtu + 14 + 4 <= 2048 ? 2048 : 4096;
  x->umem = umem;
  union bpf_attr a;

  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_HASH;
  a.key_size = 16;
  a.value_size = 1;
  a.max_entries = XSK_MAX_LOCAL;
  strcpy(a.map_name, "lab_own_addrs");
  x->local_fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
  if (x->local_fd < 0) FAIL("bpf(BPF_MAP_CREATE, hash of own addresses)");

  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_XSKMAP;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  strcpy(a.map_name, "lab_xsks");
  x->xsks_fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
  if (x->xsks_fd < 0) FAIL("bpf(BPF_MAP_CREATE, XSKMAP)");

  prog_t prog;
  build_program(&prog, mac, x->local_fd, x->xsks_fd);
  static __thread char log[16384];
  log[0] = 0;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.insns = (uint64_t)(uintptr_t)prog.insn;
  a.insn_cnt = (uint32_t)prog.n;
  a.license = (uint64_t)(uintptr_t) "GPL";
  a.expected_attach_type = BPF_XDP;
  strcpy(a.prog_name, "lab_transit");
  /* The verifier gives up with EAGAIN when a signal is pending (a profiler's
   * SIGPROF, say): try again, as libbpf does. */
  for (int attempt = 0; attempt < 5; attempt++) {
    x->prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
    if (x->prog_fd >= 0 || errno != EAGAIN) break;
  }
  if (x->prog_fd < 0) {
    /* Load again with the verifier's log, for the error. */
    int e = errno;
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    int again = (int)sys_bpf(BPF_PROG_LOAD, &a);
    if (again >= 0) close(again);
    x->verifier_log = log;
    errno = e;
    FAIL("bpf(BPF_PROG_LOAD, XDP)");
  }

  x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (x->fd < 0) FAIL("socket(AF_XDP)");
  struct xdp_umem_reg ur;
  memset(&ur, 0, sizeof ur);
  ur.addr = (uint64_t)(uintptr_t)umem;
  ur.len = (uint64_t)XSK_FRAMES * x->chunk;
  ur.chunk_size = x->chunk;
  ur.headroom = 0;
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &ur, sizeof ur) != 0) FAIL("setsockopt(XDP_UMEM_REG)");
  int size = XSK_FRAMES;
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &size, sizeof size) != 0) FAIL("setsockopt(XDP_UMEM_FILL_RING)");
  /* A completion ring is required by bind() even though nothing is sent through the XSK. */
  int csize = 64;
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &csize, sizeof csize) != 0)
    FAIL("setsockopt(XDP_UMEM_COMPLETION_RING)");
  if (setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &size, sizeof size) != 0) FAIL("setsockopt(XDP_RX_RING)");
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) != 0) FAIL("getsockopt(XDP_MMAP_OFFSETS)");
  if (map_ring(x->fd, &off.fr, sizeof(uint64_t), XSK_FRAMES, XDP_UMEM_PGOFF_FILL_RING, &x->fill) != 0)
    FAIL("mmap(fill ring)");
  if (map_ring(x->fd, &off.rx, sizeof(struct xdp_desc), XSK_FRAMES, XDP_PGOFF_RX_RING, &x->rx) != 0)
    FAIL("mmap(RX ring)");
  uint64_t *fd = x->fill.desc;
  for (uint32_t i = 0; i < XSK_FRAMES; i++) fd[i] = (uint64_t)i * x->chunk;
  x->fill_prod = XSK_FRAMES;
  __atomic_store_n(x->fill.producer, x->fill_prod, __ATOMIC_RELEASE);
  x->rx_cons = __atomic_load_n(x->rx.consumer, __ATOMIC_ACQUIRE);

  struct sockaddr_xdp sx;
  memset(&sx, 0, sizeof sx);
  sx.sxdp_family = AF_XDP;
  sx.sxdp_flags = XDP_COPY;
  sx.sxdp_ifindex = (uint32_t)ifindex;
  sx.sxdp_queue_id = 0;
  if (bind(x->fd, (struct sockaddr *)&sx, sizeof sx) != 0) FAIL("bind(AF_XDP, copy mode, queue 0)");
  uint32_t key = 0, val = (uint32_t)x->fd;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)x->xsks_fd;
  a.key = (uint64_t)(uintptr_t)&key;
  a.value = (uint64_t)(uintptr_t)&val;
  a.flags = BPF_ANY;
  if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) != 0) FAIL("bpf(BPF_MAP_UPDATE_ELEM, XSKMAP)");

  /* Native mode where the driver has it (veth does), else generic. */
  x->ifindex = ifindex;
  for (int k = 0; k < 2; k++) {
    uint32_t flags = (mode == XSK_MODE_GENERIC || k == 1) ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    if (k == 1 && mode != XSK_MODE_AUTO) break;
    x->link_fd = attach(x, flags);
    if (x->link_fd >= 0) {
      x->native = flags == XDP_FLAGS_DRV_MODE;
      break;
    }
    if (mode == XSK_MODE_NATIVE) break;
  }
  if (x->link_fd < 0) FAIL("bpf(BPF_LINK_CREATE, XDP)");
  return 0;
}

int xsk_set_bypass(xsk_t *x, int on) {
  if (x->fd < 0) return 0;
  if (on && x->link_fd >= 0) {
    close(x->link_fd); /* the program leaves the interface: every frame takes the kernel's path */
    x->link_fd = -1;
  } else if (!on && x->link_fd < 0) {
    x->link_fd = attach(x, x->native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
    if (x->link_fd < 0) return -1;
  }
  return 0;
}

int xsk_set_local(xsk_t *x, const unsigned char *addrs, uint32_t count) {
  union bpf_attr a;
  unsigned char key[16], next[16];
  /* Empty the map (keys may go while iterating: restart from the start each time). */
  for (;;) {
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)x->local_fd;
    a.key = 0;
    a.next_key = (uint64_t)(uintptr_t)next;
    if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) != 0) break;
    memcpy(key, next, 16);
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)x->local_fd;
    a.key = (uint64_t)(uintptr_t)key;
    if (sys_bpf(BPF_MAP_DELETE_ELEM, &a) != 0) return -1;
  }
  unsigned char one = 1;
  for (uint32_t i = 0; i < count; i++) {
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)x->local_fd;
    a.key = (uint64_t)(uintptr_t)(addrs + (size_t)i * 16);
    a.value = (uint64_t)(uintptr_t)&one;
    a.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) != 0) return -1;
  }
  return 0;
}

void xsk_release(xsk_t *x) {
  if (!x->held || x->fd < 0) return;
  /* The frames of the last batch go back to the fill ring, in the order taken. */
  const struct xdp_desc *rd = x->rx.desc;
  uint64_t *fd = x->fill.desc;
  uint32_t first = x->rx_cons - x->held;
  for (uint32_t k = 0; k < x->held; k++) {
    fd[(x->fill_prod + k) & x->fill.mask] = rd[(first + k) & x->rx.mask].addr & ~(uint64_t)(x->chunk - 1);
  }
  x->fill_prod += x->held;
  __atomic_store_n(x->rx.consumer, x->rx_cons, __ATOMIC_RELEASE);
  __atomic_store_n(x->fill.producer, x->fill_prod, __ATOMIC_RELEASE);
  x->held = 0;
}

uint32_t xsk_recv(xsk_t *x, uint32_t max, int32_t *offsets, int32_t *lengths) {
  xsk_release(x);
  if (x->fd < 0) return 0;
  uint32_t prod = __atomic_load_n(x->rx.producer, __ATOMIC_ACQUIRE);
  uint32_t n = prod - x->rx_cons;
  if (n > max) n = max;
  const struct xdp_desc *rd = x->rx.desc;
  for (uint32_t k = 0; k < n; k++) {
    const struct xdp_desc *d = &rd[(x->rx_cons + k) & x->rx.mask];
    offsets[k] = (int32_t)d->addr;
    lengths[k] = (int32_t)d->len;
  }
  /* The descriptors are consumed now; their frames return at the next call. */
  x->rx_cons += n;
  x->held = n;
  return n;
}

int xsk_stats(xsk_t *x, uint64_t *dropped) {
  struct xdp_statistics s;
  socklen_t l = sizeof s;
  memset(&s, 0, sizeof s);
  if (x->fd < 0 || getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &s, &l) != 0) return -1;
  *dropped = s.rx_dropped + s.rx_ring_full;
  return 0;
}

void xsk_close(xsk_t *x) {
  if (x->link_fd >= 0) close(x->link_fd); /* the program leaves the interface */
  if (x->fd >= 0) close(x->fd);
  if (x->prog_fd >= 0) close(x->prog_fd);
  if (x->xsks_fd >= 0) close(x->xsks_fd);
  if (x->local_fd >= 0) close(x->local_fd);
  if (x->fill.map) munmap(x->fill.map, x->fill.map_len);
  if (x->rx.map) munmap(x->rx.map, x->rx.map_len);
  x->fill.map = x->rx.map = NULL;
  x->fd = x->prog_fd = x->local_fd = x->xsks_fd = x->link_fd = -1;
  x->held = 0;
}
