#include <linux/if_addr.h>

#include <cstring>

#include "rtnl.h"

namespace nl {

namespace {

// RTM_NEWADDR (create, exclusive) or RTM_DELADDR.
std::vector<uint8_t> BuildAddress(uint16_t type, const AddressSpec& spec, LinkResolver& resolver,
                                  Error* error) {
  int32_t index = resolver.IndexOf(spec.dev, error);
  if (index == 0) return {};
  MessageBuilder b(type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
  auto* ifa = b.PutHeader<ifaddrmsg>();
  ifa->ifa_family = spec.local.family;
  ifa->ifa_prefixlen = spec.prefix_len;
  ifa->ifa_index = static_cast<uint32_t>(index);
  ifa->ifa_scope = spec.scope.value_or(RT_SCOPE_UNIVERSE);
  b.PutAddress(IFA_LOCAL, spec.local);
  b.PutAddress(IFA_ADDRESS, spec.peer.empty() ? spec.local : spec.peer);
  if (!spec.broadcast.empty()) b.PutAddress(IFA_BROADCAST, spec.broadcast);
  if (spec.no_dad) {
    ifa->ifa_flags = IFA_F_NODAD;
    b.PutU32(IFA_FLAGS, IFA_F_NODAD);
  }
  return b.Finish(error);
}

}  // namespace

std::vector<uint8_t> BuildAddAddress(const AddressSpec& spec, LinkResolver& resolver,
                                     Error* error) {
  return BuildAddress(RTM_NEWADDR, spec, resolver, error);
}

std::vector<uint8_t> BuildDeleteAddress(const AddressSpec& spec, LinkResolver& resolver,
                                        Error* error) {
  return BuildAddress(RTM_DELADDR, spec, resolver, error);
}

std::vector<uint8_t> BuildDumpAddresses(const AddressFilter& filter, LinkResolver& resolver,
                                        Error* error) {
  int32_t index = filter.dev.empty() ? 0 : resolver.IndexOf(filter.dev, error);
  if (*error) return {};
  MessageBuilder b(RTM_GETADDR, 0);
  auto* ifa = b.PutHeader<ifaddrmsg>();
  ifa->ifa_family = filter.family;
  ifa->ifa_index = static_cast<uint32_t>(index);  // strict checking filters by it in the kernel
  return b.Finish(error);
}

bool ParseAddress(const nlmsghdr* nlh, LinkResolver& resolver, AddressInfo* out) {
  if ((nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(ifaddrmsg)) {
    return false;
  }
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  AttributeTable attrs(IFA_MAX);
  attrs.ParseMessage(nlh, sizeof(ifaddrmsg));
  *out = AddressInfo{};
  out->family = ifa->ifa_family;
  out->prefix_len = ifa->ifa_prefixlen;
  out->scope = ifa->ifa_scope;
  out->dev = static_cast<int32_t>(ifa->ifa_index);
  out->dev_name = resolver.NameOf(out->dev);
  if (out->dev_name.empty()) return false;
  out->flags = ifa->ifa_flags;
  attrs.U32(IFA_FLAGS, &out->flags);  // the full 32-bit set, when the kernel sends it
  IpAddress address;
  attrs.Address(IFA_ADDRESS, ifa->ifa_family, &address);
  // IPv4 reports IFA_LOCAL, and IFA_ADDRESS is the peer; IPv6 reports IFA_ADDRESS only,
  // plus IFA_LOCAL when there is a peer.
  if (!attrs.Address(IFA_LOCAL, ifa->ifa_family, &out->local)) out->local = address;
  if (!address.empty() && memcmp(address.bytes, out->local.bytes, 16) != 0) out->peer = address;
  attrs.Address(IFA_BROADCAST, ifa->ifa_family, &out->broadcast);
  attrs.String(IFA_LABEL, &out->label);
  return true;
}

}  // namespace nl
