/*
 * xsk.h — the AF_XDP receive path of a frame-io port (see xsk.c).
 */
#ifndef LAB_XSK_H
#define LAB_XSK_H
#include <stddef.h>
#include <stdint.h>

/* UMEM frames per port = fill ring = RX ring size (a power of two): 16 MB
 * of UMEM per port at 2048-byte chunks, pinned by the kernel. 2048 frames
 * (10 ms at 200k pps) lost frames to the thread's scheduling stalls, 4096
 * still did at 400k pps (docs/benchmarks.md, Forwarding). */
#define XSK_FRAMES 8192
/* Own addresses the program can hold (IPv4 as ::ffff:a.b.c.d). */
#define XSK_MAX_LOCAL 256

enum { XSK_MODE_AUTO = 0, XSK_MODE_NATIVE = 1, XSK_MODE_GENERIC = 2 };

typedef struct xsk_ring {
  void *map;
  size_t map_len;
  uint32_t *producer, *consumer;
  void *desc;
  uint32_t mask;
} xsk_ring_t;

typedef struct xsk {
  int fd, prog_fd, local_fd, xsks_fd, link_fd;
  int native; /* attached in driver (native) mode, else generic */
  int ifindex;
  uint32_t chunk;
  uint8_t *umem;
  xsk_ring_t fill, rx;
  uint32_t rx_cons, fill_prod;
  uint32_t held; /* frames handed out by the last xsk_recv, not yet back in the fill ring */
  const char *verifier_log; /* set when the program was refused */
} xsk_t;

void xsk_init(xsk_t *x);
/* UMEM bytes a port of this MTU needs (page-aligned by the caller). */
size_t xsk_umem_bytes(uint32_t mtu);
/* Loads and attaches the program, binds the XSK over `umem`. -1 with errno and *step on failure (everything undone). */
int xsk_open(xsk_t *x, int ifindex, const unsigned char mac[6], uint32_t mtu, int mode, uint8_t *umem, const char **step);
/* Replaces the own-address set: `count` 16-byte addresses. */
int xsk_set_local(xsk_t *x, const unsigned char *addrs, uint32_t count);
/* Up to `max` received frames: UMEM offsets and lengths. The previous batch's frames are given back first. */
uint32_t xsk_recv(xsk_t *x, uint32_t max, int32_t *offsets, int32_t *lengths);
/* Gives the last batch's frames back to the kernel. */
void xsk_release(xsk_t *x);
/* Takes the program off the interface (1) or puts it back (0); -1 with errno when it cannot be put back. */
int xsk_set_bypass(xsk_t *x, int on);
/* Frames the kernel dropped for this XSK so far (cumulative). */
int xsk_stats(xsk_t *x, uint64_t *dropped);
void xsk_close(xsk_t *x);
#endif
