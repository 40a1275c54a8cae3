// libFuzzer target: specs built from fuzz input go through the Build* encoders and back through
// the Parse* decoders, and arbitrary attribute sequences go through MessageBuilder and back
// through AttributeTable. Traps when a value does not survive the round trip, the builder
// writes past its buffer (ASan), reports success for something it dropped, or reports an
// overflow (or none) other than the one the puts add up to.
//
// First input byte selects the mode (mod 6): 0 raw builder, 1 link, 2 address, 3 route, 4 neigh,
// 5 conntrack.
#include <arpa/inet.h>
#include <errno.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/veth.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "../conntrack.h"
#include "../rtnl.h"

namespace {

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "round trip check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                                    \
    }                                                                                      \
  } while (0)

// Whether the fake resolver knows a reference: "" or names starting with 'x' do not exist.
bool Resolvable(const nl::LinkRef& ref) {
  return ref.index != 0 || (!ref.name.empty() && ref.name[0] != 'x');
}

// The index the fake resolver gives a resolvable reference.
int32_t IndexFor(const nl::LinkRef& ref) {
  return ref.index != 0 ? ref.index : 100 + static_cast<int32_t>(ref.name.size());
}

// The name the fake resolver gives an index: "if<index>", or "" for none (0 and negative, like
// the worker's Context::NameOf). Parsers must report exactly this.
std::string FakeName(int32_t index) { return index > 0 ? "if" + std::to_string(index) : ""; }

class FakeResolver : public nl::LinkResolver {
 public:
  int32_t IndexOf(const nl::LinkRef& ref, nl::Error* error) override {
    lookups++;
    if (!Resolvable(ref)) {
      *error = nl::Error{ENODEV, "Cannot find device \"" + ref.name + "\""};
      return 0;
    }
    return IndexFor(ref);
  }
  std::string NameOf(int32_t index) override { return FakeName(index); }
  int lookups = 0;
};

nl::IpAddress Ip(FuzzedDataProvider& in, uint8_t family) {
  nl::IpAddress a;
  if (family == 0) return a;
  a.family = family;
  std::vector<uint8_t> b = in.ConsumeBytes<uint8_t>(a.size());
  b.resize(a.size(), 0);
  memcpy(a.bytes, b.data(), a.size());
  return a;
}

// Same family and bytes (both empty counts as the same).
bool SameIp(const nl::IpAddress& a, const nl::IpAddress& b) {
  return a.family == b.family && memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
}

template <typename T>
std::optional<T> Maybe(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? std::optional<T>(in.ConsumeIntegral<T>()) : std::nullopt;
}

uint8_t Family(FuzzedDataProvider& in, bool allow_none = true) {
  switch (in.ConsumeIntegralInRange<int>(allow_none ? 0 : 1, 2)) {
    case 1:
      return AF_INET;
    case 2:
      return AF_INET6;
    default:
      return 0;
  }
}

nl::LinkRef Ref(FuzzedDataProvider& in) {
  nl::LinkRef r;
  if (in.ConsumeBool()) {
    r.index = in.ConsumeIntegralInRange<int32_t>(1, INT32_MAX);
  } else {
    r.name = in.ConsumeRandomLengthString(20);
  }
  return r;
}

// A dump filter's interface: none, the spec's own, or another one.
nl::LinkRef FilterRef(FuzzedDataProvider& in, const nl::LinkRef& own) {
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 1:
      return own;
    case 2:
      return Ref(in);
    default:
      return {};
  }
}

// The first message of a concatenation, or nullptr.
const nlmsghdr* First(const std::vector<uint8_t>& m) {
  if (m.size() < sizeof(nlmsghdr)) return nullptr;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(m.data());
  CHECK(nlh->nlmsg_len == m.size());  // Finish() returns exactly one message
  CHECK(mnl_nlmsg_ok(nlh, static_cast<int>(m.size())));
  CHECK(nl::MessageFits(nlh, m.size()));
  return nlh;
}

// A builder's outcome: a message and no error, or no message and the error that explains it —
// ENODEV when a reference it needed does not resolve, else EMSGSIZE (the only thing that can't
// be encoded). Returns whether there is a message.
bool Built(const std::vector<uint8_t>& m, const nl::Error& error, bool unresolvable) {
  if (m.empty()) {
    CHECK(error);
    CHECK(error.code == (unresolvable ? ENODEV : EMSGSIZE));
    CHECK(!error.message.empty());
    return false;
  }
  CHECK(!unresolvable);  // a reference that does not resolve was dropped
  CHECK(!error);
  CHECK(First(m) != nullptr);
  return true;
}

// Builder output re-read as a reply: Parse* expects NEW* types.
std::vector<uint8_t> AsType(std::vector<uint8_t> m, uint16_t type) {
  reinterpret_cast<nlmsghdr*>(m.data())->nlmsg_type = type;
  return m;
}

std::string CString(const std::string& s) { return std::string(s.c_str()); }

