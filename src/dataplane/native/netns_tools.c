/*
 * netns_tools.c — the lab runner's in-process namespace work, so bringing up a
 * lab does not cost one `ip netns exec` (fork, exec, unshare a mount namespace,
 * remount /sys) per namespace and per device.
 *
 * Owns:
 *   runIn(path, fn)     switches the CALLING thread into the network namespace
 *                       at `path` (e.g. /run/netns/lab-h1) with setns(2), calls
 *                       fn() synchronously, and switches the thread back, also
 *                       when fn throws. Anything fn does synchronously on this
 *                       thread — open /proc/sys/net/... (a sysctl file belongs
 *                       to the namespace of the task that opens it), open a
 *                       socket, fork a child (it inherits the thread's
 *                       namespace) — happens inside the namespace; no event
 *                       loop callback can run in between. If the thread cannot
 *                       be switched back the process aborts: continuing would
 *                       act on the wrong namespace.
 *   setOffloads(devices, on)
 *                       tx checksumming, TSO, GSO and GRO of each device in the
 *                       thread's current namespace, as
 *                       `ethtool -K DEV tx off tso off gso off gro off` does:
 *                       every kernel feature whose name matches ethtool's
 *                       pattern for those four (tx-checksum-*,
 *                       tx-tcp*-segmentation, tx-generic-segmentation, rx-gro;
 *                       names read once with ETHTOOL_GSTRINGS) in one
 *                       ETHTOOL_SFEATURES ioctl per device, on an AF_INET
 *                       datagram socket. (The legacy ETHTOOL_STSO misses
 *                       tx-tcp-accecn-segmentation on current kernels.)
 *   getOffloads(device) the same four as booleans (ETHTOOL_G*), for checks.
 *   rtnetlink(ops)      the few `ip` lines a lab plan uses, as rtnetlink
 *                       requests (one NETLINK_ROUTE socket, each request
 *                       acknowledged before the next) in the thread's current
 *                       namespace: link up (RTM_NEWLINK, IFF_UP), bridge port
 *                       (IFLA_MASTER), bridge create (IFLA_LINKINFO "bridge"
 *                       with IFLA_BR_FORWARD_DELAY, IFLA_BR_STP_STATE,
 *                       IFLA_BR_MCAST_SNOOPING), address add (RTM_NEWADDR with
 *                       IFA_LOCAL and IFA_ADDRESS, IFA_F_NODAD), route add via
 *                       a gateway (RTM_NEWROUTE, main table, proto boot), as
 *                       `ip link set`, `ip link add type bridge`, `ip addr add`
 *                       and `ip route add` send them. Which plan lines map to
 *                       these ops is decided in lab/netns-tools.ts.
 *
 * Interfaces: setns(2), netdevice(7) SIOCETHTOOL, <linux/ethtool.h>,
 * rtnetlink(7), <linux/rtnetlink.h>, <linux/if_link.h>.
 *
 * Does NOT support: other namespace types (mount, user, pid), the ethtool
 * netlink API, other offloads than those four, other `ip` lines (veths, qdiscs,
 * route options such as metric or dev), async use from worker threads.
 */
