#include <linux/if_addr.h>

#include <cstring>

#include "rtnl.h"

namespace nl {

namespace {

// RTM_NEWADDR (create, exclusive or replacing) or RTM_DELADDR.
std::vector<uint8_t> BuildAddress(uint16_t type, uint16_t flags, const AddressSpec& spec,
                                  LinkResolver& resolver, Error* error) {
  int32_t index = resolver.IndexOf(spec.dev, error);
  if (index == 0) return {};
  MessageBuilder b(type, flags);
  auto* ifa = b.PutHeader<ifaddrmsg>();
  ifa->ifa_family = spec.local.family;
  ifa->ifa_prefixlen = spec.prefix_len;
  ifa->ifa_index = static_cast<uint32_t>(index);
  ifa->ifa_scope = spec.scope.value_or(RT_SCOPE_UNIVERSE);
  b.PutAddress(IFA_LOCAL, spec.local);
  b.PutAddress(IFA_ADDRESS, spec.peer.empty() ? spec.local : spec.peer);
  if (!spec.broadcast.empty()) b.PutAddress(IFA_BROADCAST, spec.broadcast);
  // The legacy byte holds the low flags; IFA_FLAGS all of them (NOPREFIXROUTE is above 0xff).
  const uint32_t flags_set =
      (spec.no_dad ? IFA_F_NODAD : 0) | (spec.no_prefix_route ? IFA_F_NOPREFIXROUTE : 0);
  if (flags_set != 0) {
    ifa->ifa_flags = static_cast<uint8_t>(flags_set & 0xff);
    b.PutU32(IFA_FLAGS, flags_set);
  }
  if (spec.valid_lft || spec.preferred_lft) {
    ifa_cacheinfo cache{};
    cache.ifa_valid = spec.valid_lft.value_or(kForever);
    cache.ifa_prefered = spec.preferred_lft.value_or(cache.ifa_valid);
    b.Put(IFA_CACHEINFO, &cache, sizeof cache);
  }
  return b.Finish(error);
}

}  // namespace

std::vector<uint8_t> BuildAddAddress(const AddressSpec& spec, LinkResolver& resolver,
                                     Error* error) {
  return BuildAddress(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, spec, resolver, error);
}

std::vector<uint8_t> BuildReplaceAddress(const AddressSpec& spec, LinkResolver& resolver,
                                         Error* error) {
  return BuildAddress(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, spec, resolver, error);
}

std::vector<uint8_t> BuildDeleteAddress(const AddressSpec& spec, LinkResolver& resolver,
                                        Error* error) {
  return BuildAddress(RTM_DELADDR, 0, spec, resolver, error);
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
  if (const nlattr* c = attrs.get(IFA_CACHEINFO);
      c != nullptr && mnl_attr_get_payload_len(c) >= sizeof(ifa_cacheinfo)) {
    ifa_cacheinfo cache;
    memcpy(&cache, mnl_attr_get_payload(c), sizeof cache);
    out->valid_lft = cache.ifa_valid;
    out->preferred_lft = cache.ifa_prefered;
  }
  return true;
}

}  // namespace nl
