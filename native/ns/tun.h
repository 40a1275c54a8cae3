// tun/tap devices, as `ip tuntap add` makes them: through /dev/net/tun, not netlink (the
// kernel's rtnetlink "tun" kind only reports and deletes them). Plain C++, no N-API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "../nl/message.h"

namespace ns {

struct TunSpec {
  std::string name;
  bool tap = false;               // IFF_TAP (Ethernet frames), else IFF_TUN (IP packets)
  bool multi_queue = false;       // IFF_MULTI_QUEUE
  std::optional<uint32_t> user;   // TUNSETOWNER: who may attach without CAP_NET_ADMIN
  std::optional<uint32_t> group;  // TUNSETGROUP
};

// Worker thread: a persistent device in the calling thread's namespace, with no packet info
// header (IFF_NO_PI, as iproute2 makes them). EEXIST if the name is taken (TUNSETIFF would
// attach to an existing device instead); on any failure nothing is left.
nl::Error CreateTun(const TunSpec& spec);

}  // namespace ns
