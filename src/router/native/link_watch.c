/*
 * link_watch.c — the router's view of its interfaces' state, straight from
 * rtnetlink (rtnetlink(7), netlink(7)) in the namespace of the calling thread.
 *
 * Owns:
 *   links()            a synchronous RTM_GETLINK dump: [{ index, name, flags }]
 *                      for every link, flags being ifinfomsg.ifi_flags (IFF_UP,
 *                      IFF_RUNNING, IFF_LOWER_UP, ...).
 *   new Watch(cb)      a NETLINK_ROUTE socket joined to RTMGRP_LINK, woken
 *                      through uv_poll; on each wakeup every pending message is
 *                      read and cb(changes) is called once with
 *                      [{ index, name, flags, deleted }] (RTM_NEWLINK and
 *                      RTM_DELLINK). When the kernel reports that the socket's
 *                      buffer overflowed (ENOBUFS: events were lost), cb gets
 *                      the full state from a fresh dump instead, so the caller
 *                      never misses a final state.
 *   watch.close()      stops the wakeup and closes the socket; idempotent.
 *                      While open, the watch keeps the event loop alive.
 *
 * The same messages `ip monitor link` prints, without a process and without
 * parsing text. Does NOT support: addresses, routes, or any group other than
 * RTMGRP_LINK; link attributes other than IFLA_IFNAME.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define RECV_BUF 65536

#define NAPI_CALL(env, call)                                          \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      const napi_extended_error_info *info = NULL;                    \
      napi_get_last_error_info((env), &info);                         \
      napi_throw_error((env), NULL,                                   \
                       info && info->error_message ? info->error_message \
                                                   : "napi call failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

typedef struct watch {
  napi_env env;
  int fd;
  int closed;
  int poll_open;      /* uv_poll_init done */
  int poll_released;  /* uv_close callback ran: the handle memory is free to go */
  int finalized;
  uv_poll_t poll;
  char buf[RECV_BUF] __attribute__((aligned(8)));
  napi_ref self;
  napi_ref callback;
  napi_async_context async;
} watch_t;

/* Appends { index, name, flags[, deleted] } for one link message to `arr`. */
static void push_link(napi_env env, napi_value arr, uint32_t *n, struct nlmsghdr *h, int with_deleted) {
  struct ifinfomsg *ifi = NLMSG_DATA(h);
  int len = h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi);
  if (len < 0) return;
  const char *name = NULL;
  for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_IFNAME) name = RTA_DATA(a);
  }
  if (!name) return;
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_int32(env, ifi->ifi_index, &v);
  napi_set_named_property(env, o, "index", v);
  napi_create_string_utf8(env, name, strnlen(name, IFNAMSIZ), &v);
  napi_set_named_property(env, o, "name", v);
  napi_create_uint32(env, ifi->ifi_flags, &v);
  napi_set_named_property(env, o, "flags", v);
  if (with_deleted) {
    napi_get_boolean(env, h->nlmsg_type == RTM_DELLINK, &v);
    napi_set_named_property(env, o, "deleted", v);
  }
  napi_set_element(env, arr, (*n)++, o);
}

/* A full dump on its own socket; NULL with a pending exception on failure. */
static napi_value dump_links(napi_env env, int with_deleted) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    napi_throw_error(env, NULL, "link-watch: cannot open a NETLINK_ROUTE socket");
    return NULL;
  }
  struct {
    struct nlmsghdr h;
    struct ifinfomsg i;
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.i);
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.i.ifi_family = AF_UNSPEC;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    close(fd);
    napi_throw_error(env, NULL, "link-watch: RTM_GETLINK request failed");
    return NULL;
  }
  char *buf = malloc(RECV_BUF);
  if (!buf) {
    close(fd);
    napi_throw_error(env, NULL, "link-watch: out of memory");
    return NULL;
  }
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  const char *error = NULL;
  for (int done = 0; !done && !error;) {
    ssize_t got = recv(fd, buf, RECV_BUF, 0);
    if (got < 0) {
      if (errno != EINTR) error = "link-watch: reading the link dump failed";
      continue;
    }
    int len = (int)got;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) done = 1;
      else if (h->nlmsg_type == NLMSG_ERROR) error = "link-watch: the kernel refused the link dump";
      else if (h->nlmsg_type == RTM_NEWLINK) push_link(env, arr, &n, h, with_deleted);
      if (done || error) break;
    }
  }
  free(buf);
  close(fd);
  if (error) {
    napi_throw_error(env, NULL, error);
    return NULL;
  }
  return arr;
}

static napi_value links(napi_env env, napi_callback_info info) {
  return dump_links(env, 0);
}

