// nlbench: the "physical limit" reference for the netlink benchmarks.
//
// Does the same kernel operations the Node library does, from C over ONE
// NETLINK_ROUTE socket (libmnl), and prints how long they took, so that the
// library's per-operation cost can be compared with the cost of the kernel
// work plus the bare minimum of syscalls.
//
//   nlbench MODE CASE N ARG [-l LEN] [-e]
//
// MODE  ack:  send one request, wait for its ACK, then send the next.
//       pipe: pack up to 256 requests (64 KiB) into one send, then read all
//             of that batch's ACKs before building the next batch.
// CASE  route4 N DEV | route6 N DEV | addr4 N DEV | veth N NSPATH |
//       move N NSPATH | netns N DIR | netnsadd N DIR | sysctl N KEY |
//       dump N FAMILY   (see usage()).
// -l    the prefix length of route4 / route6 destinations (default 32 / 128):
//       route i is the i-th prefix of that length in 198.18.0.0/15 or
//       2001:db8::/32, e.g. 198.18.1.0/24 or 2001:db8:1::/48 for i = 1.
// -e    adds NLM_F_ECHO to route adds; the echoed routes are read and skipped.
//
// Prints one JSON line on stdout:
//   {"mode":"pipe","case":"route4","n":500,"len":24,"echo":false,"ns":123456789,
//    "user_us":1234,"sys_us":5678,"items":0}
// where ns is CLOCK_MONOTONIC time of the timed loop only, and user_us and
// sys_us are this process's CPU time (getrusage(RUSAGE_SELF): every thread,
// user and kernel, including the kernel's work done in our syscalls) over the
// same loop. items is the number of routes the last dump returned (dump only).
// Messages are built inside the timed loop, as a library would build them.
//
// Any failure (including a non-zero ACK, reported with its extack message)
// goes to stderr and exits 1; a usage error exits 2.
//
// Never run this in a machine's own network namespace: use
// test/in-private-netns.sh.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MSGS 256           // pipe mode: at most this many requests per send
#define BATCH_BYTES (64 * 1024)  // ... and at most this many bytes
#define MSG_MAX 512              // every request we build fits in this
#define RX_BYTES (64 * 1024)     // one received datagram (an ACK or an echo)
#define RCVBUF (4 * 1024 * 1024)

enum mode { MODE_ACK, MODE_PIPE };

// The one netlink socket and its buffers.
struct nl {
  struct mnl_socket *sock;
  uint32_t seq;     // next sequence number
  uint32_t echoes;  // echoed (non-ACK) messages received and skipped
  char tx[BATCH_BYTES];
  char rx[RX_BYTES];
};

// Builds request i at buf (at least MSG_MAX bytes); the caller fills in
// the sequence number and NLM_F_REQUEST|NLM_F_ACK.
typedef struct nlmsghdr *(*build_fn)(void *buf, uint32_t i, const void *ctx);

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("nlbench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

#define die_errno(what) die("%s: %s", (what), strerror(errno))

static uint64_t now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) die_errno("clock_gettime");
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// What one timed loop cost: wall-clock time and this process's CPU time.
struct span {
  uint64_t ns;
  uint64_t user_us;
  uint64_t sys_us;
};

static uint64_t tv_us(struct timeval tv) {
  return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

// Starts a timed loop: the clock and getrusage(RUSAGE_SELF), whose user + system total is
// the process's exact CPU time (the kernel scales its sampled split to the scheduler's count).
static struct span span_start(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) < 0) die_errno("getrusage");
  struct span s = {now_ns(), tv_us(ru.ru_utime), tv_us(ru.ru_stime)};
  return s;
}

// Ends a timed loop started by span_start: returns the differences.
static struct span span_stop(struct span start) {
  uint64_t ns = now_ns();
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) < 0) die_errno("getrusage");
  struct span s = {ns - start.ns, tv_us(ru.ru_utime) - start.user_us,
                   tv_us(ru.ru_stime) - start.sys_us};
  return s;
}

/* ---------------------------------------------------------------- socket */

static struct nl *nl_open(void) {
  struct nl *nl = calloc(1, sizeof(*nl));
  if (!nl) die_errno("calloc");
  nl->sock = mnl_socket_open(NETLINK_ROUTE);
  if (!nl->sock) die_errno("mnl_socket_open");

