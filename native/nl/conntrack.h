// ctnetlink (NETLINK_NETFILTER, subsystem NFNL_SUBSYS_CTNETLINK): connection tracking entries of
// a namespace, as `conntrack -L/-I/-D/-F/-C` handle them. Plain C++17, no N-API; builders and
// parsers have the shape of rtnl.h's (the resolver is unused: conntrack names no interfaces).
#pragma once

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <cstdint>
#include <optional>

#include "rtnl.h"

namespace nl {

// One direction of a connection. Ports for TCP, UDP, SCTP (and UDP-Lite, DCCP); type, code and
// id for ICMP and ICMPv6; neither for other protocols.
struct CtTuple {
  IpAddress src;
  IpAddress dst;
  std::optional<uint16_t> src_port;  // host order
  std::optional<uint16_t> dst_port;
  std::optional<uint8_t> icmp_type;
  std::optional<uint8_t> icmp_code;
  std::optional<uint16_t> icmp_id;
};

struct ConntrackEntry {
  uint8_t family = 0;    // AF_INET, AF_INET6
  uint8_t protocol = 0;  // IPPROTO_*
  CtTuple original;
  CtTuple reply;
  std::optional<uint32_t> timeout;  // seconds
  std::optional<uint32_t> mark;
  std::optional<uint16_t> zone;
  uint32_t status = 0;               // IPS_* bits
  std::optional<uint8_t> tcp_state;  // TCP_CONNTRACK_*
  std::optional<uint32_t> id;        // the kernel's id; a delete with it spares a newer entry
};

// What a dump asks the kernel to filter on. Tuple fields are compared by the kernel only where
// it can (CTA_FILTER, Linux 5.8); callers match again in user space.
struct ConntrackFilter {
  uint8_t family = 0;  // AF_UNSPEC: every family
  std::optional<uint32_t> mark;
  std::optional<uint16_t> zone;
  std::optional<uint8_t> protocol;
  CtTuple original;  // set fields only
  CtTuple reply;
};

// `conntrack -I`: the entry must be complete (both tuples and a timeout); EEXIST if it exists.
std::vector<uint8_t> BuildCreateConntrack(const ConntrackEntry& entry, LinkResolver&, Error* error);
// `conntrack -D` of one entry, by its original tuple (with its zone, and its id when known).
std::vector<uint8_t> BuildDeleteConntrack(const ConntrackEntry& entry, LinkResolver&, Error* error);
std::vector<uint8_t> BuildDumpConntrack(const ConntrackFilter& filter, LinkResolver&, Error* error);
// `conntrack -F`: every entry of the family (AF_UNSPEC: of every family).
std::vector<uint8_t> BuildFlushConntrack(const ConntrackFilter& filter, LinkResolver&,
                                         Error* error);
bool ParseConntrack(const nlmsghdr* nlh, LinkResolver&, ConntrackEntry* out);

// `conntrack -C`: the namespace's entry count (IPCTNL_MSG_CT_GET_STATS).
struct ConntrackCount {
  uint32_t entries = 0;
};
std::vector<uint8_t> BuildGetConntrackCount(const ConntrackFilter& filter, LinkResolver&,
                                            Error* error);
bool ParseConntrackCount(const nlmsghdr* nlh, LinkResolver&, ConntrackCount* out);

}  // namespace nl
