/*
 * frame_io.c — the data plane's frame I/O edge: one AF_PACKET socket per
 * interface, batched with recvmmsg/sendmmsg into preallocated buffers that
 * JavaScript reads and writes directly (no per-frame allocation), woken by
 * uv_poll.
 *
 * Owns: opening a port (AF_PACKET, SOCK_RAW, ETH_P_ALL, bound to one ifindex,
 * non-blocking, PACKET_IGNORE_OUTGOING, PACKET_AUXDATA, PACKET_VNET_HDR when
 * available, large SO_RCVBUF/SO_SNDBUF, optional PACKET_QDISC_BYPASS and
 * socket-level promiscuous membership, optionally inside another network
 * namespace through setns), the interface's MAC, MTU and ifindex, receive and
 * send batches, per-port counters (including PACKET_STATISTICS), and the
 * readable wakeup.
 *
 * Interfaces: packet(7), netdevice(7) (SIOCGIFHWADDR, SIOCGIFMTU),
 * recvmmsg(2), sendmmsg(2), setns(2), the virtio_net_hdr layout of
 * <linux/virtio_net.h> (csum_start/csum_offset of a CHECKSUM_PARTIAL frame).
 *
 * Receive modes: recvmmsg into the port's own slots (default), or, with
 * ringFrames, a TPACKET_V2 PACKET_RX_RING read in place without a system call
 * (a batch's frames are given back to the kernel by the next recv() or by
 * release()). Sending is always sendmmsg.
 *
 * Worker threads: every state is per port and per environment (the port
 * polls on its own environment's loop; no static JavaScript handles), so a
 * worker_threads Worker may load the addon and own ports. A port still open
 * when its environment ends (the worker exits or is terminated) is closed
 * by an async cleanup hook, which the environment waits for before it
 * unloads the library: its poll handle's close callback runs first.
 *
 * AF_XDP (option `xdp`, see xsk.c): transit frames arrive through an XDP
 * program and an AF_XDP socket into a UMEM that follows the copy slots in
 * the same rxBuffer, read in place like the ring; everything else still
 * arrives on the AF_PACKET socket, and every frame leaves by it. One wakeup
 * for both: an epoll set holding the two sockets, polled by libuv.
 *
 * Does NOT support: TPACKET_V3 blocks (their block timeout adds up to a
 * millisecond of latency), TX rings, fanout, BPF filters, GSO on send (every
 * frame sent carries an all-zero virtio header), re-inserting a VLAN tag
 * stripped by the receive path (it is reported, not restored).
 *
 * Layout shared with JavaScript (see src/dataplane/linux-frame-io.ts):
 *   rxBuffer: slots x slotSize bytes (or the mapped ring); frame i at meta offset[i]
 *   meta:     Int32Array, field-major: meta[field * slots + i]
 *   txBuffer: txSlots x slotSize bytes; txLengths: Int32Array(txSlots)
 *   counters: Float64Array(COUNTER_COUNT)
 * The indices are exported as `constants` so the TypeScript side can check
 * them at load time.
 */
#define _GNU_SOURCE
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "xsk.h"

/* ---- layout shared with JavaScript ---- */

enum meta_field {
  META_LENGTH = 0,      /* bytes stored in the slot */
  META_WIRE_LENGTH,     /* original frame length (tp_len), > LENGTH when truncated */
  META_PKT_TYPE,        /* sll_pkttype: PACKET_HOST, BROADCAST, MULTICAST, OTHERHOST */
  META_FLAGS,           /* FLAG_* bits below */
  META_CSUM_START,      /* from the virtio header, from the frame start; -1 if none */
  META_CSUM_OFFSET,     /* checksum field offset from CSUM_START; -1 if none */
  META_VLAN_TCI,        /* stripped 802.1Q tag when FLAG_VLAN */
  META_VLAN_TPID,
  META_OFFSET,          /* where the frame starts in rxBuffer */
  META_FIELD_COUNT
};

enum frame_flag {
  FLAG_CSUM_NOT_READY = 1 << 0, /* TP_STATUS_CSUMNOTREADY: L4 checksum is partial */
  FLAG_CSUM_VALID = 1 << 1,     /* TP_STATUS_CSUM_VALID: checksum verified by the device */
  FLAG_TRUNCATED = 1 << 2,      /* frame longer than slotSize */
  FLAG_VLAN = 1 << 3,           /* VLAN tag stripped, see META_VLAN_TCI */
  FLAG_GSO = 1 << 4             /* the frame is a GSO super-frame (offloads left on) */
};

enum counter {
  C_RX_FRAMES = 0,
  C_RX_BYTES,
  C_RX_BATCHES,
  C_RX_TRUNCATED,
  C_RX_ERRORS,
  C_TX_FRAMES,
  C_TX_BYTES,
  C_TX_BATCHES,
  C_TX_ERRORS,
  C_TX_DROPPED,
  C_KERNEL_PACKETS,
  C_KERNEL_DROPS,
  C_WAKEUPS,
  C_POLL_ERRORS,
  COUNTER_COUNT
};

#define DEFAULT_SLOTS 64
#define MAX_SLOTS 1024
#define DEFAULT_BUFFER_BYTES (8 * 1024 * 1024)
#define HEADROOM 64
#define CMSG_BYTES CMSG_SPACE(sizeof(struct tpacket_auxdata))

typedef struct port {
  int fd;
  int ifindex;
  int mtu;
  int vnet; /* 1 when PACKET_VNET_HDR is on: every frame is preceded by a virtio_net_hdr */
  uint32_t slots, tx_slots, slot_size;
  char ifname[IF_NAMESIZE];
  unsigned char mac[6];

  uint8_t *rx;
  int32_t *meta;
  uint8_t *tx;
  int32_t *tx_len;
  double *counters;

  struct mmsghdr *rx_msgs;
  struct iovec *rx_iov; /* 2 per slot: vnet header, frame */
  struct sockaddr_ll *rx_addr;
  uint8_t *rx_cmsg;
  struct virtio_net_hdr *rx_vnet;

  struct mmsghdr *tx_msgs;
  struct iovec *tx_iov;
  struct virtio_net_hdr tx_vnet; /* all zero: no offload requested */

  /* TPACKET_V2 receive ring, when open with ringFrames: rx points into it */
  uint8_t *ring;
  uint32_t ring_frames, frame_size, frames_per_block, block_size;
  uint32_t cursor; /* next ring frame to read */
  uint32_t held;   /* frames handed to JavaScript by the last recv, not yet given back */

  /* AF_XDP receive path, when open with `xdp` (xsk.fd >= 0): rx is `region`,
   * the copy slots first, the UMEM at umem_off */
  xsk_t xsk;
  uint8_t *region;
  size_t region_bytes;
  uint32_t umem_off;
  uint64_t xsk_drops_seen;
  int poll_fd; /* what libuv polls: fd, or an epoll set of fd and xsk.fd */

  /* JavaScript side */
  napi_env env;
  napi_ref self;          /* weak; made strong while polling so an active port is not collected */
  napi_ref buffers[5];    /* rx, meta, tx, txLengths, counters: kept alive with the port */
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
  int polling;
  int poll_inited;
  int closed;
  int finalized;
  int handle_open; /* poll handle not yet closed by libuv */
  /* Held while the poll handle exists: an environment being torn down (a
   * worker thread ending) waits for the handle's close callback before it
   * unloads this library, which would otherwise run after the unload. */
  napi_async_cleanup_hook_handle cleanup;
} port_t;