#define _GNU_SOURCE
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* The four offloads as `ethtool -K` names them, each with the kernel feature
 * names it stands for (fnmatch patterns, as ethtool's own off_flag_def table)
 * and the legacy get command that reports it. */
static const struct {
  const char *name;
  const char *pattern;
  unsigned get_cmd;
} OFFLOADS[] = {
    {"tx", "tx-checksum-*", ETHTOOL_GTXCSUM},
    {"tso", "tx-tcp*-segmentation", ETHTOOL_GTSO},
    {"gso", "tx-generic-segmentation", ETHTOOL_GGSO},
    {"gro", "rx-gro", ETHTOOL_GGRO},
};
#define OFFLOAD_COUNT (sizeof OFFLOADS / sizeof OFFLOADS[0])

static void throw_errno(napi_env env, const char *what, const char *subject, int err) {
  char msg[512];
  snprintf(msg, sizeof msg, "netns-tools: %s %.200s: %s", what, subject, strerror(err));
  napi_throw_error(env, NULL, msg);
}

/* A JS string argument into a fixed buffer; false (with a TypeError thrown)
 * when it is not a string or does not fit. */
static int get_string(napi_env env, napi_value v, char *buf, size_t size, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  if (len == 0 || len >= size) {
    napi_throw_range_error(env, NULL, what);
    return 0;
  }
  napi_get_value_string_utf8(env, v, buf, size, &len);
  return 1;
}

/* runIn(path, fn) */
static napi_value run_in(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], global, result = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t = napi_undefined;
  if (argc == 2) napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    napi_throw_type_error(env, NULL, "netns-tools: runIn(path, fn) needs a function");
    return NULL;
  }
  char path[4096];
  if (!get_string(env, argv[0], path, sizeof path, "netns-tools: runIn needs a namespace path")) return NULL;

  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    throw_errno(env, "open", "/proc/thread-self/ns/net", errno);
    return NULL;
  }
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(home);
    throw_errno(env, "open", path, err);
    return NULL;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(target);
    close(home);
    throw_errno(env, "setns", path, err);
    return NULL;
  }
  close(target);
  napi_get_global(env, &global);
  napi_status st = napi_call_function(env, global, argv[1], 0, NULL, &result);
  if (setns(home, CLONE_NEWNET) != 0) {
    fprintf(stderr, "netns-tools: cannot return to the original network namespace: %s\n", strerror(errno));
    abort();
  }
  close(home);
  return st == napi_ok ? result : NULL; /* a pending exception propagates */
}

static int ethtool_value(int fd, const char *dev, unsigned cmd, unsigned *data) {
  struct ethtool_value ev = {.cmd = cmd, .data = *data};
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, dev, strnlen(dev, IFNAMSIZ - 1));
  ifr.ifr_data = (char *)&ev;
  if (ioctl(fd, SIOCETHTOOL, &ifr) != 0) return -errno;
  *data = ev.data;
  return 0;
}

/* The kernel's feature names (ETH_SS_FEATURES) are the same for every device:
 * the bit mask of the four offloads is computed once, from the first device. */
static uint32_t feature_blocks = 0;
static uint32_t feature_mask[8];

static int load_feature_mask(int fd, const char *dev) {
  struct {
    struct ethtool_sset_info hdr;
    uint32_t data[1];
  } info;
  memset(&info, 0, sizeof info);
  info.hdr.cmd = ETHTOOL_GSSET_INFO;
  info.hdr.sset_mask = 1ULL << ETH_SS_FEATURES;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, dev, strnlen(dev, IFNAMSIZ - 1));
  ifr.ifr_data = (char *)&info;
  if (ioctl(fd, SIOCETHTOOL, &ifr) != 0) return -errno;
  uint32_t count = info.hdr.sset_mask ? info.data[0] : 0;
  if (count == 0 || count > 32 * 8) return -EOPNOTSUPP;
  struct ethtool_gstrings *strings = calloc(1, sizeof *strings + (size_t)count * ETH_GSTRING_LEN);
  if (!strings) return -ENOMEM;
  strings->cmd = ETHTOOL_GSTRINGS;
  strings->string_set = ETH_SS_FEATURES;
  strings->len = count;
  ifr.ifr_data = (char *)strings;
  if (ioctl(fd, SIOCETHTOOL, &ifr) != 0) {
    int err = errno;
    free(strings);
    return -err;
  }
  memset(feature_mask, 0, sizeof feature_mask);
  for (uint32_t i = 0; i < count; i++) {
    char name[ETH_GSTRING_LEN + 1];
    memcpy(name, strings->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
    name[ETH_GSTRING_LEN] = 0;
    for (size_t k = 0; k < OFFLOAD_COUNT; k++) {
      if (fnmatch(OFFLOADS[k].pattern, name, 0) == 0) feature_mask[i / 32] |= 1u << (i % 32);
    }
  }
  free(strings);
  feature_blocks = (count + 31) / 32;
  return 0;
}

/* ETHTOOL_SFEATURES: the four offloads' feature bits wanted on or off; bits a
 * device cannot change are ignored by the kernel (as ethtool -K does). */
