// libFuzzer target: specs built from fuzz input go through the Build* encoders and back through
// the Parse* decoders, and arbitrary attribute sequences go through MessageBuilder and back
// through AttributeTable. Traps when a value does not survive the round trip or the builder
// writes past its buffer (ASan) / reports success for something it dropped.
//
// First input byte selects the mode (mod 5): 0 raw builder, 1 link, 2 address, 3 route, 4 neigh.
#include <arpa/inet.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/veth.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../rtnl.h"

namespace {

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "round trip check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                                    \
    }                                                                                      \
  } while (0)

// Names resolve to a deterministic index; "" or names starting with 'x' do not exist.
class FakeResolver : public nl::IndexResolver {
 public:
  int32_t IndexOf(const nl::LinkRef& ref, nl::Error* error) override {
    if (ref.index != 0) return ref.index;
    if (ref.name.empty() || ref.name[0] == 'x') {
      *error = nl::Error{ENODEV, "Cannot find device \"" + ref.name + "\""};
      return 0;
    }
    return 100 + static_cast<int32_t>(ref.name.size());
  }
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

// The first message of a concatenation, or nullptr.
const nlmsghdr* First(const std::vector<uint8_t>& m) {
  if (m.size() < sizeof(nlmsghdr)) return nullptr;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(m.data());
  CHECK(nlh->nlmsg_len == m.size());  // Take() returns exactly one message
  CHECK(mnl_nlmsg_ok(nlh, static_cast<int>(m.size())));
  return nlh;
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
  struct Put {
    uint16_t type;
    std::vector<uint8_t> data;
  };
  std::vector<Put> puts;  // those that must be readable afterwards
  std::vector<nlattr*> nests;
  while (in.remaining_bytes() > 0 && !b.overflowed()) {
    uint16_t type = in.ConsumeIntegralInRange<uint16_t>(1, 40);
    switch (in.ConsumeIntegralInRange<int>(0, 6)) {
      case 0: {
        std::vector<uint8_t> data =
            in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 300));
        b.Put(type, data.data(), data.size());
        if (nests.empty()) puts.push_back({type, data});
        break;
      }
      case 1: {
        uint32_t v = in.ConsumeIntegral<uint32_t>();
        b.PutU32(type, v);
        std::vector<uint8_t> data(4);
        memcpy(data.data(), &v, 4);
        if (nests.empty()) puts.push_back({type, data});
        break;
      }
      case 2: {
        std::string s = in.ConsumeRandomLengthString(100);
        b.PutString(type, s);
        std::string z = CString(s);
        std::vector<uint8_t> data(z.begin(), z.end());
        data.push_back(0);
        if (nests.empty()) puts.push_back({type, data});
        break;
      }
      case 3:
        if (nests.empty()) {
          // Anything put at top level with this type before is shadowed by the nest.
          puts.push_back({type, {}});
          puts.back().data.clear();
          puts.back().type = static_cast<uint16_t>(type | 0x8000);  // marker: a nest
        }
        nests.push_back(b.NestStart(type));
        break;
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
        if (nests.empty()) return;  // raw bytes at top level are not attributes: stop checking
        break;
      }
      case 6: {
        uint16_t v = in.ConsumeIntegral<uint16_t>();
        b.PutBe16(type, v);
        uint16_t be = htons(v);
        std::vector<uint8_t> data(2);
        memcpy(data.data(), &be, 2);
        if (nests.empty()) puts.push_back({type, data});
        break;
      }
    }
  }
  while (!nests.empty()) {
    b.NestEnd(nests.back());
    nests.pop_back();
  }
  const bool overflowed = b.overflowed();
  std::vector<uint8_t> m = b.Take();
  CHECK(m.size() <= capacity);
  const nlmsghdr* nlh = First(m);
  CHECK(nlh != nullptr);
  if (overflowed) return;  // what was put before the overflow is there, the rest is not
  nl::AttributeTable t(40);
  t.ParseMessage(nlh, sizeof(rtmsg));
  // The last put of each type wins (AttributeTable keeps the last occurrence).
  for (size_t i = 0; i < puts.size(); i++) {
    const Put& p = puts[i];
    uint16_t type = p.type & 0x7fff;
    bool later = false;
    for (size_t j = i + 1; j < puts.size(); j++) later |= (puts[j].type & 0x7fff) == type;
    if (later) continue;
    const nlattr* a = t.get(type);
    CHECK(a != nullptr);
    if (p.type & 0x8000) {
      CHECK(mnl_attr_get_type(a) == type);
      continue;
    }
    std::vector<uint8_t> got;
    CHECK(t.Bytes(type, &got));
    CHECK(got == p.data);
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

  nl::Error error;
  std::vector<uint8_t> m = nl::BuildCreateLink(spec, resolver, &error);
  if (m.empty()) {
    CHECK(error);
  } else {
    CHECK(!error);
    std::vector<uint8_t> reply = m;  // RTM_NEWLINK already
    nl::LinkInfo info;
    CHECK(nl::ParseLink(First(reply), &info));
    CHECK(info.name == CString(spec.name));
    CHECK(info.kind == CString(spec.kind));
    CHECK(info.mtu == spec.mtu.value_or(0));
    CHECK(info.mac == spec.mac);
    CHECK(info.flags == (spec.up.value_or(false) ? IFF_UP : 0u));
    if (spec.set_master && spec.master.empty()) CHECK(info.master == 0);
    // The veth peer's own ifinfomsg + attributes must parse as a message payload of their own.
    if (spec.kind == "veth") {
      nl::AttributeTable top(IFLA_MAX), li(IFLA_INFO_MAX), data(VETH_INFO_MAX);
      top.ParseMessage(First(reply), sizeof(ifinfomsg));
      li.ParseNested(top.get(IFLA_LINKINFO));
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
  }

  spec.target = Ref(in);
  error = {};
  m = nl::BuildChangeLink(spec, resolver, &error);
  if (!m.empty()) {
    CHECK(!error);
    nl::LinkInfo info;
    CHECK(nl::ParseLink(First(m), &info));
    CHECK(info.index == resolver.IndexOf(spec.target, &error));
    CHECK(info.name == CString(spec.name));
  }
  error = {};
  m = nl::BuildDeleteLink(spec.target, resolver, &error);
  if (!m.empty()) First(m);
  m = nl::BuildGetLink(spec.target);
  First(m);
}

void Address(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::AddressSpec spec;
  spec.link = Ref(in);
  uint8_t family = Family(in, false);
  spec.local = Ip(in, family);
  spec.prefix_len = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.peer = Ip(in, family);
  if (in.ConsumeBool()) spec.broadcast = Ip(in, family);
  if (in.ConsumeBool()) spec.scope = in.ConsumeIntegral<uint8_t>();
  spec.no_dad = in.ConsumeBool();
  nl::Error error;
  std::vector<uint8_t> m = nl::BuildAddress(RTM_NEWADDR, spec, resolver, &error);
  if (m.empty()) {
    CHECK(error);
    return;
  }
  nl::AddressInfo info;
  CHECK(nl::ParseAddress(First(m), &info));
  CHECK(info.family == family);
  CHECK(info.prefix_len == spec.prefix_len);
  CHECK(info.scope == spec.scope.value_or(RT_SCOPE_UNIVERSE));
  CHECK(info.index == resolver.IndexOf(spec.link, &error));
  CHECK(memcmp(info.local.bytes, spec.local.bytes, 16) == 0 && info.local.family == family);
  if (!spec.peer.empty() && memcmp(spec.peer.bytes, spec.local.bytes, 16) != 0) {
    CHECK(memcmp(info.peer.bytes, spec.peer.bytes, 16) == 0);
  } else {
    CHECK(info.peer.empty());
  }
  CHECK(info.broadcast.empty() == spec.broadcast.empty());
  CHECK(((info.flags & IFA_F_NODAD) != 0) == spec.no_dad);
  m = nl::BuildDumpAddresses(family, info.index);
  First(m);
}

void Route(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::RouteSpec spec;
  spec.family = Family(in, false);
  if (in.ConsumeBool()) spec.dst = Ip(in, spec.family);
  spec.dst_len = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.gateway = Ip(in, spec.family);
  if (in.ConsumeBool()) spec.dev = Ref(in);
  if (in.ConsumeBool()) spec.scope = in.ConsumeIntegral<uint8_t>();
  spec.on_link = in.ConsumeBool();
  spec.table = in.ConsumeBool() ? in.ConsumeIntegral<uint32_t>() : 0;
  if (in.ConsumeBool()) spec.metric = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) spec.prefsrc = Ip(in, spec.family);
  if (in.ConsumeBool()) spec.protocol = in.ConsumeIntegral<uint8_t>();
  if (in.ConsumeBool()) spec.type = in.ConsumeIntegral<uint8_t>();
  nl::RouteOp op = static_cast<nl::RouteOp>(in.ConsumeIntegralInRange<int>(0, 3));
  nl::Error error;
  std::vector<uint8_t> m = nl::BuildRoute(op, spec, resolver, &error);
  if (m.empty()) {
    CHECK(error);
    return;
  }
  nl::RouteInfo info;
  m = AsType(m, RTM_NEWROUTE);
  CHECK(nl::ParseRoute(First(m), &info));
  CHECK(info.family == spec.family);
  int32_t oif = spec.dev.empty() ? 0 : resolver.IndexOf(spec.dev, &error);
  CHECK(info.oif == oif);
  if (op == nl::RouteOp::kGet) {
    CHECK(info.dst_len == (spec.family == AF_INET ? 32 : 128));
    return;
  }
  CHECK(info.dst_len == spec.dst_len);
  CHECK(info.table == (spec.table != 0 ? spec.table : RT_TABLE_MAIN));
  CHECK(info.metric == spec.metric.value_or(0));
  CHECK(info.dst.empty() == spec.dst.empty());
  if (!spec.dst.empty()) CHECK(memcmp(info.dst.bytes, spec.dst.bytes, 16) == 0);
  CHECK(info.gateway.empty() == spec.gateway.empty());
  if (!spec.gateway.empty()) CHECK(memcmp(info.gateway.bytes, spec.gateway.bytes, 16) == 0);
  CHECK(info.prefsrc.empty() == spec.prefsrc.empty());
  if (spec.type) CHECK(info.type == *spec.type);
  if (spec.protocol) CHECK(info.protocol == *spec.protocol);
  if (spec.scope) CHECK(info.scope == *spec.scope);
  m = nl::BuildDumpRoutes(spec.family, spec.table);
  First(m);
}