/* ---- helpers ---- */

#define NAPI_CALL(env, call)                                        \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      throw_last(env, #call);                                       \
      return NULL;                                                  \
    }                                                               \
  } while (0)

static void throw_last(napi_env env, const char *what) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_get_last_error_info(env, &info);
  char msg[256];
  snprintf(msg, sizeof msg, "frame-io: %s failed: %s", what,
           info && info->error_message ? info->error_message : "unknown N-API error");
  napi_throw_error(env, NULL, msg);
}

/* Throws "frame-io: open <what>: <step>: <strerror>"; user text never reaches a format string. */
static napi_value throw_open_error(napi_env env, const char *what, const char *step, int err) {
  char msg[512];
  snprintf(msg, sizeof msg, "frame-io: open %s: %s: %s", what, step, strerror(err));
  napi_throw_error(env, err == ENODEV || err == ENXIO ? "ENODEV" : NULL, msg);
  return NULL;
}

static void free_port_memory(port_t *p) {
  free(p->rx_msgs);
  free(p->rx_iov);
  free(p->rx_addr);
  free(p->rx_cmsg);
  free(p->rx_vnet);
  free(p->tx_msgs);
  free(p->tx_iov);
  free(p);
}

static void on_handle_closed(uv_handle_t *h) {
  port_t *p = (port_t *)h->data;
  p->handle_open = 0;
  if (p->cleanup) {
    napi_async_cleanup_hook_handle c = p->cleanup;
    p->cleanup = NULL;
    napi_remove_async_cleanup_hook(c);
  }
  if (p->finalized) free_port_memory(p);
}

static void close_port(port_t *p);

/* The environment ends (worker thread exit or terminate(), process exit)
 * with the port still open: close it; on_handle_closed releases the hook. */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  close_port((port_t *)arg);
}

static void release_js(port_t *p) {
  napi_env env = p->env;
  for (int i = 0; i < 5; i++) {
    if (p->buffers[i]) {
      napi_delete_reference(env, p->buffers[i]);
      p->buffers[i] = NULL;
    }
  }
  if (p->callback) {
    napi_delete_reference(env, p->callback);
    p->callback = NULL;
  }
  if (p->async) {
    napi_async_destroy(env, p->async);
    p->async = NULL;
  }
}

static void stop_polling(port_t *p) {
  if (p->polling) {
    uv_poll_stop(&p->poll);
    p->polling = 0;
    uint32_t count;
    napi_reference_unref(p->env, p->self, &count);
  }
}

/* Close the socket and stop the wakeup; idempotent. Buffers stay readable. */
static void close_port(port_t *p) {
  if (p->closed) return;
  p->closed = 1;
  stop_polling(p);
  if (p->poll_inited && p->handle_open) uv_close((uv_handle_t *)&p->poll, on_handle_closed);
  if (p->fd >= 0) {
    if (p->ring) {
      /* The mapping holds the socket open past close(): unhook it from the
       * interface now (protocol 0 receives nothing; promiscuous membership
       * is dropped with it) so it stops receiving until the ring is unmapped. */
      struct packet_mreq mr;
      memset(&mr, 0, sizeof mr);
      mr.mr_ifindex = p->ifindex;
      mr.mr_type = PACKET_MR_PROMISC;
      setsockopt(p->fd, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr);
      struct sockaddr_ll sll;
      memset(&sll, 0, sizeof sll);
      sll.sll_family = AF_PACKET;
      sll.sll_protocol = 0;
      sll.sll_ifindex = p->ifindex;
      bind(p->fd, (struct sockaddr *)&sll, sizeof sll);
    }
    close(p->fd);
  }
  p->fd = -1;
  xsk_close(&p->xsk);
  if (p->poll_fd >= 0 && p->region) close(p->poll_fd);
  p->poll_fd = -1;
}

static void finalize_port(napi_env env, void *data, void *hint) {
  (void)hint;
  port_t *p = (port_t *)data;
  close_port(p);
  release_js(p);
  if (p->self) {
    napi_delete_reference(env, p->self);
    p->self = NULL;
  }
  p->finalized = 1;
  if (!p->handle_open) free_port_memory(p);
}

static port_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) {
    throw_last(env, "napi_get_cb_info");
    return NULL;
  }
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "frame-io: not a Port");
    return NULL;
  }
  return (port_t *)data;
}

/* A method's port and its one boolean argument (`fallback` when absent). */
static port_t *unwrap_bool(napi_env env, napi_callback_info info, bool fallback, bool *out) {
  size_t argc = 1;
  napi_value argv[1];
  port_t *p = unwrap(env, info, &argc, argv);
  *out = fallback;
  if (p && argc >= 1) napi_get_value_bool(env, argv[0], out);
  return p;
}

static int get_opt_u32(napi_env env, napi_value obj, const char *key, uint32_t *out) {
  bool has = false;
  if (obj == NULL) return 0;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  napi_value v;
  napi_valuetype t;
  napi_get_named_property(env, obj, key, &v);
  napi_typeof(env, v, &t);
  if (t != napi_number) return 0;
  napi_get_value_uint32(env, v, out);
  return 1;
}

static int get_opt_bool(napi_env env, napi_value obj, const char *key, int fallback) {
  bool has = false;
  if (obj == NULL) return fallback;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return fallback;
  napi_value v;
  napi_valuetype t;
  napi_get_named_property(env, obj, key, &v);
  napi_typeof(env, v, &t);
  if (t != napi_boolean) return fallback;
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b ? 1 : 0;
}

/* Returns a malloc'd string or NULL. */
static char *get_opt_string(napi_env env, napi_value obj, const char *key) {
  bool has = false;
  if (obj == NULL) return NULL;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return NULL;
  napi_value v;
  napi_valuetype t;
  napi_get_named_property(env, obj, key, &v);
  napi_typeof(env, v, &t);
  if (t != napi_string) return NULL;
  size_t len = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static void set_buffer_size(int fd, int force_opt, int opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) != 0)
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

/* Creates an ArrayBuffer of `bytes`, returns its data, and keeps a strong reference. */
static void *make_buffer(napi_env env, size_t bytes, napi_ref *ref, napi_value *out) {
  void *data = NULL;
  if (napi_create_arraybuffer(env, bytes, &data, out) != napi_ok) return NULL;
  memset(data, 0, bytes);
  if (napi_create_reference(env, *out, 1, ref) != napi_ok) return NULL;
  return data;
}

/* ---- the socket ---- */

typedef struct open_params {
  const char *name;
  uint32_t index;
  int use_index, promisc, qdisc_bypass, vnet, rcvbuf, sndbuf;
  uint32_t slot_size;   /* 0: from the MTU */
  uint32_t ring_frames; /* 0: recvmmsg into slots; else a TPACKET_V2 receive ring of this many frames */
  uint32_t slots;
  int xdp_mode; /* -1: no AF_XDP; else XSK_MODE_* */
} open_params_t;