static int set_features(int fd, const char *dev, bool on) {
  struct {
    struct ethtool_sfeatures hdr;
    struct ethtool_set_features_block blocks[8];
  } req;
  memset(&req, 0, sizeof req);
  req.hdr.cmd = ETHTOOL_SFEATURES;
  req.hdr.size = feature_blocks;
  for (uint32_t i = 0; i < feature_blocks; i++) {
    req.blocks[i].valid = feature_mask[i];
    req.blocks[i].requested = on ? feature_mask[i] : 0;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, dev, strnlen(dev, IFNAMSIZ - 1));
  ifr.ifr_data = (char *)&req;
  return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* setOffloads(devices: string[], on: boolean) */
static napi_value set_offloads(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false, on = false;
  if (argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "netns-tools: setOffloads(devices, on)");
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[0], &n);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, "socket", "AF_INET", errno);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    char dev[IFNAMSIZ];
    napi_get_element(env, argv[0], i, &v);
    if (!get_string(env, v, dev, sizeof dev, "netns-tools: a device name of 1..15 characters")) {
      close(fd);
      return NULL;
    }
    int rc = feature_blocks ? 0 : load_feature_mask(fd, dev);
    if (rc == 0) rc = set_features(fd, dev, on);
    if (rc != 0) {
      close(fd);
      throw_errno(env, on ? "offloads on for" : "offloads off for", dev, -rc);
      return NULL;
    }
  }
  close(fd);
  return NULL;
}

/* getOffloads(device) -> { tx, tso, gso, gro } */
static napi_value get_offloads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char dev[IFNAMSIZ];
  if (argc < 1 || !get_string(env, argv[0], dev, sizeof dev, "netns-tools: a device name of 1..15 characters")) return NULL;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, "socket", "AF_INET", errno);
    return NULL;
  }
  napi_create_object(env, &out);
  for (size_t k = 0; k < OFFLOAD_COUNT; k++) {
    unsigned data = 0;
    int rc = ethtool_value(fd, dev, OFFLOADS[k].get_cmd, &data);
    if (rc != 0) {
      close(fd);
      throw_errno(env, "ethtool get", dev, -rc);
      return NULL;
    }
    napi_value b;
    napi_get_boolean(env, data != 0, &b);
    napi_set_named_property(env, out, OFFLOADS[k].name, b);
  }
  close(fd);
  return out;
}

/* ---- rtnetlink: the few `ip` lines a lab plan uses, without an `ip` process ---- */

typedef struct {
  struct nlmsghdr *h;
  size_t cap;
} nlbuf_t;

static int nl_put(nlbuf_t *b, unsigned short type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(b->h->nlmsg_len);
  size_t need = at + RTA_SPACE(len);
  if (need > b->cap) return -ENOBUFS;
  struct rtattr *rta = (struct rtattr *)((char *)b->h + at);
  rta->rta_type = type;
  rta->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(rta), data, len);
  b->h->nlmsg_len = (unsigned)need;
  return 0;
}

static struct rtattr *nl_nest(nlbuf_t *b, unsigned short type) {
  struct rtattr *rta = (struct rtattr *)((char *)b->h + NLMSG_ALIGN(b->h->nlmsg_len));
  if (nl_put(b, type, NULL, 0) != 0) return NULL;
  return rta;
}

static void nl_nest_end(nlbuf_t *b, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((char *)b->h + b->h->nlmsg_len - (char *)nest);
}

/* Sends one request and reads its acknowledgement: 0 or -errno. */
static int nl_talk(int fd, struct nlmsghdr *h, unsigned seq) {
  h->nlmsg_seq = seq;
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, (unsigned)n); r = NLMSG_NEXT(r, n)) {
      if (r->nlmsg_seq != seq) continue;
      if (r->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(r);
        return e->error; /* 0 is the acknowledgement */
      }
    }
  }
}