void RawBuilder(FuzzedDataProvider& in) {
  // Capacities from "just a header" up; PutHeader is unchecked, so it is given room.
  size_t capacity = in.ConsumeIntegralInRange<size_t>(sizeof(nlmsghdr) + sizeof(rtmsg), 4096);
  nl::MessageBuilder b(RTM_NEWROUTE, 0, capacity);
  b.PutHeader<rtmsg>()->rtm_family = AF_INET;
  // What the message must add up to: every put that fits grows it, one that does not makes
  // Finish fail (and later puts, even ones that fit, do not undo that).
  size_t length = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(rtmsg));
  bool overflow = false;
  auto room = [&](size_t need) {
    if (length + need > capacity) {
      overflow = true;
      return false;
    }
    length += need;
    return true;
  };
  enum Kind { kBytes, kU32, kString, kNest, kBe16 };
  struct Put {
    uint16_t type;
    Kind kind;
    std::vector<uint8_t> data;
  };
  std::vector<Put> puts;  // top-level ones, that must be readable afterwards
  std::vector<nlattr*> nests;
  bool attributes = true;  // false once raw bytes went to the top level
  while (in.remaining_bytes() > 0) {
    uint16_t type = in.ConsumeIntegralInRange<uint16_t>(1, 40);
    switch (in.ConsumeIntegralInRange<int>(0, 6)) {
      case 0: {
        std::vector<uint8_t> data =
            in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 300));
        b.Put(type, data.data(), data.size());
        room(MNL_ATTR_HDRLEN + MNL_ALIGN(data.size()));
        if (nests.empty()) puts.push_back({type, kBytes, data});
        break;
      }
      case 1: {
        uint32_t v = in.ConsumeIntegral<uint32_t>();
        b.PutU32(type, v);
        room(MNL_ATTR_HDRLEN + 4);
        std::vector<uint8_t> data(4);
        memcpy(data.data(), &v, 4);
        if (nests.empty()) puts.push_back({type, kU32, data});
        break;
      }
      case 2: {
        std::string s = in.ConsumeRandomLengthString(100);
        b.PutString(type, s);
        std::string z = CString(s);
        room(MNL_ATTR_HDRLEN + MNL_ALIGN(z.size() + 1));
        std::vector<uint8_t> data(z.begin(), z.end());
        data.push_back(0);
        if (nests.empty()) puts.push_back({type, kString, data});
        break;
      }
      case 3: {
        // Anything put at top level with this type before is shadowed by the nest.
        if (nests.empty()) puts.push_back({type, kNest, {}});
        nlattr* nest = b.NestStart(type);
        CHECK((nest != nullptr) == room(MNL_ATTR_HDRLEN));
        nests.push_back(nest);
        break;
      }
      case 4:
        if (!nests.empty()) {
          b.NestEnd(nests.back());
          nests.pop_back();
        }
        break;
      case 5: {
        std::vector<uint8_t> data =
            in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 40));
        uint8_t none = 0;  // PutRaw memcpy's: never hand it a null pointer, even for 0 bytes
        b.PutRaw(data.empty() ? &none : data.data(), data.size());
        room(MNL_ALIGN(data.size()));
        // Raw bytes at top level are not attributes: stop checking them (not the length).
        if (nests.empty()) attributes = false;
        break;
      }
      case 6: {
        uint16_t v = in.ConsumeIntegral<uint16_t>();
        b.PutBe16(type, v);
        room(MNL_ATTR_HDRLEN + 4);
        uint16_t be = htons(v);
        std::vector<uint8_t> data(2);
        memcpy(data.data(), &be, 2);
        if (nests.empty()) puts.push_back({type, kBe16, data});
        break;
      }
    }
  }
  while (!nests.empty()) {
    b.NestEnd(nests.back());
    nests.pop_back();
  }
  nl::Error error;
  std::vector<uint8_t> m = b.Finish(&error);
  if (overflow) {
    // No overflow goes unnoticed, not even one followed by puts that fit.
    CHECK(m.empty());
    CHECK(error.code == EMSGSIZE);
    return;
  }
  CHECK(!error);
  CHECK(m.size() <= capacity);
  CHECK(m.size() == length);
  const nlmsghdr* nlh = First(m);
  CHECK(nlh != nullptr);
  CHECK(nlh->nlmsg_type == RTM_NEWROUTE);
  CHECK(static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh))->rtm_family == AF_INET);
  if (!attributes) return;
  nl::AttributeTable t(40);
  t.ParseMessage(nlh, sizeof(rtmsg));
  // The last put of each type wins (AttributeTable keeps the last occurrence).
  for (size_t i = 0; i < puts.size(); i++) {
    const Put& p = puts[i];
    bool later = false;
    for (size_t j = i + 1; j < puts.size(); j++) later |= puts[j].type == p.type;
    if (later) continue;
    const nlattr* a = t.get(p.type);
    CHECK(a != nullptr);
    CHECK(mnl_attr_get_type(a) == p.type);
    if (p.kind == kNest) continue;
    std::vector<uint8_t> got;
    CHECK(t.Bytes(p.type, &got));
    CHECK(got == p.data);
    // The typed reads agree with the typed puts.
    if (p.kind == kU32) {
      uint32_t v = 0, want = 0;
      memcpy(&want, p.data.data(), 4);
      CHECK(t.U32(p.type, &v) && v == want);
    } else if (p.kind == kBe16) {
      uint16_t v = 0, want = 0;
      memcpy(&want, p.data.data(), 2);
      CHECK(t.Be16(p.type, &v) && v == ntohs(want));
    } else if (p.kind == kString) {
      std::string s;
      CHECK(t.String(p.type, &s));
      CHECK(s == std::string(reinterpret_cast<const char*>(p.data.data())));
    }
  }
}

// The master a spec asks for, as ParseLink must report it: index and the resolver's name.
void CheckMaster(const nl::LinkSpec& spec, const nl::LinkInfo& info) {
  if (spec.set_master && !spec.master.empty()) {
    CHECK(info.master == IndexFor(spec.master));
    CHECK(info.master_name == FakeName(info.master));
  } else {  // not set, or detach (IFLA_MASTER 0)
    CHECK(info.master == 0);
    CHECK(info.master_name.empty());
  }
}

