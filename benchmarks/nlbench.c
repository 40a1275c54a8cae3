// nlbench: the "physical limit" reference for the netlink benchmarks.
//
// Does the same kernel operations the Node library does, from C over ONE
// NETLINK_ROUTE socket (libmnl), and prints how long they took, so that the
// library's per-operation cost can be compared with the cost of the kernel
// work plus the bare minimum of syscalls.
//
//   nlbench MODE CASE N ARG [-e]
//
// MODE  ack:  send one request, wait for its ACK, then send the next.
//       pipe: pack up to 256 requests (64 KiB) into one send, then read all
//             of that batch's ACKs before building the next batch.
// CASE  route4 N DEV | route6 N DEV | addr4 N DEV | veth N NSPATH |
//       move N NSPATH | netns N DIR | sysctl N KEY   (see usage()).
// -e    adds NLM_F_ECHO to route adds; the echoed routes are read and skipped.
//
// Prints one JSON line on stdout:
//   {"mode":"pipe","case":"route4","n":500,"echo":false,"ns":123456789}
// where ns is CLOCK_MONOTONIC time of the timed loop only. Messages are built
// inside the timed loop, as a library would build them.
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
// Returns the elapsed nanoseconds.
static uint64_t nl_run(struct nl *nl, enum mode mode, uint32_t n, build_fn build, const void *ctx) {
  const uint32_t max_msgs = mode == MODE_PIPE ? BATCH_MSGS : 1;
  uint64_t start = now_ns();
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
  return now_ns() - start;
}

/* ---------------------------------------------------------------- helpers */

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
  uint32_t oif;
  bool echo;
};

// RTM_NEWROUTE <dst>/32|128 dev <oif> proto boot scope link table main
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
  mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);

  if (ctx->family == AF_INET) {
    uint32_t dst = bench_v4(i);
    rtm->rtm_dst_len = 32;
    mnl_attr_put(nlh, RTA_DST, sizeof(dst), &dst);
  } else {
    // 2001:db8:1::(i >> 16):(i & 0xffff)
    uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
    dst[12] = (uint8_t)(i >> 24);
    dst[13] = (uint8_t)(i >> 16);
    dst[14] = (uint8_t)(i >> 8);
    dst[15] = (uint8_t)i;
    rtm->rtm_dst_len = 128;
    mnl_attr_put(nlh, RTA_DST, sizeof(dst), dst);
  }
  mnl_attr_put_u32(nlh, RTA_OIF, ctx->oif);
  return nlh;
}

static uint64_t bench_route(enum mode mode, uint32_t n, const char *dev, bool echo,
                            uint8_t family) {
  if (family == AF_INET && n > MAX_V4) die("route4: N must be at most %u", MAX_V4);
  const struct route_ctx ctx = {family, ifindex_of(dev), echo};
  struct nl *nl = nl_open();
  uint64_t ns = nl_run(nl, mode, n, build_route, &ctx);
  // Each echoed route arrives before its ACK, so all have been read.
  if (echo && nl->echoes != n)
    die("expected %" PRIu32 " echoed routes, got %" PRIu32, n, nl->echoes);
  nl_close(nl);
  return ns;
}

static uint64_t bench_route4(enum mode mode, uint32_t n, const char *dev, bool echo) {
  return bench_route(mode, n, dev, echo, AF_INET);
}