  // Extended ACKs carry the kernel's error text; capped ACKs don't echo
  // the request back, which keeps every ACK small.
  int one = 1;
  if (mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
    die_errno("setsockopt NETLINK_EXT_ACK");
  if (mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
    die_errno("setsockopt NETLINK_CAP_ACK");

  // A full batch of ACKs (plus echoes) must fit without ENOBUFS.
  // SO_RCVBUFFORCE ignores rmem_max but needs CAP_NET_ADMIN.
  int fd = mnl_socket_get_fd(nl->sock), size = RCVBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
    die_errno("setsockopt SO_RCVBUF");

  if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) die_errno("mnl_socket_bind");
  nl->seq = (uint32_t)time(NULL);
  return nl;
}

static void nl_close(struct nl *nl) {
  if (mnl_socket_close(nl->sock) < 0) die_errno("mnl_socket_close");
  free(nl);
}

// Reports a failed request: errno, strerror and the extack message, if any.
static void die_nlerr(const struct nlmsghdr *nlh) {
  const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
  const char *msg = NULL;

  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    // The TLVs follow the nlmsgerr and, unless the ACK was capped, a
    // copy of the request's payload.
    size_t off = sizeof(*err);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
    const struct nlattr *attr;
    mnl_attr_for_each(attr, nlh, MNL_ALIGN(off)) {
      if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
          mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
        msg = mnl_attr_get_str(attr);
    }
  }
  die("request seq %" PRIu32 " failed: errno %d (%s)%s%s", nlh->nlmsg_seq, -err->error,
      strerror(-err->error), msg ? ": " : "", msg ? msg : "");
}

// Reads until every request with seq in [first, first + count) is ACKed.
// Anything else that arrives (echoed routes) is counted and skipped.
static void nl_wait_acks(struct nl *nl, uint32_t first, uint32_t count) {
  uint32_t pending = count;
  while (pending > 0) {
    ssize_t len = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
    if (len < 0) die_errno("recv");
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->rx;
    int left = (int)len;
    for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) {
        nl->echoes++;
        continue;
      }
      if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr))) die("truncated ACK");
      if (nlh->nlmsg_seq - first >= count)  // unsigned: handles wrap
        die("ACK for unexpected seq %" PRIu32, nlh->nlmsg_seq);
      const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
      if (err->error != 0) die_nlerr(nlh);
      pending--;
    }
    if (left != 0) die("malformed netlink datagram (%d trailing bytes)", left);
  }
}

// The shared sender: builds the n requests and sends them one per send
// (ack mode) or in batches (pipe mode), collecting every ACK.
// Returns the loop's elapsed time and CPU time.
static struct span nl_run(struct nl *nl, enum mode mode, uint32_t n, build_fn build,
                          const void *ctx) {
  const uint32_t max_msgs = mode == MODE_PIPE ? BATCH_MSGS : 1;
  struct span start = span_start();
  uint32_t i = 0;

  while (i < n) {
    uint32_t first = nl->seq, count = 0;
    size_t len = 0;
    while (i < n && count < max_msgs && len + MSG_MAX <= sizeof(nl->tx)) {
      struct nlmsghdr *nlh = build(nl->tx + len, i, ctx);
      if (nlh->nlmsg_len > MSG_MAX) die("request %" PRIu32 " too large", i);
      nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
      nlh->nlmsg_seq = nl->seq++;
      len += MNL_ALIGN(nlh->nlmsg_len);
      i++;
      count++;
    }
    ssize_t sent = mnl_socket_sendto(nl->sock, nl->tx, len);
    if (sent < 0) die_errno("send");
    if ((size_t)sent != len) die("short send (%zd of %zu bytes)", sent, len);
    nl_wait_acks(nl, first, count);
  }
  return span_stop(start);
}

/* ---------------------------------------------------------------- helpers */

// One run's parameters, from the command line.
struct args {
  enum mode mode;
  uint32_t n;
  const char *arg;  // DEV, NSPATH, DIR, KEY or FAMILY, by case
  bool echo;        // -e
  unsigned len;     // -l, or 0 when not given
};

// The number of routes the last dump returned (dump only).
static uint32_t dump_items;

static unsigned ifindex_of(const char *dev) {
  unsigned idx = if_nametoindex(dev);
  if (idx == 0) die("interface %s: %s", dev, strerror(errno));
  return idx;
}