typedef struct open_result {
  int fd, ifindex, mtu, vnet;
  unsigned char mac[6];
  char ifname[IF_NAMESIZE];
  const char *step; /* which step failed */
  int err;
  uint32_t slot_size;
  /* receive ring (TPACKET_V2), when asked for */
  uint8_t *ring;
  size_t ring_bytes;
  uint32_t ring_frames, frame_size, frames_per_block, block_size;
  /* AF_XDP, when asked for: the region (copy slots, then UMEM) and the XSK */
  uint8_t *region;
  size_t region_bytes;
  uint32_t umem_off;
  xsk_t xsk;
  const char *verifier_log;
} open_result_t;

static int open_socket(const open_params_t *o, open_result_t *r) {
  const char *name = o->name;
  int vnet = o->vnet;
  memset(r, 0, sizeof *r);
  r->fd = -1;
  xsk_init(&r->xsk);
  if (o->use_index) {
    if (if_indextoname(o->index, r->ifname) == NULL) {
      r->step = "if_indextoname";
      r->err = errno;
      return -1;
    }
  } else {
    if (strlen(name) >= IF_NAMESIZE) {
      r->step = "interface name too long";
      r->err = ENAMETOOLONG;
      return -1;
    }
    strcpy(r->ifname, name);
  }
  r->ifindex = (int)if_nametoindex(r->ifname);
  if (r->ifindex == 0) {
    r->step = "no such interface";
    r->err = errno;
    return -1;
  }
  /* Protocol 0: the socket receives nothing until bind() names the interface,
   * so no frame of another interface is ever queued on it. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r->step = "socket(AF_PACKET, SOCK_RAW)";
    r->err = errno;
    return -1;
  }
  int one = 1;
#define FAIL(s)                                  \
  do {                                           \
    r->step = (s);                               \
    r->err = errno;                              \
    if (r->ring) munmap(r->ring, r->ring_bytes); \
    r->ring = NULL;                              \
    close(fd);                                   \
    return -1;                                   \
  } while (0)
#define FAIL_XDP(s)                                  \
  do {                                               \
    int e_ = errno;                                  \
    if (r->region) munmap(r->region, r->region_bytes); \
    r->region = NULL;                                \
    errno = e_;                                      \
    FAIL(s);                                         \
  } while (0)
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) != 0) FAIL("setsockopt(PACKET_AUXDATA)");
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0)
    FAIL("setsockopt(PACKET_IGNORE_OUTGOING)");
  if (vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0) vnet = 0;
  if (o->qdisc_bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0)
    FAIL("setsockopt(PACKET_QDISC_BYPASS)");
  set_buffer_size(fd, SO_RCVBUFFORCE, SO_RCVBUF, o->rcvbuf);
  set_buffer_size(fd, SO_SNDBUFFORCE, SO_SNDBUF, o->sndbuf);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, r->ifname, IF_NAMESIZE);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) FAIL("ioctl(SIOCGIFHWADDR)");
  memcpy(r->mac, ifr.ifr_hwaddr.sa_data, 6);
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, r->ifname, IF_NAMESIZE);
  if (ioctl(fd, SIOCGIFMTU, &ifr) != 0) FAIL("ioctl(SIOCGIFMTU)");
  r->mtu = ifr.ifr_mtu;

  uint32_t slot_size = o->slot_size ? o->slot_size : (uint32_t)r->mtu + ETH_HLEN + 4 + HEADROOM;
  slot_size = (slot_size + 63u) & ~63u;
  if (slot_size < 128) slot_size = 128;
  if (slot_size > 65536 + 128) slot_size = 65536 + 128;
  r->slot_size = slot_size;

  if (o->ring_frames) {
    /* Where tpacket_rcv() puts an Ethernet frame (maclen 14) in a TPACKET_V2 frame. */
    uint32_t macoff = TPACKET_ALIGN(TPACKET2_HDRLEN + 16) + (vnet ? sizeof(struct virtio_net_hdr) : 0) - ETH_HLEN;
    uint32_t frame_size = TPACKET_ALIGN(macoff + slot_size);
    uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
    uint32_t block_size = ((frame_size * 16 + page - 1) / page) * page;
    uint32_t per_block = block_size / frame_size;
    uint32_t blocks = (o->ring_frames + per_block - 1) / per_block;
    int version = TPACKET_V2;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) FAIL("setsockopt(PACKET_VERSION)");
    struct tpacket_req req = {block_size, blocks, frame_size, blocks * per_block};
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) FAIL("setsockopt(PACKET_RX_RING)");
    size_t bytes = (size_t)block_size * blocks;
    void *ring = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) FAIL("mmap(PACKET_RX_RING)");
    r->ring = ring;
    r->ring_bytes = bytes;
    r->ring_frames = blocks * per_block;
    r->frame_size = frame_size;
    r->frames_per_block = per_block;
    r->block_size = block_size;
  }

  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = r->ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) FAIL("bind(AF_PACKET)");

  if (o->promisc) {
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = r->ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
      FAIL("setsockopt(PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC)");
  }
  if (o->xdp_mode >= 0) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t copy = (((size_t)o->slots * slot_size) + page - 1) / page * page;
    size_t bytes = copy + xsk_umem_bytes((uint32_t)r->mtu);
    void *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (region == MAP_FAILED) FAIL("mmap(AF_XDP UMEM)");
    r->region = region;
    r->region_bytes = bytes;
    r->umem_off = (uint32_t)copy;
    const char *step = NULL;
    if (xsk_open(&r->xsk, r->ifindex, r->mac, (uint32_t)r->mtu, o->xdp_mode, r->region + copy, &step) != 0) {
      r->verifier_log = r->xsk.verifier_log;
      FAIL_XDP(step);
    }
  }
#undef FAIL_XDP
#undef FAIL
  r->fd = fd;
  r->vnet = vnet;
  return 0;
}

/* Undoes a successful open_socket whose port could not be built. */
static void discard_open(open_result_t *r) {
  if (r->ring) munmap(r->ring, r->ring_bytes);
  r->ring = NULL;
  xsk_close(&r->xsk);
  if (r->region) munmap(r->region, r->region_bytes);
  r->region = NULL;
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
}

/* The ring's ArrayBuffer is collected (or detached by close): unmap it. */
static void ring_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

/* Runs open_socket inside the network namespace at `path` (e.g. /run/netns/x)
 * by switching this thread there and back. Returns -2 when the thread could
 * not be switched back (the caller aborts: continuing would be unsafe). */
static int open_in_netns(const char *path, const open_params_t *o, open_result_t *r) {
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    memset(r, 0, sizeof *r);
    r->step = "open(/proc/thread-self/ns/net)";
    r->err = errno;
    return -1;
  }
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    memset(r, 0, sizeof *r);
    r->step = "open(netns path)";
    r->err = errno;
    close(home);
    return -1;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    memset(r, 0, sizeof *r);
    r->step = "setns(netns path)";
    r->err = errno;
    close(target);
    close(home);
    return -1;
  }
  close(target);
  int rc = open_socket(o, r);
  if (setns(home, CLONE_NEWNET) != 0) {
    close(home);
    return -2;
  }
  close(home);
  return rc;
}

