#include "sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ns {

nl::Error OpenSocket(const SocketSpec& spec, int* fd_out) {
  *fd_out = -1;
  if (spec.family != AF_INET && spec.family != AF_INET6) return nl::Error{EAFNOSUPPORT, {}};
  const int fd = socket(spec.family, (spec.stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return nl::Error{errno, {}};
  auto fail = [fd](int code) {
    close(fd);
    return nl::Error{code, {}};
  };
  if (spec.bind) {
    const int on = 1;
    const int off = 0;
    if (spec.stream && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
      return fail(errno);
    }
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (spec.family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&storage);
      in->sin_family = AF_INET;
      in->sin_port = htons(spec.port);
      if (!spec.address.empty() && inet_pton(AF_INET, spec.address.c_str(), &in->sin_addr) != 1) {
        return fail(EINVAL);
      }
      length = sizeof *in;
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(spec.port);
      if (spec.address.empty()) {
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0) return fail(errno);
      } else if (inet_pton(AF_INET6, spec.address.c_str(), &in6->sin6_addr) != 1) {
        return fail(EINVAL);
      }
      length = sizeof *in6;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) return fail(errno);
  }
  if (spec.backlog >= 0 && listen(fd, spec.backlog) != 0) return fail(errno);
  *fd_out = fd;
  return nl::Error{};
}

}  // namespace ns