static int parse_cidr(const char *s, int *family, unsigned char addr[16], unsigned *plen) {
  char tmp[64];
  size_t len = strnlen(s, sizeof tmp);
  if (len >= sizeof tmp) return -EINVAL;
  memcpy(tmp, s, len + 1);
  char *slash = strchr(tmp, '/');
  if (slash) *slash = 0;
  *family = strchr(tmp, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(*family, tmp, addr) != 1) return -EINVAL;
  unsigned max = *family == AF_INET6 ? 128 : 32;
  *plen = max;
  if (slash) {
    char *end;
    unsigned long p = strtoul(slash + 1, &end, 10);
    if (*end || end == slash + 1 || p > max) return -EINVAL;
    *plen = (unsigned)p;
  }
  return 0;
}

static int ifindex_of(const char *dev, int *index) {
  unsigned i = if_nametoindex(dev);
  if (!i) return -errno;
  *index = (int)i;
  return 0;
}

#define MAX_OP_ARGS 6

/* One op: ["link-up", dev] | ["link-master", dev, master] |
 * ["bridge", name, forward_delay, stp_state, mcast_snooping] ("" = kernel default) |
 * ["addr", dev, cidr, "nodad"|""] | ["route", "default"|cidr, gateway]. */
static int run_op(int fd, unsigned seq, char a[MAX_OP_ARGS][64], unsigned argc) {
  union {
    struct nlmsghdr h;
    char bytes[1024];
  } u;
  memset(&u, 0, sizeof u);
  nlbuf_t b = {&u.h, sizeof u};
  const char *op = a[0];
  int rc, index = 0;
  if ((strcmp(op, "link-up") == 0 && argc == 2) || (strcmp(op, "link-master") == 0 && argc == 3)) {
    if ((rc = ifindex_of(a[1], &index)) != 0) return rc;
    u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    u.h.nlmsg_type = RTM_NEWLINK;
    struct ifinfomsg *ifi = NLMSG_DATA(&u.h);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    if (strcmp(op, "link-up") == 0) {
      ifi->ifi_change = IFF_UP;
      ifi->ifi_flags = IFF_UP;
    } else {
      int master = 0;
      if ((rc = ifindex_of(a[2], &master)) != 0) return rc;
      uint32_t m = (uint32_t)master;
      if ((rc = nl_put(&b, IFLA_MASTER, &m, sizeof m)) != 0) return rc;
    }
    return nl_talk(fd, &u.h, seq);
  }
  if (strcmp(op, "bridge") == 0 && argc == 5) {
    u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    u.h.nlmsg_type = RTM_NEWLINK;
    u.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    ((struct ifinfomsg *)NLMSG_DATA(&u.h))->ifi_family = AF_UNSPEC;
    if ((rc = nl_put(&b, IFLA_IFNAME, a[1], strlen(a[1]) + 1)) != 0) return rc;
    struct rtattr *info = nl_nest(&b, IFLA_LINKINFO);
    if (!info || nl_put(&b, IFLA_INFO_KIND, "bridge", 7) != 0) return -ENOBUFS;
    struct rtattr *data = nl_nest(&b, IFLA_INFO_DATA);
    if (!data) return -ENOBUFS;
    if (a[2][0]) {
      uint32_t v = (uint32_t)strtoul(a[2], NULL, 10);
      if ((rc = nl_put(&b, IFLA_BR_FORWARD_DELAY, &v, sizeof v)) != 0) return rc;
    }
    if (a[3][0]) {
      uint32_t v = (uint32_t)strtoul(a[3], NULL, 10);
      if ((rc = nl_put(&b, IFLA_BR_STP_STATE, &v, sizeof v)) != 0) return rc;
    }
    if (a[4][0]) {
      uint8_t v = (uint8_t)strtoul(a[4], NULL, 10);
      if ((rc = nl_put(&b, IFLA_BR_MCAST_SNOOPING, &v, sizeof v)) != 0) return rc;
    }
    nl_nest_end(&b, data);
    nl_nest_end(&b, info);
    return nl_talk(fd, &u.h, seq);
  }
  if (strcmp(op, "addr") == 0 && argc == 4) {
    int family;
    unsigned char addr[16];
    unsigned plen;
    if ((rc = parse_cidr(a[2], &family, addr, &plen)) != 0) return rc;
    if ((rc = ifindex_of(a[1], &index)) != 0) return rc;
    u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    u.h.nlmsg_type = RTM_NEWADDR;
    u.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct ifaddrmsg *ifa = NLMSG_DATA(&u.h);
    ifa->ifa_family = (unsigned char)family;
    ifa->ifa_prefixlen = (unsigned char)plen;
    ifa->ifa_index = (unsigned)index;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    uint32_t flags = strcmp(a[3], "nodad") == 0 ? IFA_F_NODAD : 0;
    ifa->ifa_flags = (unsigned char)flags;
    size_t alen = family == AF_INET6 ? 16 : 4;
    if ((rc = nl_put(&b, IFA_LOCAL, addr, alen)) != 0) return rc;
    if ((rc = nl_put(&b, IFA_ADDRESS, addr, alen)) != 0) return rc;
    if (flags && (rc = nl_put(&b, IFA_FLAGS, &flags, sizeof flags)) != 0) return rc;
    return nl_talk(fd, &u.h, seq);
  }
  if (strcmp(op, "route") == 0 && argc == 3) {
    int gfamily, dfamily;
    unsigned char gw[16], dst[16];
    unsigned gplen, plen = 0;
    if ((rc = parse_cidr(a[2], &gfamily, gw, &gplen)) != 0) return rc;
    int is_default = strcmp(a[1], "default") == 0;
    if (!is_default) {
      if ((rc = parse_cidr(a[1], &dfamily, dst, &plen)) != 0) return rc;
      if (dfamily != gfamily) return -EINVAL;
    }
    u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    u.h.nlmsg_type = RTM_NEWROUTE;
    u.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct rtmsg *rtm = NLMSG_DATA(&u.h);
    rtm->rtm_family = (unsigned char)gfamily;
    rtm->rtm_dst_len = (unsigned char)plen;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    size_t alen = gfamily == AF_INET6 ? 16 : 4;
    if (plen && (rc = nl_put(&b, RTA_DST, dst, alen)) != 0) return rc;
    if ((rc = nl_put(&b, RTA_GATEWAY, gw, alen)) != 0) return rc;
    return nl_talk(fd, &u.h, seq);
  }
  return -EINVAL;
}