/* ---- JavaScript API ---- */

static napi_value set_prop_u32(napi_env env, napi_value obj, const char *key, uint32_t v) {
  napi_value n;
  napi_create_uint32(env, v, &n);
  napi_set_named_property(env, obj, key, n);
  return n;
}

/* Sets the XDP program's own-address set from a Uint8Array of 16-byte
 * addresses. Returns 0, or -1 with a JavaScript exception pending. */
static int set_local_addresses(napi_env env, port_t *p, napi_value v) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) {
    napi_throw_type_error(env, NULL, "frame-io: localAddresses must be a Uint8Array of 16-byte addresses");
    return -1;
  }
  napi_typedarray_type tt;
  size_t len = 0;
  void *data = NULL;
  napi_get_typedarray_info(env, v, &tt, &len, &data, NULL, NULL);
  if (tt != napi_uint8_array || len % 16 != 0 || len / 16 > XSK_MAX_LOCAL) {
    napi_throw_range_error(env, NULL, "frame-io: localAddresses must be a Uint8Array of at most 256 16-byte addresses");
    return -1;
  }
  if (p->xsk.fd < 0) return 0;
  if (xsk_set_local(&p->xsk, data, (uint32_t)(len / 16)) != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "frame-io: updating the XDP program's own addresses failed: %s", strerror(errno));
    napi_throw_error(env, NULL, msg);
    return -1;
  }
  return 0;
}

/* port.setLocalAddresses(Uint8Array): the addresses the XDP program leaves to the kernel. */
static napi_value port_set_local(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  port_t *p = unwrap(env, info, &argc, argv);
  if (!p) return NULL;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "frame-io: setLocalAddresses(Uint8Array)");
    return NULL;
  }
  set_local_addresses(env, p, argv[0]);
  return NULL;
}

/* port.setXdpBypass(bool): take the XDP program off the interface (true) or put it back (false). */
static napi_value port_set_bypass(napi_env env, napi_callback_info info) {
  bool on;
  port_t *p = unwrap_bool(env, info, false, &on);
  if (!p) return NULL;
  if (!p->closed && xsk_set_bypass(&p->xsk, on ? 1 : 0) != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "frame-io: attaching the XDP program again failed: %s", strerror(errno));
    napi_throw_error(env, NULL, msg);
  }
  return NULL;
}

