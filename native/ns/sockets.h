// Sockets made inside a namespace, for Node's own net and dgram objects: a socket keeps the
// namespace it was created in, so the worker makes it (and binds it, and listens) and the JS
// thread adopts the descriptor. Plain C++, no N-API.
#pragma once

#include <cstdint>
#include <string>

#include "../nl/message.h"

namespace ns {

struct SocketSpec {
  int family = 0;      // AF_INET or AF_INET6
  bool stream = true;  // TCP, else UDP
  bool bind = false;   // bind to address:port (an empty address: the family's any address)
  std::string address;
  uint16_t port = 0;
  int backlog = -1;  // >= 0: listen(backlog) after binding (TCP)
};

// Worker thread: the socket (O_CLOEXEC, blocking, as Node expects to adopt it) in the calling
// thread's namespace, bound and listening as `spec` says, in *fd. An IPv6 socket bound to the any
// address also takes IPv4 (as Node's own listen does); a listening one reuses a port in
// TIME_WAIT. On failure nothing is left open.
nl::Error OpenSocket(const SocketSpec& spec, int* fd);

}  // namespace ns