static uint64_t bench_route6(enum mode mode, uint32_t n, const char *dev, bool echo) {
  return bench_route(mode, n, dev, echo, AF_INET6);
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

static uint64_t bench_addr4(enum mode mode, uint32_t n, const char *dev, bool echo) {
  (void)echo;
  if (n > MAX_V4) die("addr4: N must be at most %u", MAX_V4);
  const uint32_t ifindex = ifindex_of(dev);
  struct nl *nl = nl_open();
  uint64_t ns = nl_run(nl, mode, n, build_addr4, &ifindex);
  nl_close(nl);
  return ns;
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

static uint64_t bench_veth(enum mode mode, uint32_t n, const char *nspath, bool echo) {
  (void)echo;
  const int nsfd = open_ns(nspath);
  struct nl *nl = nl_open();
  uint64_t ns = nl_run(nl, mode, n, build_veth, &nsfd);
  nl_close(nl);
  close_fd(nsfd);
  return ns;
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

static uint64_t bench_move(enum mode mode, uint32_t n, const char *nspath, bool echo) {
  (void)echo;
  const int nsfd = open_ns(nspath);
  struct nl *nl = nl_open();
  uint64_t ns = nl_run(nl, mode, n, build_move, &nsfd);
  nl_close(nl);
  close_fd(nsfd);
  return ns;
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

// Creates DIR/bn0..bn<N-1>, then destroys them all. MODE does not apply.
static uint64_t bench_netns(enum mode mode, uint32_t n, const char *dir, bool echo) {
  (void)mode;
  (void)echo;
  char path[4096];
  const int home = open_ns("/proc/self/ns/net");

  uint64_t start = now_ns();
  for (uint32_t i = 0; i < n; i++) {
    snprintf(path, sizeof(path), "%s/bn%" PRIu32, dir, i);
    netns_create(path, home);
  }
  for (uint32_t i = 0; i < n; i++) {
    snprintf(path, sizeof(path), "%s/bn%" PRIu32, dir, i);
    netns_destroy(path);
  }
  uint64_t ns = now_ns() - start;

  close_fd(home);
  return ns;
}

/* ---------------------------------------------------------------- sysctl */

// Writes "1", "0", "1", ... to the sysctl, opening and closing it each time.
// MODE does not apply.
static uint64_t bench_sysctl(enum mode mode, uint32_t n, const char *key, bool echo) {
  (void)mode;
  (void)echo;
  // net.ipv4.conf.all.forwarding -> /proc/sys/net/ipv4/conf/all/forwarding;
  // as with sysctl(8), a key that already contains '/' is used verbatim.
  char path[4096];
  int len = snprintf(path, sizeof(path), "/proc/sys/%s", key);
  if (len < 0 || (size_t)len >= sizeof(path)) die("sysctl key too long");
  if (!strchr(key, '/'))
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
      if (*p == '.') *p = '/';

  uint64_t start = now_ns();
  for (uint32_t i = 0; i < n; i++) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("open %s: %s", path, strerror(errno));
    ssize_t w = write(fd, i % 2 == 0 ? "1" : "0", 1);
    if (w < 0) die("write %s: %s", path, strerror(errno));
    if (w != 1) die("short write to %s", path);
    close_fd(fd);
  }
  return now_ns() - start;
}

/* ---------------------------------------------------------------- main */

static const struct bench {
  const char *name;
  uint64_t (*run)(enum mode mode, uint32_t n, const char *arg, bool echo);
  bool echo_ok;  // whether -e applies
} benches[] = {
    {"route4", bench_route4, true},  {"route6", bench_route6, true}, {"addr4", bench_addr4, false},
    {"veth", bench_veth, false},     {"move", bench_move, false},    {"netns", bench_netns, false},
    {"sysctl", bench_sysctl, false},
};

static void usage(void) {
  fputs(
      "usage: nlbench ack|pipe CASE N ARG [-e]\n"
      "  route4 N DEV     add routes 198.18.0.0+i/32 dev DEV\n"
      "  route6 N DEV     add routes 2001:db8:1::(i>>16):(i&0xffff)/128 dev DEV\n"
      "  addr4  N DEV     add addresses 198.18.0.0+i/32 to DEV\n"
      "  veth   N NSPATH  create veth bv<i> with peer bp<i> in netns NSPATH\n"
      "  move   N NSPATH  move existing links mv<i> into netns NSPATH\n"
      "  netns  N DIR     create then delete namespaces DIR/bn<i> (MODE unused)\n"
      "  sysctl N KEY     write 1/0 alternately to sysctl KEY (MODE unused)\n"
      "  -e               NLM_F_ECHO on route adds (route4, route6)\n",
      stderr);
  exit(2);
}

int main(int argc, char **argv) {
  const char *pos[4];
  int npos = 0;
  bool echo = false;

  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "-e") == 0)
      echo = true;
    else if (npos < 4)
      pos[npos++] = argv[a];
    else
      usage();
  }
  if (npos != 4) usage();

  enum mode mode;
  if (strcmp(pos[0], "ack") == 0)
    mode = MODE_ACK;
  else if (strcmp(pos[0], "pipe") == 0)
    mode = MODE_PIPE;
  else
    usage();

  const struct bench *bench = NULL;
  for (size_t b = 0; b < sizeof(benches) / sizeof(benches[0]); b++)
    if (strcmp(pos[1], benches[b].name) == 0) bench = &benches[b];
  if (!bench) usage();
  if (echo && !bench->echo_ok) {
    fprintf(stderr, "nlbench: -e applies only to route4 and route6\n");
    exit(2);
  }

  char *end;
  errno = 0;
  unsigned long n = strtoul(pos[2], &end, 10);
  if (errno || end == pos[2] || *end || pos[2][0] == '-' || n > UINT32_MAX) {
    fprintf(stderr, "nlbench: bad N: %s\n", pos[2]);
    exit(2);
  }

  uint64_t ns = bench->run(mode, (uint32_t)n, pos[3], echo);
  printf("{\"mode\":\"%s\",\"case\":\"%s\",\"n\":%lu,\"echo\":%s,\"ns\":%" PRIu64 "}\n", pos[0],
         bench->name, n, echo ? "true" : "false", ns);
  if (fflush(stdout) == EOF || ferror(stdout)) die_errno("stdout");
  return 0;
}