static void on_poll_closed(uv_handle_t *h) {
  watch_t *w = h->data;
  w->poll_released = 1;
  if (w->finalized) free(w);
}

/* Stops the wakeup and closes the socket (the handle is released by libuv). */
static void stop(watch_t *w) {
  if (w->closed) return;
  w->closed = 1;
  if (w->poll_open) {
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, on_poll_closed);
    if (!w->finalized) {
      uint32_t count;
      napi_reference_unref(w->env, w->self, &count);
    }
  } else {
    w->poll_released = 1;
  }
  close(w->fd);
  w->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  watch_t *w = data;
  w->finalized = 1;
  stop(w);
  if (w->callback) napi_delete_reference(env, w->callback);
  if (w->async) napi_async_destroy(env, w->async);
  napi_delete_reference(env, w->self);
  if (w->poll_released) free(w);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  watch_t *w = handle->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value arr = NULL;
  uint32_t n = 0;
  int overflow = 0;
  napi_create_array(env, &arr);
  for (;;) {
    ssize_t got = recv(w->fd, w->buf, RECV_BUF, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        overflow = 1;
        continue;
      }
      break; /* EAGAIN: drained */
    }
    int len = (int)got;
    for (struct nlmsghdr *h = (struct nlmsghdr *)w->buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) push_link(env, arr, &n, h, 1);
    }
  }
  if (overflow) {
    napi_value full = dump_links(env, 1);
    if (full) arr = full;
    else {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
  napi_value cb, recv_obj, result;
  if (napi_get_reference_value(env, w->callback, &cb) == napi_ok && cb) {
    napi_get_global(env, &recv_obj); /* napi_make_callback needs an object receiver */
    napi_make_callback(env, w->async, recv_obj, cb, 1, &arr, &result);
  }
  napi_close_handle_scope(env, scope);
}

static napi_value watch_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_function) {
    napi_throw_type_error(env, NULL, "link-watch: new Watch(callback) needs a function");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) {
    napi_throw_error(env, NULL, "link-watch: cannot open a NETLINK_ROUTE socket");
    return NULL;
  }
  struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    close(fd);
    napi_throw_error(env, NULL, "link-watch: cannot join RTMGRP_LINK");
    return NULL;
  }
  watch_t *w = calloc(1, sizeof *w);
  if (!w) {
    close(fd);
    napi_throw_error(env, NULL, "link-watch: out of memory");
    return NULL;
  }
  w->env = env;
  w->fd = fd;
  if (napi_wrap(env, self, w, finalize, NULL, &w->self) != napi_ok) {
    close(fd);
    free(w);
    napi_throw_error(env, NULL, "link-watch: wrap failed");
    return NULL;
  }
  NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &w->callback));
  napi_value name;
  napi_create_string_utf8(env, "link-watch", NAPI_AUTO_LENGTH, &name);
  NAPI_CALL(env, napi_async_init(env, NULL, name, &w->async));
  uv_loop_t *loop = NULL;
  NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init_socket(loop, &w->poll, fd) != 0) {
    napi_throw_error(env, NULL, "link-watch: uv_poll_init failed");
    return NULL;
  }
  w->poll.data = w;
  w->poll_open = 1;
  if (uv_poll_start(&w->poll, UV_READABLE, on_readable) != 0) {
    napi_throw_error(env, NULL, "link-watch: uv_poll_start failed");
    return NULL;
  }
  uint32_t count;
  napi_reference_ref(env, w->self, &count); /* alive while watching */
  return self;
}

static watch_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || !data) {
    napi_throw_error(env, NULL, "link-watch: not a Watch");
    return NULL;
  }
  return data;
}

static napi_value watch_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  watch_t *w = unwrap(env, info, &argc, NULL);
  if (w) stop(w);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"close", NULL, watch_close, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_value cls, fn, flags, v;
  NAPI_CALL(env, napi_define_class(env, "Watch", NAPI_AUTO_LENGTH, watch_new, NULL,
                                   sizeof methods / sizeof methods[0], methods, &cls));
  NAPI_CALL(env, napi_set_named_property(env, exports, "Watch", cls));
  NAPI_CALL(env, napi_create_function(env, "links", NAPI_AUTO_LENGTH, links, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "links", fn));
  napi_create_object(env, &flags);
  napi_create_uint32(env, IFF_UP, &v);
  napi_set_named_property(env, flags, "up", v);
  napi_create_uint32(env, IFF_RUNNING, &v);
  napi_set_named_property(env, flags, "running", v);
  napi_create_uint32(env, IFF_LOWER_UP, &v);
  napi_set_named_property(env, flags, "lowerUp", v);
  napi_set_named_property(env, exports, "flags", flags);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