/* new Port(nameOrIndex, options?) */
static napi_value port_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_value new_target = NULL;
  NAPI_CALL(env, napi_get_new_target(env, info, &new_target));
  if (new_target == NULL) {
    napi_throw_type_error(env, NULL, "frame-io: Port must be called with new");
    return NULL;
  }
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "frame-io: Port(nameOrIndex, options?) needs an interface");
    return NULL;
  }
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  char name[64] = {0};
  uint32_t index = 0;
  int use_index = 0;
  if (t == napi_string) {
    size_t len = 0;
    napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len);
    if (len == 0) {
      napi_throw_type_error(env, NULL, "frame-io: empty interface name");
      return NULL;
    }
  } else if (t == napi_number) {
    napi_get_value_uint32(env, argv[0], &index);
    use_index = 1;
  } else {
    napi_throw_type_error(env, NULL, "frame-io: interface must be a name or an ifindex");
    return NULL;
  }
  napi_value opts = NULL;
  if (argc >= 2) {
    napi_typeof(env, argv[1], &t);
    if (t == napi_object) opts = argv[1];
  }
  uint32_t slots = DEFAULT_SLOTS, tx_slots = DEFAULT_SLOTS, slot_size = 0;
  uint32_t rcvbuf = DEFAULT_BUFFER_BYTES, sndbuf = DEFAULT_BUFFER_BYTES;
  get_opt_u32(env, opts, "slots", &slots);
  get_opt_u32(env, opts, "txSlots", &tx_slots);
  get_opt_u32(env, opts, "slotSize", &slot_size);
  get_opt_u32(env, opts, "rcvbuf", &rcvbuf);
  get_opt_u32(env, opts, "sndbuf", &sndbuf);
  int promisc = get_opt_bool(env, opts, "promiscuous", 0);
  int qdisc_bypass = get_opt_bool(env, opts, "qdiscBypass", 0);
  int vnet = get_opt_bool(env, opts, "vnetHeader", 1);
  if (slots < 1 || slots > MAX_SLOTS || tx_slots < 1 || tx_slots > MAX_SLOTS) {
    napi_throw_range_error(env, NULL, "frame-io: slots and txSlots must be within 1..1024");
    return NULL;
  }
  if (rcvbuf > INT32_MAX / 2) rcvbuf = INT32_MAX / 2;
  if (sndbuf > INT32_MAX / 2) sndbuf = INT32_MAX / 2;
  uint32_t ring_frames = 0;
  get_opt_u32(env, opts, "ringFrames", &ring_frames);
  if (ring_frames > 1u << 20) ring_frames = 1u << 20;
  int xdp_mode = -1;
  char *xdp = get_opt_string(env, opts, "xdp");
  if (xdp) {
    if (!strcmp(xdp, "auto")) xdp_mode = XSK_MODE_AUTO;
    else if (!strcmp(xdp, "native")) xdp_mode = XSK_MODE_NATIVE;
    else if (!strcmp(xdp, "generic")) xdp_mode = XSK_MODE_GENERIC;
    free(xdp);
    if (xdp_mode < 0) {
      napi_throw_range_error(env, NULL, "frame-io: xdp must be 'auto', 'native' or 'generic'");
      return NULL;
    }
    if (ring_frames) {
      napi_throw_range_error(env, NULL, "frame-io: xdp and ringFrames cannot be combined");
      return NULL;
    }
  }
  char *netns = get_opt_string(env, opts, "netns");
  open_params_t params = {name, index, use_index, promisc, qdisc_bypass, vnet, (int)rcvbuf, (int)sndbuf, slot_size, ring_frames, slots, xdp_mode};

  open_result_t r;
  int rc;
  if (netns) {
    rc = open_in_netns(netns, &params, &r);
    if (rc == -2) napi_fatal_error("frame-io", NAPI_AUTO_LENGTH, "could not return to the original network namespace", NAPI_AUTO_LENGTH);
  } else {
    rc = open_socket(&params, &r);
  }
  if (rc != 0) {
    char what[320];
    if (use_index)
      snprintf(what, sizeof what, "ifindex %u%s%s", index, netns ? " in " : "", netns ? netns : "");
    else
      snprintf(what, sizeof what, "%s%s%s", name, netns ? " in " : "", netns ? netns : "");
    free(netns);
    if (r.verifier_log && r.verifier_log[0]) fprintf(stderr, "frame-io: the verifier refused the XDP program:\n%s\n", r.verifier_log);
    return throw_open_error(env, what, r.step ? r.step : "unknown step", r.err);
  }
  free(netns);

  slot_size = r.slot_size;

  port_t *p = calloc(1, sizeof *p);
  if (!p) {
    discard_open(&r);
    napi_throw_error(env, NULL, "frame-io: out of memory");
    return NULL;
  }
  p->fd = r.fd;
  p->poll_fd = r.fd;
  xsk_init(&p->xsk);
  p->ifindex = r.ifindex;
  p->mtu = r.mtu;
  p->vnet = r.vnet;
  memcpy(p->mac, r.mac, 6);
  memcpy(p->ifname, r.ifname, IF_NAMESIZE);
  p->slots = slots;
  p->tx_slots = tx_slots;
  p->slot_size = slot_size;
  p->env = env;

  p->rx_msgs = calloc(slots, sizeof *p->rx_msgs);
  p->rx_iov = calloc((size_t)slots * 2, sizeof *p->rx_iov);
  p->rx_addr = calloc(slots, sizeof *p->rx_addr);
  p->rx_cmsg = calloc(slots, CMSG_BYTES);
  p->rx_vnet = calloc(slots, sizeof *p->rx_vnet);
  p->tx_msgs = calloc(tx_slots, sizeof *p->tx_msgs);
  p->tx_iov = calloc((size_t)tx_slots * 2, sizeof *p->tx_iov);
  if (!p->rx_msgs || !p->rx_iov || !p->rx_addr || !p->rx_cmsg || !p->rx_vnet || !p->tx_msgs || !p->tx_iov) {
    discard_open(&r);
    free_port_memory(p);
    napi_throw_error(env, NULL, "frame-io: out of memory");
    return NULL;
  }

  napi_value rx_ab, meta_ab, tx_ab, txlen_ab, cnt_ab;
  /* A receive ring or an AF_XDP region is a mapping: its ArrayBuffer owns it (unmapped by ring_finalize). */
  int is_ring = r.ring != NULL;
  uint8_t *mapped = is_ring ? r.ring : r.region;
  size_t mapped_bytes = is_ring ? r.ring_bytes : r.region_bytes;
  if (mapped && (napi_create_external_arraybuffer(env, mapped, mapped_bytes, ring_finalize, (void *)(uintptr_t)mapped_bytes,
                                                  &rx_ab) != napi_ok ||
                 napi_create_reference(env, rx_ab, 1, &p->buffers[0]) != napi_ok)) {
    discard_open(&r);
    release_js(p);
    free_port_memory(p);
    throw_last(env, "napi_create_external_arraybuffer");
    return NULL;
  }
  if (mapped) r.ring = r.region = NULL; /* the ArrayBuffer owns the mapping now */
  if (is_ring) {
    p->rx = p->ring = mapped;
    p->ring_frames = r.ring_frames;
    p->frame_size = r.frame_size;
    p->frames_per_block = r.frames_per_block;
    p->block_size = r.block_size;
  } else if (mapped) {
    p->rx = p->region = mapped;
    p->region_bytes = mapped_bytes;
    p->umem_off = r.umem_off;
    p->xsk = r.xsk;
    xsk_init(&r.xsk);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.fd = p->fd;
    int ok = ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev) == 0;
    ev.data.fd = p->xsk.fd;
    ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, p->xsk.fd, &ev) == 0;
    if (!ok) {
      int e = errno;
      if (ep >= 0) close(ep);
      xsk_close(&p->xsk);
      close(p->fd);
      p->fd = -1;
      p->closed = 1;
      release_js(p);
      free_port_memory(p);
      return throw_open_error(env, name, "epoll_create1/epoll_ctl", e);
    }
    p->poll_fd = ep;
  } else {
    p->rx = make_buffer(env, (size_t)slots * slot_size, &p->buffers[0], &rx_ab);
  }
  p->meta = make_buffer(env, (size_t)slots * META_FIELD_COUNT * sizeof(int32_t), &p->buffers[1], &meta_ab);
  p->tx = make_buffer(env, (size_t)tx_slots * slot_size, &p->buffers[2], &tx_ab);
  p->tx_len = make_buffer(env, (size_t)tx_slots * sizeof(int32_t), &p->buffers[3], &txlen_ab);
  p->counters = make_buffer(env, COUNTER_COUNT * sizeof(double), &p->buffers[4], &cnt_ab);
  if (!p->rx || !p->meta || !p->tx || !p->tx_len || !p->counters) {
    discard_open(&r);
    xsk_close(&p->xsk);
    if (p->region && p->poll_fd >= 0) close(p->poll_fd);
    release_js(p);
    free_port_memory(p);
    throw_last(env, "napi_create_arraybuffer");
    return NULL;
  }

  /* Copy mode: frame i always sits at i * slotSize. */
  if (!p->ring)
    for (uint32_t i = 0; i < slots; i++) p->meta[META_OFFSET * slots + i] = (int32_t)(i * slot_size);

  /* Wire the message headers once; only lengths are reset per call. */
  size_t vn = p->vnet ? sizeof(struct virtio_net_hdr) : 0;
  for (uint32_t i = 0; i < slots; i++) {
    struct iovec *iov = &p->rx_iov[i * 2];
    int n = 0;
    if (vn) {
      iov[n].iov_base = &p->rx_vnet[i];
      iov[n++].iov_len = vn;
    }
    iov[n].iov_base = p->rx + (size_t)i * slot_size;
    iov[n++].iov_len = slot_size;
    p->rx_msgs[i].msg_hdr.msg_iov = iov;
    p->rx_msgs[i].msg_hdr.msg_iovlen = n;
    p->rx_msgs[i].msg_hdr.msg_name = &p->rx_addr[i];
    p->rx_msgs[i].msg_hdr.msg_control = p->rx_cmsg + (size_t)i * CMSG_BYTES;
  }
  for (uint32_t i = 0; i < tx_slots; i++) {
    struct iovec *iov = &p->tx_iov[i * 2];
    int n = 0;
    if (vn) {
      iov[n].iov_base = &p->tx_vnet;
      iov[n++].iov_len = vn;
    }
    iov[n].iov_base = p->tx + (size_t)i * slot_size;
    iov[n++].iov_len = 0;
    p->tx_msgs[i].msg_hdr.msg_iov = iov;
    p->tx_msgs[i].msg_hdr.msg_iovlen = n;
  }

  if (napi_wrap(env, self, p, finalize_port, NULL, &p->self) != napi_ok) {
    discard_open(&r);
    release_js(p);
    free_port_memory(p);
    throw_last(env, "napi_wrap");
    return NULL;
  }

  if (p->xsk.fd >= 0 && opts) {
    bool has = false;
    napi_has_named_property(env, opts, "localAddresses", &has);
    if (has) {
      napi_value la;
      napi_get_named_property(env, opts, "localAddresses", &la);
      if (set_local_addresses(env, p, la) != 0) {
        close_port(p);
        return NULL;
      }
    }
  }

  napi_value v;
  napi_create_string_utf8(env, p->ifname, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, self, "name", v);
  set_prop_u32(env, self, "ifindex", (uint32_t)p->ifindex);
  set_prop_u32(env, self, "mtu", (uint32_t)p->mtu);
  set_prop_u32(env, self, "slots", slots);
  set_prop_u32(env, self, "txSlots", tx_slots);
  set_prop_u32(env, self, "slotSize", slot_size);
  napi_get_boolean(env, p->vnet != 0, &v);
  napi_set_named_property(env, self, "vnetHeader", v);
  set_prop_u32(env, self, "ringFrames", p->ring_frames);
  {
    /* The AF_PACKET socket's inode, as /proc/net/packet lists it. */
    struct stat st;
    double ino = fstat(p->fd, &st) == 0 ? (double)st.st_ino : 0;
    napi_create_double(env, ino, &v);
    napi_set_named_property(env, self, "socketInode", v);
  }
  napi_create_string_utf8(env, p->xsk.fd < 0 ? "" : p->xsk.native ? "native" : "generic", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, self, "xdp", v);
  napi_value mac_ab, mac;
  void *mac_data;
  napi_create_arraybuffer(env, 6, &mac_data, &mac_ab);
  memcpy(mac_data, p->mac, 6);
  napi_create_typedarray(env, napi_uint8_array, 6, mac_ab, 0, &mac);
  napi_set_named_property(env, self, "mac", mac);
  napi_set_named_property(env, self, "rxBuffer", rx_ab);
  napi_set_named_property(env, self, "meta", meta_ab);
  napi_set_named_property(env, self, "txBuffer", tx_ab);
  napi_set_named_property(env, self, "txLengths", txlen_ab);
  napi_set_named_property(env, self, "counters", cnt_ab);
  int got = 0;
  socklen_t gl = sizeof got;
  getsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &got, &gl);
  set_prop_u32(env, self, "rcvbuf", (uint32_t)got);
  gl = sizeof got;
  getsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &got, &gl);
  set_prop_u32(env, self, "sndbuf", (uint32_t)got);
  return self;
}