/* rtnetlink(ops: string[][]): runs each op in order in the thread's current
 * namespace; throws at the first failure, naming the op. */
static napi_value rtnetlink(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "netns-tools: rtnetlink(ops)");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, "socket", "NETLINK_ROUTE", errno);
    return NULL;
  }
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, "bind", "NETLINK_ROUTE", err);
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[0], &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value opv;
    uint32_t k = 0;
    char a[MAX_OP_ARGS][64];
    memset(a, 0, sizeof a);
    napi_get_element(env, argv[0], i, &opv);
    if (napi_is_array(env, opv, &is_array) != napi_ok || !is_array || napi_get_array_length(env, opv, &k) != napi_ok || k == 0 || k > MAX_OP_ARGS) {
      close(fd);
      napi_throw_type_error(env, NULL, "netns-tools: an op is an array of 1..6 strings");
      return NULL;
    }
    for (uint32_t j = 0; j < k; j++) {
      napi_value v;
      size_t len = 0;
      napi_get_element(env, opv, j, &v);
      if (napi_get_value_string_utf8(env, v, a[j], sizeof a[j], &len) != napi_ok || len >= sizeof a[j] - 1) {
        close(fd);
        napi_throw_type_error(env, NULL, "netns-tools: op arguments are strings of at most 62 characters");
        return NULL;
      }
    }
    int rc = run_op(fd, i + 1, a, k);
    if (rc != 0) {
      char what[400];
      snprintf(what, sizeof what, "rtnetlink %s %s %s %s %s", a[0], a[1], a[2], a[3], a[4]);
      close(fd);
      throw_errno(env, what, "", -rc);
      return NULL;
    }
  }
  close(fd);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"runIn", NULL, run_in, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setOffloads", NULL, set_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getOffloads", NULL, get_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rtnetlink", NULL, rtnetlink, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
