#include "tun.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace ns {

nl::Error CreateTun(const TunSpec& spec) {
  if (spec.name.empty() || spec.name.size() >= IFNAMSIZ) {
    return nl::Error{EINVAL, "invalid interface name '" + spec.name + "'"};
  }
  if (if_nametoindex(spec.name.c_str()) != 0) {
    return nl::Error{EEXIST, "an interface named " + spec.name + " exists"};
  }
  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int code = errno;
    if (code == ENOENT || code == ENODEV || code == ENXIO) {
      return nl::Error{code,
                       "/dev/net/tun is missing: this kernel has no tun driver (modprobe tun)"};
    }
    return nl::Error{code, {}};
  }
  ifreq ifr{};
  memcpy(ifr.ifr_name, spec.name.data(), spec.name.size());
  ifr.ifr_flags = static_cast<short>((spec.tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                                     (spec.multi_queue ? IFF_MULTI_QUEUE : 0));
  // Until TUNSETPERSIST the device lives only as long as this descriptor: a failure below
  // closes it and the device goes with it.
  nl::Error error;
  if (ioctl(fd, TUNSETIFF, &ifr) != 0 ||
      (spec.user && ioctl(fd, TUNSETOWNER, static_cast<unsigned long>(*spec.user)) != 0) ||
      (spec.group && ioctl(fd, TUNSETGROUP, static_cast<unsigned long>(*spec.group)) != 0) ||
      ioctl(fd, TUNSETPERSIST, 1UL) != 0) {
    error = nl::Error{errno, {}};
  }
  close(fd);
  return error;
}

}  // namespace ns