static int open_ns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open %s: %s", path, strerror(errno));
  return fd;
}

static void close_fd(int fd) {
  if (close(fd) < 0) die_errno("close");
}

// 198.18.0.0/15 holds 131072 addresses: 198.18.(i>>8).(i&255) for i < 65536.
#define MAX_V4 131072u

static uint32_t bench_v4(uint32_t i) {
  return htonl(0xc6120000u + i);  // 198.18.0.0 + i
}

/* ---------------------------------------------------------------- route4 / route6 */

struct route_ctx {
  uint8_t family;
  uint8_t len;  // prefix length
  uint32_t oif;
  bool echo;
};

// RTM_NEWROUTE <dst>/<len> dev <oif> proto boot scope link table main, where dst is the
// i-th prefix of that length: 198.18.0.0 + (i << (32 - len)) or
// 2001:db8:: + (i << (128 - len)) (e.g. 198.19.4.0/24, 2001:db8:104::/48 for i = 260).
static struct nlmsghdr *build_route(void *buf, uint32_t i, const void *arg) {
  const struct route_ctx *ctx = arg;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL | (ctx->echo ? NLM_F_ECHO : 0);

  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
  rtm->rtm_family = ctx->family;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  rtm->rtm_dst_len = ctx->len;
  mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);

  if (ctx->family == AF_INET) {
    uint32_t dst = htonl(0xc6120000u + (uint32_t)((uint64_t)i << (32 - ctx->len)));
    mnl_attr_put(nlh, RTA_DST, sizeof(dst), &dst);
  } else {
    unsigned __int128 v =
        ((unsigned __int128)0x20010db8u << 96) + ((unsigned __int128)i << (128 - ctx->len));
    uint8_t dst[16];
    for (int b = 15; b >= 0; b--, v >>= 8) dst[b] = (uint8_t)v;
    mnl_attr_put(nlh, RTA_DST, sizeof(dst), dst);
  }
  mnl_attr_put_u32(nlh, RTA_OIF, ctx->oif);
  return nlh;
}

static struct span bench_route(const struct args *a, uint8_t family) {
  // 198.18.0.0/15 and 2001:db8::/32 hold 2^(len - 15) and 2^(len - 32) prefixes.
  const unsigned base = family == AF_INET ? 15 : 32, max = family == AF_INET ? 32 : 128;
  const unsigned len = a->len ? a->len : max;
  if (len < base || len > max) die("-l must be %u..%u", base, max);
  if (len - base < 32 && a->n > (1ull << (len - base)))
    die("only %llu /%u prefixes fit in the benchmark range", 1ull << (len - base), len);
  const struct route_ctx ctx = {family, (uint8_t)len, ifindex_of(a->arg), a->echo};
  struct nl *nl = nl_open();
  struct span span = nl_run(nl, a->mode, a->n, build_route, &ctx);
  // Each echoed route arrives before its ACK, so all have been read.
  if (a->echo && nl->echoes != a->n)
    die("expected %" PRIu32 " echoed routes, got %" PRIu32, a->n, nl->echoes);
  nl_close(nl);
  return span;
}

static struct span bench_route4(const struct args *a) { return bench_route(a, AF_INET); }

static struct span bench_route6(const struct args *a) { return bench_route(a, AF_INET6); }

/* ---------------------------------------------------------------- dump */

// One decoded route, as a library would hand it over: the attributes a route listing
// shows, and the destination as text.
struct route_info {
  uint8_t family, dst_len, protocol, scope, type;
  uint32_t table, metric, oif;
  char dst[INET6_ADDRSTRLEN];
  char via[INET6_ADDRSTRLEN];
};

static int route_attr(const struct nlattr *attr, void *data) {
  struct route_info *r = data;
  const uint16_t type = mnl_attr_get_type(attr);
  if (mnl_attr_type_valid(attr, RTA_MAX) < 0) return MNL_CB_OK;
  switch (type) {
    case RTA_TABLE:
    case RTA_PRIORITY:
    case RTA_OIF:
      if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) die("bad route attribute %u", type);
      if (type == RTA_TABLE) r->table = mnl_attr_get_u32(attr);
      if (type == RTA_PRIORITY) r->metric = mnl_attr_get_u32(attr);
      if (type == RTA_OIF) r->oif = mnl_attr_get_u32(attr);
      break;
    case RTA_DST:
    case RTA_GATEWAY: {
      const size_t want = r->family == AF_INET ? 4 : 16;
      if (mnl_attr_get_payload_len(attr) != want) die("bad route address length");
      char *out = type == RTA_DST ? r->dst : r->via;
      if (!inet_ntop(r->family, mnl_attr_get_payload(attr), out, INET6_ADDRSTRLEN))
        die_errno("inet_ntop");
      break;
    }
    default:
      break;
  }
  return MNL_CB_OK;
}