void Neighbor(FuzzedDataProvider& in) {
  FakeResolver resolver;
  nl::NeighborSpec spec;
  spec.dev = Ref(in);
  spec.ip = Ip(in, Family(in));
  spec.mac = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 32));
  spec.permanent = in.ConsumeBool();
  spec.family = in.ConsumeBool() ? AF_BRIDGE : spec.ip.family;
  uint16_t type = in.ConsumeBool() ? RTM_NEWNEIGH : RTM_DELNEIGH;
  nl::Error error;
  std::vector<uint8_t> m = nl::BuildNeighbor(type, spec, resolver, &error);
  if (m.empty()) {
    CHECK(error);
    return;
  }
  m = AsType(m, RTM_NEWNEIGH);
  nl::NeighborInfo info;
  CHECK(nl::ParseNeighbor(First(m), &info));
  CHECK(info.family == spec.family);
  CHECK(info.index == resolver.IndexOf(spec.dev, &error));
  CHECK(info.mac == spec.mac);
  CHECK(info.ip.family == spec.ip.family);
  if (!spec.ip.empty()) CHECK(memcmp(info.ip.bytes, spec.ip.bytes, 16) == 0);
  m = nl::BuildDumpNeighbors(spec.family, info.index);
  First(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzedDataProvider in(data + 1, size - 1);
  switch (data[0] % 5) {
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
  }
  return 0;
}
