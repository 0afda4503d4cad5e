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
 *
 * Interfaces: setns(2), netdevice(7) SIOCETHTOOL, <linux/ethtool.h>.
 *
 * Does NOT support: other namespace types (mount, user, pid), the ethtool
 * netlink API or individual feature bits (ETHTOOL_SFEATURES), async use from
 * worker threads.
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
#include <linux/ethtool.h>
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"runIn", NULL, run_in, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setOffloads", NULL, set_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getOffloads", NULL, get_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