// `ip route show`: dumps table main (filtered by the kernel, with strict checking, as the
// library asks) N times, decoding every route; FAMILY is inet, inet6 or all.
static struct span bench_dump(const struct args *a) {
  uint8_t family;
  if (strcmp(a->arg, "inet") == 0)
    family = AF_INET;
  else if (strcmp(a->arg, "inet6") == 0)
    family = AF_INET6;
  else if (strcmp(a->arg, "all") == 0)
    family = AF_UNSPEC;
  else
    die("dump: FAMILY must be inet, inet6 or all");
  struct nl *nl = nl_open();
  int one = 1;
  if (mnl_socket_setsockopt(nl->sock, NETLINK_GET_STRICT_CHK, &one, sizeof(one)) < 0)
    die_errno("setsockopt NETLINK_GET_STRICT_CHK");
  uint32_t checksum = 0;  // keeps the decoding from being optimized away

  struct span start = span_start();
  for (uint32_t d = 0; d < a->n; d++) {
    struct nlmsghdr *req = mnl_nlmsg_put_header(nl->tx);
    req->nlmsg_type = RTM_GETROUTE;
    req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req->nlmsg_seq = nl->seq++;
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(req, sizeof(*rtm));
    rtm->rtm_family = family;
    mnl_attr_put_u32(req, RTA_TABLE, RT_TABLE_MAIN);
    if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0) die_errno("send");

    uint32_t items = 0;
    bool done = false;
    while (!done) {
      ssize_t len = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
      if (len < 0) die_errno("recv");
      const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->rx;
      int left = (int)len;
      for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
        if (nlh->nlmsg_seq != req->nlmsg_seq) die("dump: unexpected seq %" PRIu32, nlh->nlmsg_seq);
        if (nlh->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (nlh->nlmsg_type == NLMSG_ERROR) die_nlerr(nlh);
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) die("dump interrupted");
        if (nlh->nlmsg_type != RTM_NEWROUTE) continue;
        const struct rtmsg *r = mnl_nlmsg_get_payload(nlh);
        struct route_info info = {.family = r->rtm_family,
                                  .dst_len = r->rtm_dst_len,
                                  .protocol = r->rtm_protocol,
                                  .scope = r->rtm_scope,
                                  .type = r->rtm_type,
                                  .table = r->rtm_table};
        if (mnl_attr_parse(nlh, sizeof(*r), route_attr, &info) < 0) die_errno("route attributes");
        checksum += info.oif + (uint8_t)info.dst[0];
        items++;
      }
    }
    dump_items = items;
  }
  struct span span = span_stop(start);
  nl_close(nl);
  if (checksum == 0xffffffffu) fputc(' ', stderr);
  return span;
}

/* ---------------------------------------------------------------- addr4 */

// RTM_NEWADDR 198.18.x.y/32 dev <ifindex> scope global
static struct nlmsghdr *build_addr4(void *buf, uint32_t i, const void *arg) {
  const uint32_t *ifindex = arg;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;

  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = 32;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = *ifindex;

  uint32_t addr = bench_v4(i);
  mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
  mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
  return nlh;
}

static struct span bench_addr4(const struct args *a) {
  if (a->n > MAX_V4) die("addr4: N must be at most %u", MAX_V4);
  const uint32_t ifindex = ifindex_of(a->arg);
  struct nl *nl = nl_open();
  struct span span = nl_run(nl, a->mode, a->n, build_addr4, &ifindex);
  nl_close(nl);
  return span;
}

/* ---------------------------------------------------------------- veth */