void Link(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::LinkSpec spec;
  const char* kinds[] = {"veth", "bridge", "macvlan", "vxlan", "dummy", "vlan"};
  spec.kind = in.ConsumeBool() ? kinds[in.ConsumeIntegralInRange<int>(0, 5)]
                               : in.ConsumeRandomLengthString(30);
  spec.name = in.ConsumeRandomLengthString(in.ConsumeBool() ? 15 : 5000);
  if (in.ConsumeBool()) spec.mtu = in.ConsumeIntegral<uint32_t>();
  spec.mac = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 32));
  if (in.ConsumeBool()) spec.up = in.ConsumeBool();
  if ((spec.set_master = in.ConsumeBool()) && in.ConsumeBool()) spec.master = Ref(in);
  if (in.ConsumeBool()) spec.parent = Ref(in);
  spec.peer.name = in.ConsumeRandomLengthString(in.ConsumeBool() ? 15 : 5000);
  if (in.ConsumeBool()) spec.peer.netns_fd = in.ConsumeIntegralInRange<int>(0, 1000);
  if (in.ConsumeBool()) spec.peer.mtu = in.ConsumeIntegral<uint32_t>();
  spec.peer.mac = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 32));
  spec.macvlan_mode = in.ConsumeIntegral<uint32_t>();
  spec.vlan_id = in.ConsumeIntegral<uint16_t>();
  spec.vxlan.vni = in.ConsumeIntegral<uint32_t>();
  spec.vxlan.port = in.ConsumeIntegral<uint16_t>();
  spec.vxlan.local = Ip(in, Family(in));
  spec.vxlan.remote = Ip(in, Family(in));
  if (in.ConsumeBool()) spec.vxlan.parent = Ref(in);
  if (in.ConsumeBool()) spec.vxlan.learning = in.ConsumeBool();

  const bool bad_master = spec.set_master && !spec.master.empty() && !Resolvable(spec.master);
  const bool vxlan_parent = spec.kind == "vxlan" && !spec.vxlan.parent.empty();
  nl::Error error;
  std::vector<uint8_t> m = nl::BuildCreateLink(spec, resolver, &error);
  if (Built(m, error,
            bad_master || (!spec.parent.empty() && !Resolvable(spec.parent)) ||
                (vxlan_parent && !Resolvable(spec.vxlan.parent)))) {
    std::vector<uint8_t> reply = m;  // RTM_NEWLINK already
    nl::LinkInfo info;
    CHECK(nl::ParseLink(First(reply), resolver, &info));
    CHECK(info.index == 0);
    CHECK(info.name == CString(spec.name));
    CHECK(info.kind == CString(spec.kind));
    CHECK(info.mtu == spec.mtu.value_or(0));
    CHECK(info.mac == spec.mac);
    CHECK(info.flags == (spec.up.value_or(false) ? IFF_UP : 0u));
    CheckMaster(spec, info);
    nl::AttributeTable top(IFLA_MAX), li(IFLA_INFO_MAX);
    top.ParseMessage(First(reply), sizeof(ifinfomsg));
    // The lower device, resolved.
    uint32_t link = 0;
    CHECK(top.U32(IFLA_LINK, &link) == !spec.parent.empty());
    if (!spec.parent.empty()) CHECK(static_cast<int32_t>(link) == IndexFor(spec.parent));
    li.ParseNested(top.get(IFLA_LINKINFO));
    // The veth peer's own ifinfomsg + attributes must parse as a message payload of their own.
    if (spec.kind == "veth") {
      nl::AttributeTable data(VETH_INFO_MAX);
      data.ParseNested(li.get(IFLA_INFO_DATA));
      const nlattr* peer = data.get(VETH_INFO_PEER);
      CHECK(peer != nullptr);
      CHECK(mnl_attr_get_payload_len(peer) >= sizeof(ifinfomsg));
      nl::AttributeTable p(IFLA_MAX);
      p.ParsePayload(static_cast<const uint8_t*>(mnl_attr_get_payload(peer)) + sizeof(ifinfomsg),
                     mnl_attr_get_payload_len(peer) - sizeof(ifinfomsg));
      std::string name;
      if (!spec.peer.name.empty()) {
        CHECK(p.String(IFLA_IFNAME, &name));
        CHECK(name == CString(spec.peer.name));
      }
      std::vector<uint8_t> mac;
      if (!spec.peer.mac.empty()) {
        CHECK(p.Bytes(IFLA_ADDRESS, &mac));
        CHECK(mac == spec.peer.mac);
      }
    }
    if (spec.kind == "vxlan") {
      nl::AttributeTable data(IFLA_VXLAN_MAX);
      data.ParseNested(li.get(IFLA_INFO_DATA));
      uint32_t vxlan_link = 0;
      CHECK(data.U32(IFLA_VXLAN_LINK, &vxlan_link) == vxlan_parent);
      if (vxlan_parent) CHECK(static_cast<int32_t>(vxlan_link) == IndexFor(spec.vxlan.parent));
    }
    // The kind's settings read back as they were asked for.
    CHECK(info.macvlan_mode.has_value() == (spec.kind == "macvlan"));
    if (info.macvlan_mode) CHECK(*info.macvlan_mode == spec.macvlan_mode);
    CHECK(info.vlan.has_value() == (spec.kind == "vlan"));
    if (info.vlan) CHECK(info.vlan->id == spec.vlan_id && info.vlan->protocol == 0);
    CHECK(info.vxlan.has_value() == (spec.kind == "vxlan"));
    if (info.vxlan) {
      const nl::VxlanInfo& v = *info.vxlan;
      CHECK(v.vni == spec.vxlan.vni && v.port == spec.vxlan.port);
      CHECK(v.local.family == spec.vxlan.local.family &&
            v.local.ToString() == spec.vxlan.local.ToString());
      CHECK(v.remote.family == spec.vxlan.remote.family &&
            v.remote.ToString() == spec.vxlan.remote.ToString());
      CHECK(v.parent == (vxlan_parent ? IndexFor(spec.vxlan.parent) : 0));
      CHECK(v.learning == spec.vxlan.learning.value_or(false));
    }
    CHECK(!info.tun);
  }

  spec.dev = Ref(in);
  if (in.ConsumeBool()) spec.netns_fd = in.ConsumeIntegralInRange<int>(0, 1000);
  error = {};
  m = nl::BuildChangeLink(spec, resolver, &error);
  if (Built(m, error, !Resolvable(spec.dev) || bad_master)) {
    nl::LinkInfo info;
    CHECK(nl::ParseLink(First(m), resolver, &info));
    CHECK(info.index == IndexFor(spec.dev));
    CHECK(info.name == CString(spec.name));
    CHECK(info.mtu == spec.mtu.value_or(0));
    CHECK(info.mac == spec.mac);
    CHECK(info.flags == (spec.up.value_or(false) ? IFF_UP : 0u));
    CheckMaster(spec, info);
    nl::AttributeTable top(IFLA_MAX);
    top.ParseMessage(First(m), sizeof(ifinfomsg));
    uint32_t fd = 0;
    CHECK(top.U32(IFLA_NET_NS_FD, &fd) == (spec.netns_fd >= 0));
    if (spec.netns_fd >= 0) CHECK(fd == static_cast<uint32_t>(spec.netns_fd));
  }
  error = {};
  m = nl::BuildDeleteLink(spec.dev, resolver, &error);
  if (Built(m, error, !Resolvable(spec.dev))) {
    CHECK(First(m)->nlmsg_type == RTM_DELLINK);
    m = AsType(m, RTM_NEWLINK);
    nl::LinkInfo info;
    CHECK(nl::ParseLink(First(m), resolver, &info));
    CHECK(info.index == IndexFor(spec.dev));
  }
  // By index, or by name without a lookup.
  error = {};
  const int lookups = resolver.lookups;
  m = nl::BuildGetLink(spec.dev, resolver, &error);
  CHECK(resolver.lookups == lookups);
  if (Built(m, error, false)) {
    CHECK(First(m)->nlmsg_type == RTM_GETLINK);
    m = AsType(m, RTM_NEWLINK);
    nl::LinkInfo info;
    CHECK(nl::ParseLink(First(m), resolver, &info));
    CHECK(info.index == spec.dev.index);
    if (spec.dev.index == 0 && spec.dev.name.size() < IFNAMSIZ) {
      CHECK(info.name == CString(spec.dev.name));
    } else if (spec.dev.index == 0) {  // an alternative name
      nl::AttributeTable top(IFLA_MAX);
      top.ParseMessage(First(m), sizeof(ifinfomsg));
      std::string alt;
      CHECK(top.String(IFLA_ALT_IFNAME, &alt) && alt == CString(spec.dev.name));
    }
  }
  error = {};
  m = nl::BuildDumpLinks(nl::LinkFilter{}, resolver, &error);
  CHECK(Built(m, error, false));
  CHECK(First(m)->nlmsg_type == RTM_GETLINK);
}