static inline struct tpacket2_hdr *ring_frame(const port_t *p, uint32_t idx) {
  return (struct tpacket2_hdr *)(p->ring + (size_t)(idx / p->frames_per_block) * p->block_size +
                                 (size_t)(idx % p->frames_per_block) * p->frame_size);
}

/* Gives the frames of the last batch back to the kernel. */
static void ring_release(port_t *p) {
  uint32_t n = p->ring_frames;
  for (uint32_t k = 0; k < p->held; k++) {
    struct tpacket2_hdr *h = ring_frame(p, (p->cursor + n - p->held + k) % n);
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  }
  p->held = 0;
}

/* Ring mode: no system call; reads up to `slots` frames the kernel has filled. */
static int ring_recv(port_t *p) {
  ring_release(p);
  const uint32_t S = p->slots;
  const int vn = p->vnet;
  int n = 0;
  double bytes = 0;
  while ((uint32_t)n < S) {
    struct tpacket2_hdr *h = ring_frame(p, p->cursor);
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(st & TP_STATUS_USER)) break;
    const struct sockaddr_ll *sll =
        (const struct sockaddr_ll *)((const uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
    int32_t wire = (int32_t)h->tp_len;
    int32_t stored = (int32_t)h->tp_snaplen;
    if (stored > (int32_t)p->slot_size) stored = (int32_t)p->slot_size;
    int32_t flags = 0, tci = 0, tpid = 0, cstart = -1, coff = -1;
    if (wire > stored) {
      flags |= FLAG_TRUNCATED;
      p->counters[C_RX_TRUNCATED] += 1;
    }
    if (st & TP_STATUS_CSUMNOTREADY) flags |= FLAG_CSUM_NOT_READY;
    if (st & TP_STATUS_CSUM_VALID) flags |= FLAG_CSUM_VALID;
    if (st & TP_STATUS_VLAN_VALID) {
      flags |= FLAG_VLAN;
      tci = h->tp_vlan_tci;
      tpid = (st & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
    }
    if (vn && h->tp_mac >= sizeof(struct virtio_net_hdr)) {
      struct virtio_net_hdr vh;
      memcpy(&vh, (const uint8_t *)h + h->tp_mac - sizeof vh, sizeof vh);
      if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        cstart = vh.csum_start;
        coff = vh.csum_offset;
      }
      if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) flags |= FLAG_GSO;
    }
    p->meta[META_LENGTH * S + n] = stored;
    p->meta[META_WIRE_LENGTH * S + n] = wire;
    p->meta[META_PKT_TYPE * S + n] = sll->sll_pkttype;
    p->meta[META_FLAGS * S + n] = flags;
    p->meta[META_CSUM_START * S + n] = cstart;
    p->meta[META_CSUM_OFFSET * S + n] = coff;
    p->meta[META_VLAN_TCI * S + n] = tci;
    p->meta[META_VLAN_TPID * S + n] = tpid;
    p->meta[META_OFFSET * S + n] = (int32_t)(((const uint8_t *)h - p->ring) + h->tp_mac);
    bytes += stored;
    n++;
    p->cursor = (p->cursor + 1) % p->ring_frames;
  }
  p->held = (uint32_t)n;
  if (n > 0) {
    p->counters[C_RX_FRAMES] += n;
    p->counters[C_RX_BYTES] += bytes;
    p->counters[C_RX_BATCHES] += 1;
  }
  return n;
}

/* Counts a received batch of n frames and returns n to JavaScript. */
static napi_value batch_received(napi_env env, port_t *p, int n, double bytes) {
  if (n > 0) {
    p->counters[C_RX_FRAMES] += n;
    p->counters[C_RX_BYTES] += bytes;
    p->counters[C_RX_BATCHES] += 1;
  }
  napi_value out;
  napi_create_int32(env, n, &out);
  return out;
}

/* port.recv() -> number of frames in this batch (0 when none). Copy mode: in
 * rx slots 0..n-1. Ring mode: in place in the ring (see meta offsets), valid
 * until the next recv() or release(). */
