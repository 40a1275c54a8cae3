#include "events.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nl {

EventKind KindOf(const nlmsghdr* nlh, bool* removed) {
  *removed = false;
  switch (nlh->nlmsg_type) {
    case RTM_DELLINK:
      *removed = true;
      [[fallthrough]];
    case RTM_NEWLINK:
      return EventKind::kLink;
    case RTM_DELADDR:
      *removed = true;
      [[fallthrough]];
    case RTM_NEWADDR:
      return EventKind::kAddress;
    case RTM_DELROUTE:
      *removed = true;
      [[fallthrough]];
    case RTM_NEWROUTE:
      return EventKind::kRoute;
    case RTM_DELNEIGH:
      *removed = true;
      [[fallthrough]];
    case RTM_NEWNEIGH:
      return EventKind::kNeighbor;
    default:
      return EventKind::kOther;
  }
}

std::unique_ptr<EventSocket> EventSocket::Open(Error* error) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    *error = Error{errno, {}};
    return nullptr;
  }
  std::unique_ptr<EventSocket> events(new EventSocket(fd));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    *error = Error{errno, {}};
    return nullptr;
  }
  // FORCE needs CAP_NET_ADMIN; without it the kernel caps the plain option at rmem_max.
  const int bytes = kReceiveBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (events->buffer_.data() == nullptr) {
    *error = Error{ENOMEM, {}};
    return nullptr;
  }
  *error = events->Join(kLinkEvents);
  if (*error) return nullptr;
  return events;
}

EventSocket::EventSocket(int fd) : fd_(fd), buffer_(Socket::kDatagramBytes) {}

EventSocket::~EventSocket() { close(fd_); }

Error EventSocket::Join(uint32_t groups) {
  static constexpr struct {
    uint32_t bit;
    int group;
  } kGroups[] = {
      {kLinkEvents, RTNLGRP_LINK},           {kAddressEvents, RTNLGRP_IPV4_IFADDR},
      {kAddressEvents, RTNLGRP_IPV6_IFADDR}, {kRouteEvents, RTNLGRP_IPV4_ROUTE},
      {kRouteEvents, RTNLGRP_IPV6_ROUTE},    {kNeighborEvents, RTNLGRP_NEIGH},
  };
  for (const auto& g : kGroups) {
    if (!(groups & g.bit) || (joined_ & g.bit)) continue;
    if (setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g.group, sizeof g.group) != 0) {
      return Error{errno, {}};
    }
  }
  joined_ |= groups;
  return Error{};
}

ssize_t EventSocket::Receive() {
  sockaddr_nl from{};
  iovec iov{buffer_.data(), buffer_.size()};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  for (;;) {
    ssize_t n = recvmsg(fd_, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    }
    // A truncated notification is a lost one: the reader resynchronises as after ENOBUFS.
    if (msg.msg_flags & MSG_TRUNC) return -ENOBUFS;
    if (from.nl_pid != 0) continue;  // only the kernel speaks on these groups; ignore others
    return n;
  }
}

int32_t NameTable::IndexOf(const LinkRef& ref, Error* error) {
  if (ref.index != 0) return ref.index;
  for (const auto& [index, name] : names_) {
    if (name == ref.name) return index;
  }
  *error = Error{ENODEV, "Cannot find device \"" + ref.name + "\""};
  return 0;
}

std::string NameTable::NameOf(int32_t index) {
  auto found = names_.find(index);
  return found != names_.end() ? found->second : std::string();
}

}  // namespace nl