void Address(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::AddressSpec spec;
  spec.dev = Ref(in);
  uint8_t family = Family(in, false);
  spec.local = Ip(in, family);
  spec.prefix_len = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.peer = Ip(in, family);
  if (in.ConsumeBool()) spec.broadcast = Ip(in, family);
  if (in.ConsumeBool()) spec.scope = in.ConsumeIntegral<uint8_t>();
  spec.no_dad = in.ConsumeBool();
  spec.no_prefix_route = in.ConsumeBool();
  spec.valid_lft = Maybe<uint32_t>(in);
  spec.preferred_lft = Maybe<uint32_t>(in);
  const int op = in.ConsumeIntegralInRange<int>(0, 2);  // add, replace, delete
  const bool del = op == 2;
  nl::Error error;
  std::vector<uint8_t> m = del       ? nl::BuildDeleteAddress(spec, resolver, &error)
                           : op == 1 ? nl::BuildReplaceAddress(spec, resolver, &error)
                                     : nl::BuildAddAddress(spec, resolver, &error);
  if (!Built(m, error, !Resolvable(spec.dev))) return;
  CHECK(First(m)->nlmsg_type == (del ? RTM_DELADDR : RTM_NEWADDR));
  CHECK(((First(m)->nlmsg_flags & NLM_F_REPLACE) != 0) == (op == 1));
  m = AsType(m, RTM_NEWADDR);
  nl::AddressInfo info;
  CHECK(nl::ParseAddress(First(m), resolver, &info));
  CHECK(info.family == family);
  CHECK(info.prefix_len == spec.prefix_len);
  CHECK(info.scope == spec.scope.value_or(RT_SCOPE_UNIVERSE));
  CHECK(info.dev == IndexFor(spec.dev));
  CHECK(info.dev_name == FakeName(info.dev));
  CHECK(memcmp(info.local.bytes, spec.local.bytes, 16) == 0 && info.local.family == family);
  if (!spec.peer.empty() && memcmp(spec.peer.bytes, spec.local.bytes, 16) != 0) {
    CHECK(SameIp(info.peer, spec.peer));
  } else {
    CHECK(info.peer.empty());
  }
  CHECK(SameIp(info.broadcast, spec.broadcast));
  CHECK(((info.flags & IFA_F_NODAD) != 0) == spec.no_dad);
  CHECK(((info.flags & IFA_F_NOPREFIXROUTE) != 0) == spec.no_prefix_route);
  const bool timed = spec.valid_lft || spec.preferred_lft;
  const uint32_t valid = spec.valid_lft.value_or(nl::kForever);
  CHECK(info.valid_lft == (timed ? valid : nl::kForever));
  CHECK(info.preferred_lft == (timed ? spec.preferred_lft.value_or(valid) : nl::kForever));

  nl::AddressFilter filter;
  filter.family = in.ConsumeBool() ? family : uint8_t{AF_UNSPEC};
  filter.dev = FilterRef(in, spec.dev);
  error = {};
  m = nl::BuildDumpAddresses(filter, resolver, &error);
  if (!Built(m, error, !filter.dev.empty() && !Resolvable(filter.dev))) return;
  CHECK(First(m)->nlmsg_type == RTM_GETADDR);
  m = AsType(m, RTM_NEWADDR);
  // An address of no interface (index 0: no name) is not parsed, as one of a gone interface.
  const int32_t dev = filter.dev.empty() ? 0 : IndexFor(filter.dev);
  CHECK(nl::ParseAddress(First(m), resolver, &info) == !FakeName(dev).empty());
  if (FakeName(dev).empty()) return;
  CHECK(info.family == filter.family);
  CHECK(info.dev == (filter.dev.empty() ? 0 : IndexFor(filter.dev)));
  CHECK(info.dev_name == FakeName(info.dev));
}