static napi_value port_recv(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  port_t *p = unwrap(env, info, &argc, NULL);
  if (!p) return NULL;
  int n = 0;
  if (p->ring) {
    n = p->closed ? 0 : ring_recv(p);
    napi_value out;
    napi_create_int32(env, n, &out);
    return out;
  }
  if (p->xsk.fd >= 0 && !p->closed) {
    const uint32_t S = p->slots;
    int32_t *off = p->meta + META_OFFSET * S, *len = p->meta + META_LENGTH * S;
    n = (int)xsk_recv(&p->xsk, S, off, len);
    if (n > 0) {
      double bytes = 0;
      for (int i = 0; i < n; i++) {
        off[i] += (int32_t)p->umem_off;
        bytes += len[i];
        p->meta[META_WIRE_LENGTH * S + i] = len[i];
        p->meta[META_PKT_TYPE * S + i] = PACKET_HOST; /* the program redirects only frames to our MAC */
        p->meta[META_FLAGS * S + i] = 0;
        p->meta[META_CSUM_START * S + i] = -1;
        p->meta[META_CSUM_OFFSET * S + i] = -1;
        p->meta[META_VLAN_TCI * S + i] = 0;
        p->meta[META_VLAN_TPID * S + i] = 0;
      }
      return batch_received(env, p, n, bytes);
    }
    /* Nothing from the XSK: the AF_PACKET socket, whose frames sit in the copy slots. */
    for (uint32_t i = 0; i < S; i++) off[i] = (int32_t)(i * p->slot_size);
  }
  if (!p->closed) {
    for (uint32_t i = 0; i < p->slots; i++) {
      struct msghdr *h = &p->rx_msgs[i].msg_hdr;
      h->msg_namelen = sizeof(struct sockaddr_ll);
      h->msg_controllen = CMSG_BYTES;
      h->msg_flags = 0;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
      n = recvmmsg(p->fd, p->rx_msgs, p->slots, MSG_DONTWAIT | MSG_TRUNC, NULL);
      if (n >= 0) break;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        n = 0;
        break;
      }
      if (errno != EINTR) p->counters[C_RX_ERRORS] += 1; /* the faulty datagram is consumed: retry */
      n = 0;
    }
  }
  const uint32_t S = p->slots;
  const int32_t vn = p->vnet ? (int32_t)sizeof(struct virtio_net_hdr) : 0;
  double bytes = 0;
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &p->rx_msgs[i].msg_hdr;
    int32_t full = (int32_t)p->rx_msgs[i].msg_len - vn; /* MSG_TRUNC: the real length */
    if (full < 0) full = 0;
    int32_t stored = full > (int32_t)p->slot_size ? (int32_t)p->slot_size : full;
    int32_t flags = 0;
    int32_t wire = full;
    int32_t tci = 0, tpid = 0, cstart = -1, coff = -1;
    if ((h->msg_flags & MSG_TRUNC) || full > (int32_t)p->slot_size) {
      flags |= FLAG_TRUNCATED;
      p->counters[C_RX_TRUNCATED] += 1;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
      struct tpacket_auxdata aux;
      memcpy(&aux, CMSG_DATA(c), sizeof aux);
      wire = (int32_t)aux.tp_len;
      if (aux.tp_status & TP_STATUS_CSUMNOTREADY) flags |= FLAG_CSUM_NOT_READY;
      if (aux.tp_status & TP_STATUS_CSUM_VALID) flags |= FLAG_CSUM_VALID;
      if (aux.tp_status & TP_STATUS_VLAN_VALID) {
        flags |= FLAG_VLAN;
        tci = aux.tp_vlan_tci;
        tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : ETH_P_8021Q;
      }
    }
    if (vn) {
      const struct virtio_net_hdr *vh = &p->rx_vnet[i];
      if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        cstart = vh->csum_start;
        coff = vh->csum_offset;
      }
      if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) flags |= FLAG_GSO;
    }
    p->meta[META_LENGTH * S + i] = stored;
    p->meta[META_WIRE_LENGTH * S + i] = wire;
    p->meta[META_PKT_TYPE * S + i] = p->rx_addr[i].sll_pkttype;
    p->meta[META_FLAGS * S + i] = flags;
    p->meta[META_CSUM_START * S + i] = cstart;
    p->meta[META_CSUM_OFFSET * S + i] = coff;
    p->meta[META_VLAN_TCI * S + i] = tci;
    p->meta[META_VLAN_TPID * S + i] = tpid;
    bytes += stored;
  }
  return batch_received(env, p, n, bytes);
}

/* port.send(count) -> frames accepted by the kernel from tx slots 0..count-1. */
static napi_value port_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  port_t *p = unwrap(env, info, &argc, argv);
  if (!p) return NULL;
  uint32_t count = 0;
  if (argc >= 1) napi_get_value_uint32(env, argv[0], &count);
  if (count > p->tx_slots) count = p->tx_slots;
  uint32_t sent = 0;
  if (p->closed) {
    p->counters[C_TX_DROPPED] += count;
    count = 0;
  }
  const int last = p->vnet ? 1 : 0;
  for (uint32_t i = 0; i < count; i++) {
    int32_t len = p->tx_len[i];
    if (len < 0) len = 0;
    if (len > (int32_t)p->slot_size) len = (int32_t)p->slot_size;
    p->tx_msgs[i].msg_hdr.msg_iov[last].iov_len = (size_t)len;
  }
  uint32_t i = 0;
  double bytes = 0;
  while (i < count) {
    int r = sendmmsg(p->fd, p->tx_msgs + i, count - i, MSG_DONTWAIT);
    if (r > 0) {
      for (int k = 0; k < r; k++) bytes += (double)p->tx_msgs[i + k].msg_hdr.msg_iov[last].iov_len;
      i += (uint32_t)r;
      sent += (uint32_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      p->counters[C_TX_DROPPED] += count - i; /* socket or device queue full: dropped, as a router does */
      break;
    }
    p->counters[C_TX_ERRORS] += 1; /* this frame is refused (EMSGSIZE, ENETDOWN, ...): skip it */
    i += 1;
  }
  if (count > 0) p->counters[C_TX_BATCHES] += 1;
  p->counters[C_TX_FRAMES] += sent;
  p->counters[C_TX_BYTES] += bytes;
  napi_value out;
  napi_create_uint32(env, sent, &out);
  return out;
}

/* port.release(): ring mode: gives the last batch's frames back to the kernel. */
static napi_value port_release(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  port_t *p = unwrap(env, info, &argc, NULL);
  if (!p) return NULL;
  if (p->ring && !p->closed) ring_release(p);
  if (p->xsk.fd >= 0 && !p->closed) xsk_release(&p->xsk);
  return NULL;
}

/* port.stats(): folds PACKET_STATISTICS (reset on read by the kernel) into the counters. */
static napi_value port_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  port_t *p = unwrap(env, info, &argc, NULL);
  if (!p) return NULL;
  if (!p->closed) {
    struct tpacket_stats st;
    socklen_t len = sizeof st;
    if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
      p->counters[C_KERNEL_PACKETS] += st.tp_packets;
      p->counters[C_KERNEL_DROPS] += st.tp_drops;
    }
    uint64_t dropped;
    if (p->xsk.fd >= 0 && xsk_stats(&p->xsk, &dropped) == 0) {
      p->counters[C_KERNEL_DROPS] += (double)(dropped - p->xsk_drops_seen);
      p->xsk_drops_seen = dropped;
    }
  }
  return NULL;
}