// RTM_NEWLINK bv<i> type veth peer name bp<i> netns <fd>
static struct nlmsghdr *build_veth(void *buf, uint32_t i, const void *arg) {
  const int *nsfd = arg;
  char name[IFNAMSIZ];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;

  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  snprintf(name, sizeof(name), "bv%" PRIu32, i);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);

  struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  // The peer nest starts with its own ifinfomsg, then the peer's attributes.
  struct ifinfomsg *peer_ifi = mnl_nlmsg_get_payload_tail(nlh);
  memset(peer_ifi, 0, sizeof(*peer_ifi));
  peer_ifi->ifi_family = AF_UNSPEC;
  nlh->nlmsg_len += MNL_ALIGN(sizeof(*peer_ifi));
  snprintf(name, sizeof(name), "bp%" PRIu32, i);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)*nsfd);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  return nlh;
}

static struct span bench_veth(const struct args *a) {
  const int nsfd = open_ns(a->arg);
  struct nl *nl = nl_open();
  struct span span = nl_run(nl, a->mode, a->n, build_veth, &nsfd);
  nl_close(nl);
  close_fd(nsfd);
  return span;
}

/* ---------------------------------------------------------------- move */

// RTM_NEWLINK mv<i> netns <fd>: without NLM_F_CREATE and with ifi_index 0,
// the kernel selects the existing link by IFLA_IFNAME.
static struct nlmsghdr *build_move(void *buf, uint32_t i, const void *arg) {
  const int *nsfd = arg;
  char name[IFNAMSIZ];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;

  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  snprintf(name, sizeof(name), "mv%" PRIu32, i);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)*nsfd);
  return nlh;
}

static struct span bench_move(const struct args *a) {
  const int nsfd = open_ns(a->arg);
  struct nl *nl = nl_open();
  struct span span = nl_run(nl, a->mode, a->n, build_move, &nsfd);
  nl_close(nl);
  close_fd(nsfd);
  return span;
}

/* ---------------------------------------------------------------- netns */

// What `ip netns add` does: a new netns kept alive by a bind mount of its
// nsfs file onto DIR/<name>, then back to the original namespace.
static void netns_create(const char *path, int home) {
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) die("create %s: %s", path, strerror(errno));
  close_fd(fd);
  if (unshare(CLONE_NEWNET) < 0) die_errno("unshare(CLONE_NEWNET)");
  if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
    die("bind mount onto %s: %s", path, strerror(errno));
  if (setns(home, CLONE_NEWNET) < 0) die_errno("setns back");
}

// What `ip netns del` does: the lazy unmount drops the last reference.
static void netns_destroy(const char *path) {
  if (umount2(path, MNT_DETACH) < 0) die("umount %s: %s", path, strerror(errno));
  if (unlink(path) < 0) die("unlink %s: %s", path, strerror(errno));
}

// Creates DIR/bn0..bn<N-1>, then (unless keep) destroys them all, timing both.
static struct span netns_loop(const struct args *a, bool keep) {
  char path[4096];
  const int home = open_ns("/proc/self/ns/net");

  struct span start = span_start();
  for (uint32_t i = 0; i < a->n; i++) {
    snprintf(path, sizeof(path), "%s/bn%" PRIu32, a->arg, i);
    netns_create(path, home);
  }
  for (uint32_t i = 0; !keep && i < a->n; i++) {
    snprintf(path, sizeof(path), "%s/bn%" PRIu32, a->arg, i);
    netns_destroy(path);
  }
  struct span span = span_stop(start);

  close_fd(home);
  return span;
}

// Creates DIR/bn0..bn<N-1>, then destroys them all. MODE does not apply.
static struct span bench_netns(const struct args *a) { return netns_loop(a, false); }

// Creates DIR/bn0..bn<N-1> and leaves them (the caller deletes them). MODE does not apply.
static struct span bench_netnsadd(const struct args *a) { return netns_loop(a, true); }

/* ---------------------------------------------------------------- sysctl */

// Writes "1", "0", "1", ... to the sysctl, opening and closing it each time.
// MODE does not apply.
static struct span bench_sysctl(const struct args *a) {
  // net.ipv4.conf.all.forwarding -> /proc/sys/net/ipv4/conf/all/forwarding;
  // as with sysctl(8), a key that already contains '/' is used verbatim.
  char path[4096];
  int len = snprintf(path, sizeof(path), "/proc/sys/%s", a->arg);
  if (len < 0 || (size_t)len >= sizeof(path)) die("sysctl key too long");
  if (!strchr(a->arg, '/'))
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
      if (*p == '.') *p = '/';