void Route(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::RouteSpec spec;
  spec.family = Family(in, false);
  if (in.ConsumeBool()) spec.dst = Ip(in, spec.family);
  spec.dst_len = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.via = Ip(in, spec.family);
  if (in.ConsumeBool()) spec.dev = Ref(in);
  if (in.ConsumeBool()) spec.scope = in.ConsumeIntegral<uint8_t>();
  spec.on_link = in.ConsumeBool();
  spec.table = in.ConsumeBool() ? in.ConsumeIntegral<uint32_t>() : 0;
  if (in.ConsumeBool()) spec.metric = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) spec.src = Ip(in, spec.family);
  if (in.ConsumeBool()) spec.protocol = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.type = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.from = Ip(in, spec.family);
  spec.from_len = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.nexthop_id = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) spec.mtu = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) spec.advmss = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) spec.lock = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) spec.pref = in.ConsumeIntegral<uint8_t>();
  bool hop_unresolvable = false;
  for (int i = in.ConsumeBool() ? 64 : in.ConsumeIntegralInRange<int>(0, 3); i > 0; i--) {
    nl::RouteSpec::Nexthop hop;
    if (in.ConsumeBool()) hop.via = Ip(in, spec.family);
    if (in.ConsumeBool()) hop.dev = Ref(in);
    hop.weight = in.ConsumeIntegralInRange<uint16_t>(1, 256);
    hop.on_link = in.ConsumeBool();
    hop_unresolvable = hop_unresolvable || (!hop.dev.empty() && !Resolvable(hop.dev));
    spec.nexthops.push_back(hop);
  }
  enum { kAdd, kReplace, kDelete, kGet };
  using Builder = std::vector<uint8_t> (*)(const nl::RouteSpec&, nl::LinkResolver&, nl::Error*);
  const Builder builders[] = {nl::BuildAddRoute, nl::BuildReplaceRoute, nl::BuildDeleteRoute,
                              nl::BuildGetRoute};
  const uint16_t types[] = {RTM_NEWROUTE, RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE};
  const int op = in.ConsumeIntegralInRange<int>(0, 3);
  nl::Error error;
  std::vector<uint8_t> m = builders[op](spec, resolver, &error);
  const bool unresolvable = (!spec.dev.empty() && !Resolvable(spec.dev)) ||
                            (op != kGet && hop_unresolvable);  // a get sends no nexthops
  if (!Built(m, error, unresolvable)) return;
  const uint16_t flags = First(m)->nlmsg_flags;
  CHECK(First(m)->nlmsg_type == types[op]);
  // Add and replace ask for an echo of the route the kernel made when it picks the device: none
  // given, or a route that is not unicast.
  const bool kernel_picks = spec.dev.empty() || spec.type.value_or(RTN_UNICAST) != RTN_UNICAST ||
                            spec.mtu != 0 || spec.advmss != 0;  // metrics: it may clamp them
  CHECK(((flags & NLM_F_ECHO) != 0) == ((op == kAdd || op == kReplace) && kernel_picks));
  if (op == kAdd) CHECK((flags & NLM_F_EXCL) && !(flags & NLM_F_REPLACE));
  if (op == kReplace) CHECK((flags & NLM_F_REPLACE) && !(flags & NLM_F_EXCL));
  nl::RouteInfo info;
  m = AsType(m, RTM_NEWROUTE);
  CHECK(nl::ParseRoute(First(m), resolver, &info));
  CHECK(info.family == spec.family);
  int32_t dev = spec.dev.empty() ? 0 : IndexFor(spec.dev);
  CHECK(info.dev == dev);
  CHECK(info.dev_name == FakeName(dev));
  if (op == kGet) {
    // `ip route get`: a full-length destination, and the source address asked about.
    CHECK(info.dst_len == (spec.family == AF_INET ? 32 : 128));
    CHECK(SameIp(info.dst, spec.dst));
    CHECK(SameIp(info.from, spec.from));
    CHECK(info.from_len == (spec.from.empty() ? 0 : info.dst_len));
    return;
  }
  CHECK(info.dst_len == spec.dst_len);
  CHECK(info.table == (spec.table != 0 ? spec.table : RT_TABLE_MAIN));
  CHECK(info.metric == spec.metric.value_or(0));
  CHECK(SameIp(info.dst, spec.dst));
  CHECK(SameIp(info.via, spec.via));
  CHECK(SameIp(info.src, spec.src));
  // A source-specific route's prefix, as given (an absent one leaves rtm_src_len 0).
  CHECK(SameIp(info.from, spec.from));
  CHECK(info.from_len == (spec.from.empty() ? 0 : spec.from_len));
  CHECK(info.nexthop_id == spec.nexthop_id);
  CHECK(info.mtu == spec.mtu && info.advmss == spec.advmss && info.lock == spec.lock);
  CHECK(info.pref == spec.pref);
  CHECK(info.nexthops.size() == spec.nexthops.size());
  for (size_t i = 0; i < info.nexthops.size(); i++) {
    const nl::RouteInfo::Nexthop& got = info.nexthops[i];
    const nl::RouteSpec::Nexthop& want = spec.nexthops[i];
    CHECK(SameIp(got.via, want.via));
    CHECK(got.dev == (want.dev.empty() ? 0 : IndexFor(want.dev)));
    CHECK(got.weight == want.weight);
    CHECK(((got.flags & RTNH_F_ONLINK) != 0) == want.on_link);
  }
  CHECK(((info.flags & RTNH_F_ONLINK) != 0) == spec.on_link);
  if (spec.type) {
    CHECK(info.type == *spec.type);
  } else {  // add: unicast unless set; delete: any unless set
    CHECK(info.type == (op == kDelete ? RTN_UNSPEC : RTN_UNICAST));
  }
  if (spec.protocol) CHECK(info.protocol == *spec.protocol);
  if (spec.scope) CHECK(info.scope == *spec.scope);

  nl::RouteFilter filter;
  filter.family = in.ConsumeBool() ? spec.family : uint8_t{AF_UNSPEC};
  filter.table = in.ConsumeBool() ? spec.table : in.ConsumeIntegral<uint32_t>();
  error = {};
  m = nl::BuildDumpRoutes(filter, resolver, &error);
  CHECK(Built(m, error, false));
  CHECK(First(m)->nlmsg_type == RTM_GETROUTE);
  m = AsType(m, RTM_NEWROUTE);
  CHECK(nl::ParseRoute(First(m), resolver, &info));
  CHECK(info.family == filter.family);
  CHECK(info.table == filter.table);  // RTA_TABLE when set, else rtm_table 0: every table
}