static void on_readable(uv_poll_t *h, int status, int events);
static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  port_t *p = (port_t *)h->data;
  if (p->closed || !p->callback) return;
  if (status < 0) {
    /* A socket error (ENETDOWN when the link goes down) makes epoll report
     * POLLERR, and libuv then stops the handle. Read the error (which clears
     * it), count it, and poll again: the kernel re-attaches the socket when
     * the link comes back up. */
    p->counters[C_POLL_ERRORS] += 1;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) p->counters[C_RX_ERRORS] += 1;
    if (p->polling && uv_poll_start(&p->poll, UV_READABLE, on_readable) != 0) {
      stop_polling(p);
      return;
    }
  }
  p->counters[C_WAKEUPS] += 1;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, self, result;
  if (napi_get_reference_value(env, p->callback, &cb) == napi_ok && cb &&
      napi_get_reference_value(env, p->self, &self) == napi_ok && self) {
    napi_status s = napi_make_callback(env, p->async, self, cb, 0, NULL, &result);
    if (s == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* port.poll(callback | null): call `callback` whenever the socket is readable. */
static napi_value port_poll(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  port_t *p = unwrap(env, info, &argc, argv);
  if (!p) return NULL;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_function) {
    stop_polling(p);
    if (p->callback) {
      napi_delete_reference(env, p->callback);
      p->callback = NULL;
    }
    return NULL;
  }
  if (p->closed) {
    napi_throw_error(env, "ERR_PORT_CLOSED", "frame-io: port is closed");
    return NULL;
  }
  if (p->callback) napi_delete_reference(env, p->callback);
  NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &p->callback));
  if (!p->async) {
    napi_value name;
    napi_create_string_utf8(env, "frame-io", NAPI_AUTO_LENGTH, &name);
    NAPI_CALL(env, napi_async_init(env, NULL, name, &p->async));
  }
  if (!p->poll_inited) {
    uv_loop_t *loop = NULL;
    NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
    int rc = uv_poll_init(loop, &p->poll, p->poll_fd);
    if (rc != 0) {
      napi_throw_error(env, NULL, uv_strerror(rc));
      return NULL;
    }
    p->poll.data = p;
    p->poll_inited = 1;
    p->handle_open = 1;
    if (napi_add_async_cleanup_hook(env, on_env_cleanup, p, &p->cleanup) != napi_ok) p->cleanup = NULL;
  }
  if (!p->polling) {
    int rc = uv_poll_start(&p->poll, UV_READABLE, on_readable);
    if (rc != 0) {
      napi_throw_error(env, NULL, uv_strerror(rc));
      return NULL;
    }
    p->polling = 1;
    uint32_t count;
    napi_reference_ref(env, p->self, &count);
  }
  return NULL;
}

/* port.ref(bool): whether an active poll keeps the event loop alive (default true). */
static napi_value port_ref(napi_env env, napi_callback_info info) {
  bool on;
  port_t *p = unwrap_bool(env, info, true, &on);
  if (!p) return NULL;
  if (p->poll_inited && p->handle_open) {
    if (on) uv_ref((uv_handle_t *)&p->poll);
    else uv_unref((uv_handle_t *)&p->poll);
  }
  return NULL;
}

/* port.close(): stop the wakeup and close the socket; idempotent. */
static napi_value port_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  port_t *p = unwrap(env, info, &argc, NULL);
  if (!p) return NULL;
  if (!p->closed) {
    /* keep the last kernel statistics */
    struct tpacket_stats st;
    socklen_t len = sizeof st;
    if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
      p->counters[C_KERNEL_PACKETS] += st.tp_packets;
      p->counters[C_KERNEL_DROPS] += st.tp_drops;
    }
  }
  close_port(p);
  if (p->callback) {
    napi_delete_reference(env, p->callback);
    p->callback = NULL;
  }
  if ((p->ring || p->region) && p->buffers[0]) {
    /* Detach the ring's ArrayBuffer: views read as empty, the mapping (and
     * with it the socket) is released by ring_finalize. */
    napi_value ab;
    if (napi_get_reference_value(env, p->buffers[0], &ab) == napi_ok && ab) napi_detach_arraybuffer(env, ab);
    napi_delete_reference(env, p->buffers[0]);
    p->buffers[0] = NULL;
    p->rx = p->ring = p->region = NULL;
  }
  return NULL;
}

static napi_value make_constants(napi_env env) {
  napi_value c, meta, flags, counters;
  napi_create_object(env, &c);
  napi_create_object(env, &meta);
  napi_create_object(env, &flags);
  napi_create_object(env, &counters);
  set_prop_u32(env, meta, "length", META_LENGTH);
  set_prop_u32(env, meta, "wireLength", META_WIRE_LENGTH);
  set_prop_u32(env, meta, "pktType", META_PKT_TYPE);
  set_prop_u32(env, meta, "flags", META_FLAGS);
  set_prop_u32(env, meta, "csumStart", META_CSUM_START);
  set_prop_u32(env, meta, "csumOffset", META_CSUM_OFFSET);
  set_prop_u32(env, meta, "vlanTci", META_VLAN_TCI);
  set_prop_u32(env, meta, "vlanTpid", META_VLAN_TPID);
  set_prop_u32(env, meta, "offset", META_OFFSET);
  set_prop_u32(env, meta, "count", META_FIELD_COUNT);
  set_prop_u32(env, flags, "csumNotReady", FLAG_CSUM_NOT_READY);
  set_prop_u32(env, flags, "csumValid", FLAG_CSUM_VALID);
  set_prop_u32(env, flags, "truncated", FLAG_TRUNCATED);
  set_prop_u32(env, flags, "vlan", FLAG_VLAN);
  set_prop_u32(env, flags, "gso", FLAG_GSO);
  set_prop_u32(env, counters, "rxFrames", C_RX_FRAMES);
  set_prop_u32(env, counters, "rxBytes", C_RX_BYTES);
  set_prop_u32(env, counters, "rxBatches", C_RX_BATCHES);
  set_prop_u32(env, counters, "rxTruncated", C_RX_TRUNCATED);
  set_prop_u32(env, counters, "rxErrors", C_RX_ERRORS);
  set_prop_u32(env, counters, "txFrames", C_TX_FRAMES);
  set_prop_u32(env, counters, "txBytes", C_TX_BYTES);
  set_prop_u32(env, counters, "txBatches", C_TX_BATCHES);
  set_prop_u32(env, counters, "txErrors", C_TX_ERRORS);
  set_prop_u32(env, counters, "txDropped", C_TX_DROPPED);
  set_prop_u32(env, counters, "kernelPackets", C_KERNEL_PACKETS);
  set_prop_u32(env, counters, "kernelDrops", C_KERNEL_DROPS);
  set_prop_u32(env, counters, "wakeups", C_WAKEUPS);
  set_prop_u32(env, counters, "pollErrors", C_POLL_ERRORS);
  set_prop_u32(env, counters, "count", COUNTER_COUNT);
  napi_set_named_property(env, c, "meta", meta);
  napi_set_named_property(env, c, "flags", flags);
  napi_set_named_property(env, c, "counters", counters);
  return c;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"recv", NULL, port_recv, NULL, NULL, NULL, napi_default_method, NULL},
      {"release", NULL, port_release, NULL, NULL, NULL, napi_default_method, NULL},
      {"send", NULL, port_send, NULL, NULL, NULL, napi_default_method, NULL},
      {"stats", NULL, port_stats, NULL, NULL, NULL, napi_default_method, NULL},
      {"poll", NULL, port_poll, NULL, NULL, NULL, napi_default_method, NULL},
      {"ref", NULL, port_ref, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, port_close, NULL, NULL, NULL, napi_default_method, NULL},
      {"setLocalAddresses", NULL, port_set_local, NULL, NULL, NULL, napi_default_method, NULL},
      {"setXdpBypass", NULL, port_set_bypass, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_value cls;
  NAPI_CALL(env, napi_define_class(env, "Port", NAPI_AUTO_LENGTH, port_new, NULL,
                                   sizeof methods / sizeof methods[0], methods, &cls));
  NAPI_CALL(env, napi_set_named_property(env, exports, "Port", cls));
  NAPI_CALL(env, napi_set_named_property(env, exports, "constants", make_constants(env)));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
