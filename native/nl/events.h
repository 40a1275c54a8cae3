// rtnetlink notifications: a socket subscribed to multicast groups, and what each message is.
// The socket is opened by a namespace worker (it belongs to that thread's network namespace for
// life) and then read from any one thread: the JS thread polls it with libuv.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "rtnl.h"
#include "socket.h"

namespace nl {

// What a watcher subscribes to; each is one or two rtnetlink groups.
enum EventGroup : uint32_t {
  kLinkEvents = 1,      // RTNLGRP_LINK
  kAddressEvents = 2,   // RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR
  kRouteEvents = 4,     // RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE
  kNeighborEvents = 8,  // RTNLGRP_NEIGH
};

enum class EventKind { kOther, kLink, kAddress, kRoute, kNeighbor };

// The kind of a notification, and whether it reports a removal (RTM_DEL*).
EventKind KindOf(const nlmsghdr* nlh, bool* removed);

class EventSocket {
 public:
  // The kernel keeps this much of a burst for a reader that is busy (SO_RCVBUFFORCE when
  // permitted): ~8,000 route notifications. Beyond it, it drops them and says ENOBUFS.
  static constexpr int kReceiveBufferBytes = 8 << 20;

  // A nonblocking socket in the calling thread's namespace, joined to the link group (names of
  // interfaces come from its messages). nullptr with *error set on failure.
  static std::unique_ptr<EventSocket> Open(Error* error);
  ~EventSocket();
  EventSocket(const EventSocket&) = delete;
  EventSocket& operator=(const EventSocket&) = delete;

  int fd() const { return fd_; }
  // Joins the groups of `groups` (EventGroup bits) not joined yet. Any thread.
  Error Join(uint32_t groups);
  uint32_t joined() const { return joined_; }
  // Reads one datagram into data(): its length, 0 when none is waiting, or -errno (-ENOBUFS:
  // the kernel dropped notifications since the last read).
  ssize_t Receive();
  const uint8_t* data() const { return buffer_.data(); }

 private:
  explicit EventSocket(int fd);
  int fd_;
  uint32_t joined_ = 0;
  MappedBuffer buffer_;
};

// Interface names by index, for parsing notifications away from the namespace: learnt from a
// link dump and from every link notification, kept after an interface is gone (its addresses'
// and routes' removals are reported after it). One thread.
class NameTable final : public LinkResolver {
 public:
  int32_t IndexOf(const LinkRef& ref, Error* error) override;
  std::string NameOf(int32_t index) override;
  void Learn(int32_t index, std::string name) { names_[index] = std::move(name); }

 private:
  std::unordered_map<int32_t, std::string> names_;
};

}  // namespace nl