void Neighbor(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::NeighborSpec spec;
  spec.dev = Ref(in);
  spec.ip = Ip(in, Family(in));
  spec.mac = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 32));
  spec.permanent = in.ConsumeBool();
  spec.family = in.ConsumeBool() ? AF_BRIDGE : spec.ip.family;
  const bool add = in.ConsumeBool();
  nl::Error error;
  std::vector<uint8_t> m = add ? nl::BuildAddNeighbor(spec, resolver, &error)
                               : nl::BuildDeleteNeighbor(spec, resolver, &error);
  if (!Built(m, error, !Resolvable(spec.dev))) return;
  CHECK(First(m)->nlmsg_type == (add ? RTM_NEWNEIGH : RTM_DELNEIGH));
  m = AsType(m, RTM_NEWNEIGH);
  nl::NeighborInfo info;
  CHECK(nl::ParseNeighbor(First(m), resolver, &info));
  CHECK(info.family == spec.family);
  CHECK(info.dev == IndexFor(spec.dev));
  CHECK(info.dev_name == FakeName(info.dev));
  CHECK(info.mac == spec.mac);
  CHECK(SameIp(info.ip, spec.ip));
  if (spec.family == AF_BRIDGE) {
    CHECK(info.state == (NUD_NOARP | NUD_PERMANENT));
    CHECK(info.flags & NTF_SELF);
  } else {
    CHECK(info.state == (spec.permanent ? NUD_PERMANENT : NUD_REACHABLE));
  }

  nl::NeighborFilter filter;
  filter.family = in.ConsumeBool() ? spec.family : uint8_t{AF_UNSPEC};
  filter.dev = FilterRef(in, spec.dev);
  error = {};
  m = nl::BuildDumpNeighbors(filter, resolver, &error);
  if (!Built(m, error, !filter.dev.empty() && !Resolvable(filter.dev))) return;
  CHECK(First(m)->nlmsg_type == RTM_GETNEIGH);
  CHECK(static_cast<const ndmsg*>(mnl_nlmsg_get_payload(First(m)))->ndm_family == filter.family);
  nl::AttributeTable attrs(NDA_MAX);
  attrs.ParseMessage(First(m), sizeof(ndmsg));
  uint32_t index = 0;
  CHECK(attrs.U32(NDA_IFINDEX, &index) == !filter.dev.empty());
  if (!filter.dev.empty()) CHECK(static_cast<int32_t>(index) == IndexFor(filter.dev));
}

nl::CtTuple Tuple(FuzzedDataProvider& in, uint8_t family, uint8_t protocol) {
  nl::CtTuple t;
  t.src = Ip(in, family);
  t.dst = Ip(in, family);
  if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6) {
    t.icmp_type = Maybe<uint8_t>(in);
    t.icmp_code = Maybe<uint8_t>(in);
    t.icmp_id = Maybe<uint16_t>(in);
  } else {
    t.src_port = Maybe<uint16_t>(in);
    t.dst_port = Maybe<uint16_t>(in);
  }
  return t;
}