  struct span start = span_start();
  for (uint32_t i = 0; i < a->n; i++) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("open %s: %s", path, strerror(errno));
    ssize_t w = write(fd, i % 2 == 0 ? "1" : "0", 1);
    if (w < 0) die("write %s: %s", path, strerror(errno));
    if (w != 1) die("short write to %s", path);
    close_fd(fd);
  }
  return span_stop(start);
}

/* ---------------------------------------------------------------- main */

static const struct bench {
  const char *name;
  struct span (*run)(const struct args *a);
  bool route;  // whether -e and -l apply
} benches[] = {
    {"route4", bench_route4, true},      {"route6", bench_route6, true},
    {"addr4", bench_addr4, false},       {"veth", bench_veth, false},
    {"move", bench_move, false},         {"netns", bench_netns, false},
    {"netnsadd", bench_netnsadd, false}, {"sysctl", bench_sysctl, false},
    {"dump", bench_dump, false},
};

static void usage(void) {
  fputs(
      "usage: nlbench ack|pipe CASE N ARG [-l LEN] [-e]\n"
      "  route4 N DEV     add routes 198.18.0.0 + (i << (32 - LEN)) / LEN dev DEV\n"
      "  route6 N DEV     add routes 2001:db8:: + (i << (128 - LEN)) / LEN dev DEV\n"
      "  addr4  N DEV     add addresses 198.18.0.0+i/32 to DEV\n"
      "  veth   N NSPATH  create veth bv<i> with peer bp<i> in netns NSPATH\n"
      "  move   N NSPATH  move existing links mv<i> into netns NSPATH\n"
      "  netns  N DIR     create then delete namespaces DIR/bn<i> (MODE unused)\n"
      "  netnsadd N DIR   create namespaces DIR/bn<i> and leave them (MODE unused)\n"
      "  sysctl N KEY     write 1/0 alternately to sysctl KEY (MODE unused)\n"
      "  dump   N FAMILY  dump table main N times; FAMILY inet, inet6 or all (MODE unused)\n"
      "  -l LEN           route prefix length (default 32 for route4, 128 for route6)\n"
      "  -e               NLM_F_ECHO on route adds (route4, route6)\n",
      stderr);
  exit(2);
}

static unsigned long parse_number(const char *s, unsigned long max, const char *what) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v > max) {
    fprintf(stderr, "nlbench: bad %s: %s\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  const char *pos[4];
  int npos = 0;
  struct args a = {0};

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-e") == 0)
      a.echo = true;
    else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
      a.len = (unsigned)parse_number(argv[++i], 128, "-l");
    else if (npos < 4)
      pos[npos++] = argv[i];
    else
      usage();
  }
  if (npos != 4) usage();

  if (strcmp(pos[0], "ack") == 0)
    a.mode = MODE_ACK;
  else if (strcmp(pos[0], "pipe") == 0)
    a.mode = MODE_PIPE;
  else
    usage();

  const struct bench *bench = NULL;
  for (size_t b = 0; b < sizeof(benches) / sizeof(benches[0]); b++)
    if (strcmp(pos[1], benches[b].name) == 0) bench = &benches[b];
  if (!bench) usage();
  if ((a.echo || a.len) && !bench->route) {
    fprintf(stderr, "nlbench: -e and -l apply only to route4 and route6\n");
    exit(2);
  }
  if (a.len == 0 && bench->route) a.len = strcmp(bench->name, "route4") == 0 ? 32 : 128;
  a.n = (uint32_t)parse_number(pos[2], UINT32_MAX, "N");
  a.arg = pos[3];

  struct span span = bench->run(&a);
  printf("{\"mode\":\"%s\",\"case\":\"%s\",\"n\":%" PRIu32 ",\"len\":%u,\"echo\":%s,\"ns\":%" PRIu64
         ",\"user_us\":%" PRIu64 ",\"sys_us\":%" PRIu64 ",\"items\":%" PRIu32 "}\n",
         pos[0], bench->name, a.n, a.len, a.echo ? "true" : "false", span.ns, span.user_us,
         span.sys_us, dump_items);
  if (fflush(stdout) == EOF || ferror(stdout)) die_errno("stdout");
  return 0;
}