void CheckTuple(const nl::CtTuple& got, const nl::CtTuple& want) {
  CHECK(SameIp(got.src, want.src));
  CHECK(SameIp(got.dst, want.dst));
  CHECK(got.src_port == want.src_port);
  CHECK(got.dst_port == want.dst_port);
  CHECK(got.icmp_type == want.icmp_type);
  CHECK(got.icmp_code == want.icmp_code);
  CHECK(got.icmp_id == want.icmp_id);
}

void Conntrack(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::ConntrackEntry spec;
  spec.family = Family(in, false);
  spec.protocol = in.PickValueInArray<uint8_t>(
      {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_GRE});
  spec.original = Tuple(in, spec.family, spec.protocol);
  spec.reply = Tuple(in, spec.family, spec.protocol);
  spec.timeout = Maybe<uint32_t>(in);
  spec.mark = Maybe<uint32_t>(in);
  spec.zone = Maybe<uint16_t>(in);
  spec.status = in.ConsumeIntegral<uint32_t>() & ~uint32_t{IPS_CONFIRMED};
  if (spec.protocol == IPPROTO_TCP) spec.tcp_state = Maybe<uint8_t>(in);
  spec.id = Maybe<uint32_t>(in);
  const bool create = in.ConsumeBool();
  nl::Error error;
  std::vector<uint8_t> m = create ? nl::BuildCreateConntrack(spec, resolver, &error)
                                  : nl::BuildDeleteConntrack(spec, resolver, &error);
  if (m.empty()) {
    CHECK(error.code == EINVAL);  // an incomplete entry
    return;
  }
  m = AsType(m, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW);
  nl::ConntrackEntry info;
  const bool parsed = nl::ParseConntrack(First(m), resolver, &info);
  if (!create) {  // a delete carries the original tuple only: nothing to parse as an entry
    CHECK(!parsed);
    return;
  }
  CHECK(parsed);
  CHECK(info.family == spec.family);
  CHECK(info.protocol == spec.protocol);
  CheckTuple(info.original, spec.original);
  CheckTuple(info.reply, spec.reply);
  CHECK(info.timeout == spec.timeout);
  CHECK(info.mark == spec.mark);
  CHECK(info.zone == spec.zone);
  CHECK(info.status == (spec.status == 0 ? 0 : spec.status | IPS_CONFIRMED));
  CHECK(info.tcp_state == spec.tcp_state);
}

void Rule(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::Rule spec;
  spec.family = Family(in, false);
  spec.priority = Maybe<uint32_t>(in);
  if (in.ConsumeBool()) {
    spec.from = Ip(in, spec.family);
    spec.from_len = in.ConsumeIntegral<uint8_t>();
  }
  if (in.ConsumeBool()) {
    spec.to = Ip(in, spec.family);
    spec.to_len = in.ConsumeIntegral<uint8_t>();
  }
  spec.iif = in.ConsumeRandomLengthString(20);
  spec.oif = in.ConsumeRandomLengthString(20);
  spec.fwmark = Maybe<uint32_t>(in);
  spec.fwmask = Maybe<uint32_t>(in);
  spec.table = in.ConsumeIntegral<uint32_t>();
  spec.action = in.ConsumeIntegral<uint8_t>();
  spec.ip_proto = Maybe<uint8_t>(in);
  if (in.ConsumeBool())
    spec.sport =
        nl::Rule::PortRange{in.ConsumeIntegral<uint16_t>(), in.ConsumeIntegral<uint16_t>()};
  if (in.ConsumeBool())
    spec.dport =
        nl::Rule::PortRange{in.ConsumeIntegral<uint16_t>(), in.ConsumeIntegral<uint16_t>()};
  const bool add = in.ConsumeBool();
  nl::Error error;
  std::vector<uint8_t> m =
      add ? nl::BuildAddRule(spec, resolver, &error) : nl::BuildDeleteRule(spec, resolver, &error);
  if (!Built(m, error, false)) return;
  CHECK(First(m)->nlmsg_type == (add ? RTM_NEWRULE : RTM_DELRULE));
  nl::Rule info;
  CHECK(nl::ParseRule(First(m), resolver, &info));
  CHECK(info.family == spec.family);
  CHECK(info.priority == spec.priority);
  CHECK(SameIp(info.from, spec.from));
  CHECK(SameIp(info.to, spec.to));
  CHECK(info.from_len == (spec.from.empty() ? 0 : spec.from_len));
  CHECK(info.to_len == (spec.to.empty() ? 0 : spec.to_len));
  // Names are NUL-terminated on the wire: they end at the first NUL.
  CHECK(info.iif == spec.iif.substr(0, spec.iif.find('\0')));
  CHECK(info.oif == spec.oif.substr(0, spec.oif.find('\0')));
  CHECK(info.fwmark == spec.fwmark);
  CHECK(info.fwmask == spec.fwmask);
  CHECK(info.ip_proto == spec.ip_proto);
  CHECK(info.sport.has_value() == spec.sport.has_value());
  if (spec.sport)
    CHECK(info.sport->start == spec.sport->start && info.sport->end == spec.sport->end);
  CHECK(info.dport.has_value() == spec.dport.has_value());
  if (spec.dport)
    CHECK(info.dport->start == spec.dport->start && info.dport->end == spec.dport->end);
  const uint8_t action = spec.action != 0 ? spec.action : add ? FR_ACT_TO_TBL : FR_ACT_UNSPEC;
  CHECK(info.action == action);
  const bool main_by_default = add && spec.table == 0 && action == FR_ACT_TO_TBL;
  CHECK(info.table == (main_by_default ? uint32_t{RT_TABLE_MAIN} : spec.table));
}

void Nexthop(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::NexthopSpec spec;
  spec.id = in.ConsumeIntegral<uint32_t>();
  spec.family = Family(in);
  if (spec.family != AF_UNSPEC && in.ConsumeBool()) spec.via = Ip(in, spec.family);
  if (in.ConsumeBool()) spec.dev = Ref(in);
  spec.blackhole = in.ConsumeBool();
  spec.on_link = in.ConsumeBool();
  for (int i = in.ConsumeBool() ? 256 : in.ConsumeIntegralInRange<int>(0, 4); i > 0; i--) {
    spec.group.push_back(nl::NexthopGroupMember{in.ConsumeIntegral<uint32_t>(),
                                                in.ConsumeIntegralInRange<uint16_t>(1, 256)});
  }
  nl::Error error;
  std::vector<uint8_t> m = nl::BuildAddNexthop(spec, resolver, &error);
  if (!Built(m, error, !spec.dev.empty() && !Resolvable(spec.dev))) return;
  CHECK(First(m)->nlmsg_type == RTM_NEWNEXTHOP);
  nl::NexthopInfo info;
  CHECK(nl::ParseNexthop(First(m), resolver, &info));
  CHECK(info.id == spec.id);
  CHECK(info.family == spec.family);
  CHECK(SameIp(info.via, spec.via));
  CHECK(info.dev == (spec.dev.empty() ? 0 : IndexFor(spec.dev)));
  CHECK(info.blackhole == spec.blackhole);
  CHECK(((info.flags & RTNH_F_ONLINK) != 0) == spec.on_link);
  CHECK(info.group.size() == spec.group.size());
  for (size_t i = 0; i < info.group.size(); i++) {
    CHECK(info.group[i].id == spec.group[i].id && info.group[i].weight == spec.group[i].weight);
  }
  error = {};
  m = nl::BuildDeleteNexthop(spec, resolver, &error);
  CHECK(Built(m, error, false));
  CHECK(First(m)->nlmsg_type == RTM_DELNEXTHOP);
  CHECK(nl::ParseNexthop(First(m), resolver, &info) && info.id == spec.id);
}

// `ip link set` of flags, txqueuelen, group and bridge port settings, read back as a link.
void LinkChange(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::LinkSpec spec;
  spec.dev = Ref(in);
  auto maybe_bool = [&in]() {
    return in.ConsumeBool() ? std::optional<bool>(in.ConsumeBool()) : std::nullopt;
  };
  spec.up = maybe_bool();
  spec.promisc = maybe_bool();
  spec.allmulti = maybe_bool();
  spec.txqlen = Maybe<uint32_t>(in);
  spec.group = Maybe<uint32_t>(in);
  if (in.ConsumeBool()) {
    spec.bridge_port =
        nl::BridgePort{maybe_bool(), maybe_bool(),        maybe_bool(),       maybe_bool(),
                       maybe_bool(), Maybe<uint32_t>(in), Maybe<uint16_t>(in)};
  }
  nl::Error error;
  std::vector<uint8_t> m = nl::BuildChangeLink(spec, resolver, &error);
  if (!Built(m, error, !Resolvable(spec.dev))) return;
  // A change names the port's kind as IFLA_INFO_KIND "bridge_slave", as iproute2 does.
  nl::LinkInfo info;
  CHECK(nl::ParseLink(First(m), resolver, &info));
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(First(m)));
  auto check_flag = [&](const std::optional<bool>& want, unsigned int bit) {
    CHECK(((ifi->ifi_change & bit) != 0) == want.has_value());
    CHECK(((info.flags & bit) != 0) == want.value_or(false));
  };
  check_flag(spec.up, IFF_UP);
  check_flag(spec.promisc, IFF_PROMISC);
  check_flag(spec.allmulti, IFF_ALLMULTI);
  CHECK(info.txqlen == spec.txqlen.value_or(0));
  CHECK(info.group == spec.group.value_or(0));
  CHECK(info.kind == (spec.bridge_port ? "bridge_slave" : ""));
  if (spec.bridge_port) {
    nl::AttributeTable top(IFLA_MAX), li(IFLA_INFO_MAX), data(IFLA_BRPORT_MAX);
    top.ParseMessage(First(m), sizeof(ifinfomsg));
    li.ParseNested(top.get(IFLA_LINKINFO));
    data.ParseNested(li.get(IFLA_INFO_SLAVE_DATA));
    uint8_t u8;
    uint32_t u32;
    uint16_t u16;
    CHECK(data.U8(IFLA_BRPORT_MODE, &u8) == spec.bridge_port->hairpin.has_value());
    CHECK(data.U8(IFLA_BRPORT_PROXYARP, &u8) == spec.bridge_port->proxy_arp.has_value());
    CHECK(data.U32(IFLA_BRPORT_COST, &u32) == spec.bridge_port->cost.has_value());
    if (spec.bridge_port->cost) CHECK(u32 == *spec.bridge_port->cost);
    CHECK(data.U16(IFLA_BRPORT_PRIORITY, &u16) == spec.bridge_port->priority.has_value());
    if (spec.bridge_port->priority) CHECK(u16 == *spec.bridge_port->priority);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzedDataProvider in(data + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      RawBuilder(in);
      break;
    case 1:
      Link(in);
      break;
    case 2:
      Address(in);
      break;
    case 3:
      Route(in);
      break;
    case 4:
      Neighbor(in);
      break;
    case 5:
      Conntrack(in);
      break;
    case 6:
      Rule(in);
      break;
    case 7:
      Nexthop(in);
      break;
    case 8:
      LinkChange(in);
      break;
  }
  return 0;
}
