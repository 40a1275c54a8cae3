#include "convert.h"

#include <endian.h>
#include <fcntl.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

namespace binding {

namespace {

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

// Every reader gets the property once; absent means undefined or null.
bool Present(const Napi::Value& v) { return !v.IsUndefined() && !v.IsNull(); }

uint32_t U32(const Napi::Value& v, const char* key, uint32_t max = UINT32_MAX) {
  if (!v.IsNumber()) ThrowType(v.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > max || d != static_cast<double>(static_cast<uint64_t>(d))) {
    throw Napi::RangeError::New(v.Env(), std::string(key) + " is out of range");
  }
  return static_cast<uint32_t>(d);
}

Napi::Object AsObject(const Napi::Value& v) {
  if (!v.IsObject()) ThrowType(v.Env(), "a spec must be an object");
  return v.As<Napi::Object>();
}

std::string Str(const Napi::Value& v, const char* key) {
  if (!v.IsString()) ThrowType(v.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// A reader of one spec object: each method looks its key up once.
class Fields {
 public:
  explicit Fields(Napi::Value v) : o_(AsObject(v)) {}
  Napi::Env Env() const { return o_.Env(); }
  Napi::Value Get(const char* key) const { return o_.Get(key); }
  bool Has(const char* key) const { return o_.Has(key); }
  std::optional<uint32_t> U32(const char* key, uint32_t max = UINT32_MAX) const {
    Napi::Value v = o_.Get(key);
    if (!Present(v)) return std::nullopt;
    return binding::U32(v, key, max);
  }
  std::optional<uint16_t> U16(const char* key) const {
    std::optional<uint32_t> v = U32(key, UINT16_MAX);
    return v ? std::optional<uint16_t>(static_cast<uint16_t>(*v)) : std::nullopt;
  }
  std::optional<uint8_t> U8(const char* key) const {
    std::optional<uint32_t> v = U32(key, UINT8_MAX);
    return v ? std::optional<uint8_t>(static_cast<uint8_t>(*v)) : std::nullopt;
  }
  std::optional<std::string> Str(const char* key) const {
    Napi::Value v = o_.Get(key);
    if (!Present(v)) return std::nullopt;
    return binding::Str(v, key);
  }
  bool Bool(const char* key) const { return o_.Get(key).ToBoolean().Value(); }
  std::optional<bool> OptionalBool(const char* key) const {
    Napi::Value v = o_.Get(key);
    return Present(v) ? std::optional<bool>(v.ToBoolean().Value()) : std::nullopt;
  }
  nl::IpAddress Ip(const char* key) const {
    nl::IpAddress a;
    std::optional<std::string> text = Str(key);
    if (text && !nl::IpAddress::Parse(*text, &a))
      ThrowType(Env(), std::string(key) + " is not an IP address");
    return a;
  }
  std::vector<uint8_t> Mac(const char* key) const {
    std::vector<uint8_t> mac;
    std::optional<std::string> text = Str(key);
    if (text && !nl::ParseMac(*text, &mac))
      ThrowType(Env(), std::string(key) + " is not a MAC address");
    return mac;
  }
  std::optional<nl::LinkRef> Link(const char* key) const {
    Napi::Value v = o_.Get(key);
    if (!Present(v)) return std::nullopt;
    BorrowedFds none(nullptr);  // a link reference borrows nothing
    return ReadLinkRef(v, none);
  }

 private:
  Napi::Object o_;
};

uint8_t Family(const Fields& f) {
  uint32_t family = f.U32("family", 6).value_or(0);
  if (family != 4 && family != 6) throw Napi::RangeError::New(f.Env(), "family must be 4 or 6");
  return family == 4 ? AF_INET : AF_INET6;
}

// A dump's family filter: 4, 6, or absent (every family).
uint8_t FamilyOrAny(const Fields& f) {
  return f.U32("family", 6).has_value() ? Family(f) : AF_UNSPEC;
}

// 'address/length', with the family's zero address when the kernel sent none.
std::string Prefix(const nl::IpAddress& a, uint8_t family, uint8_t len) {
  std::string address = a.empty() ? (family == AF_INET ? "0.0.0.0" : "::") : a.ToString();
  return address + "/" + std::to_string(len);
}

constexpr size_t kAltNameSize = 128;  // linux/if.h's ALTIFNAMSIZ, which clashes with net/if.h

// An interface name, or with `size` kAltNameSize an alternative one (the sizes count the NUL).
std::string IfName(Napi::Env env, const std::string& name, size_t size = IFNAMSIZ) {
  if (name.empty() || name.size() >= size ||
      name.find_first_of(std::string("/\0", 2)) != std::string::npos) {
    throw Napi::RangeError::New(env, "invalid interface name '" + name + "'");
  }
  return name;
}

void SetIp(Napi::Object o, const char* key, const nl::IpAddress& a) {
  if (!a.empty()) o.Set(key, a.ToString());
}

int FamilyNumber(uint8_t family) { return family == AF_INET ? 4 : family == AF_INET6 ? 6 : family; }

}  // namespace

BorrowedFds::~BorrowedFds() {
  for (int fd : fds_) close(fd);
}

int BorrowedFds::Borrow(Napi::Value handle) {
  int fd = fd_of_(handle.Env(), handle);
  fds_.push_back(fd);
  return fd;
}

nl::LinkRef ReadLinkRef(Napi::Value value, BorrowedFds&) {
  nl::LinkRef ref;
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (d < 1 || d > INT32_MAX || d != static_cast<int32_t>(d)) {
      throw Napi::RangeError::New(value.Env(), "interface index out of range");
    }
    ref.index = static_cast<int32_t>(d);
  } else if (value.IsString()) {
    // Up to an alternative name's size: a get by name finds those (a lookup elsewhere does not).
    ref.name = IfName(value.Env(), value.As<Napi::String>().Utf8Value(), kAltNameSize);
  } else {
    ThrowType(value.Env(), "an interface must be given by name or index");
  }
  return ref;
}

nl::LinkFilter ReadLinkFilter(Napi::Value, BorrowedFds&) { return {}; }

nl::LinkSpec ReadLinkSpec(Napi::Value value, BorrowedFds& fds) {
  Fields f(value);
  Napi::Env env = value.Env();
  nl::LinkSpec spec;
  if (auto dev = f.Link("dev")) spec.dev = *dev;
  if (auto name = f.Str("name")) spec.name = IfName(env, *name);
  if (auto kind = f.Str("kind")) spec.kind = *kind;
  spec.mtu = f.U32("mtu");
  spec.mac = f.Mac("mac");
  if (Napi::Value up = f.Get("up"); Present(up)) spec.up = up.ToBoolean().Value();
  if (auto alias = f.Str("alias")) {
    constexpr size_t kAliasBytes = 256;  // IFALIASZ, with the NUL
    if (alias->size() >= kAliasBytes)
      throw Napi::RangeError::New(env, "an alias is at most 255 bytes");
    spec.alias = *alias;
  }
  if (f.Has("master")) {  // null detaches, a name or index attaches
    spec.set_master = true;
    if (auto master = f.Link("master")) spec.master = *master;
  }
  if (Napi::Value netns = f.Get("netns"); Present(netns)) spec.netns_fd = fds.Borrow(netns);
  if (auto parent = f.Link("parent")) spec.parent = *parent;
  if (Napi::Value peer_value = f.Get("peer"); Present(peer_value)) {
    Fields peer(peer_value);
    spec.peer.name = IfName(env, peer.Str("name").value_or(""));
    if (Napi::Value netns = peer.Get("netns"); Present(netns))
      spec.peer.netns_fd = fds.Borrow(netns);
    spec.peer.mtu = peer.U32("mtu");
    spec.peer.mac = peer.Mac("mac");
  }
  spec.macvlan_mode = f.U32("macvlanMode").value_or(0);
  spec.vlan_id = static_cast<uint16_t>(f.U32("vlanId", 4094).value_or(0));
  if (Napi::Value vxlan = f.Get("vxlan"); Present(vxlan)) {
    Fields v(vxlan);
    spec.vxlan.vni = v.U32("vni", (1 << 24) - 1).value_or(0);
    spec.vxlan.port = v.U16("port").value_or(0);
    spec.vxlan.local = v.Ip("local");
    spec.vxlan.remote = v.Ip("remote");
    if (auto parent = v.Link("parent")) spec.vxlan.parent = *parent;
    if (Napi::Value learning = v.Get("learning"); Present(learning))
      spec.vxlan.learning = learning.ToBoolean().Value();
  }
  spec.promisc = f.OptionalBool("promisc");
  spec.allmulti = f.OptionalBool("allmulti");
  spec.txqlen = f.U32("txQueueLen");
  spec.group = f.U32("group");
  if (Napi::Value port_value = f.Get("bridgePort"); Present(port_value)) {
    Fields port(port_value);
    spec.bridge_port = nl::BridgePort{port.OptionalBool("hairpin"),  port.OptionalBool("isolated"),
                                      port.OptionalBool("learning"), port.OptionalBool("flood"),
                                      port.OptionalBool("proxyArp"), port.U32("cost"),
                                      port.U16("priority")};
  }
  if (auto alt_name = f.Str("altName")) spec.alt_name = IfName(env, *alt_name, kAltNameSize);
  return spec;
}

nl::NetnsIdSpec ReadNetnsIdSpec(Napi::Value value, BorrowedFds& fds) {
  Fields f(value);
  nl::NetnsIdSpec spec;
  spec.netns_fd = fds.Borrow(f.Get("netns"));
  if (auto id = f.U32("id", INT32_MAX)) spec.id = static_cast<int32_t>(*id);
  return spec;
}

Napi::Value WriteNetnsId(Napi::Env env, const nl::NetnsId& id) {
  return id.id < 0 ? env.Null() : Napi::Number::New(env, id.id);
}

nl::AddressSpec ReadAddressSpec(Napi::Value value, BorrowedFds& fds) {
  Fields f(value);
  nl::AddressSpec spec;
  spec.dev = ReadLinkRef(f.Get("dev"), fds);
  spec.local = f.Ip("local");
  if (spec.local.empty()) ThrowType(value.Env(), "local is required");
  const uint32_t max_len = static_cast<uint32_t>(spec.local.size() * 8);
  spec.prefix_len = static_cast<uint8_t>(f.U32("prefixLength", max_len).value_or(max_len));
  spec.peer = f.Ip("peer");
  spec.broadcast = f.Ip("broadcast");
  spec.scope = f.U8("scope");
  spec.no_dad = f.Bool("noDad");
  spec.no_prefix_route = f.Bool("noPrefixRoute");
  spec.valid_lft = f.U32("validLifetime");
  spec.preferred_lft = f.U32("preferredLifetime");
  return spec;
}

nl::AddressFilter ReadAddressFilter(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::AddressFilter filter;
  filter.family = FamilyOrAny(f);
  if (auto dev = f.Link("dev")) filter.dev = *dev;
  return filter;
}

nl::RouteSpec ReadRouteRecord(Napi::Value value, BorrowedFds&) {
  // Little-endian, the layout lib/route.ts writes: family (4 or 6), dst length, from length,
  // bits of the fields present (1 dst, 2 via, 4 src, 8 from, 16 scope, 32 protocol, 64 type,
  // 128 metric); scope, protocol, type, flags (1 on-link, 2 nexthop id); table, metric, dev
  // index (u32); dev name (16 bytes, NUL-padded); dst, via, src, from (16 bytes each); nexthop
  // id, mtu, advmss (u32); pref; the number of nexthops. Flags also: 4 mtu, 8 advmss, 16 pref,
  // 32 mtu locked, 64 advmss locked. Then per nexthop: via (16 bytes), dev index, dev name,
  // weight - 1, flags (1 on-link, 2 via present).
  const size_t length =
      value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array
          ? value.As<Napi::Uint8Array>().ElementLength()
          : 0;
  const uint8_t* in = length != 0 ? value.As<Napi::Uint8Array>().Data() : nullptr;
  if (length < kRouteRecordBytes || in[113] > kMaxRouteNexthops ||
      length != kRouteRecordBytes + in[113] * kRouteNexthopBytes) {
    ThrowType(value.Env(), "expected a route record");
  }
  if (in[0] != 4 && in[0] != 6) throw Napi::RangeError::New(value.Env(), "family must be 4 or 6");
  const uint8_t present = in[3];
  nl::RouteSpec spec;
  spec.family = in[0] == 4 ? AF_INET : AF_INET6;
  const uint8_t max_len = in[0] == 4 ? 32 : 128;
  if (in[1] > max_len || in[2] > max_len) {
    throw Napi::RangeError::New(value.Env(), "prefix length out of range");
  }
  spec.dst_len = in[1];
  spec.from_len = in[2];
  auto address = [&](uint8_t bit, size_t at, nl::IpAddress* out) {
    if (!(present & bit)) return;
    out->family = spec.family;
    memcpy(out->bytes, in + at, out->size());
  };
  address(1, 36, &spec.dst);
  address(2, 52, &spec.via);
  address(4, 68, &spec.src);
  address(8, 84, &spec.from);
  if (present & 16) spec.scope = in[4];
  if (present & 32) spec.protocol = in[5];
  if (present & 64) spec.type = in[6];
  spec.on_link = (in[7] & 1) != 0;
  auto u32 = [in](size_t at) {
    uint32_t v;
    memcpy(&v, in + at, sizeof v);
    return le32toh(v);
  };
  spec.table = u32(8);
  if (present & 128) spec.metric = u32(12);
  if (in[7] & 2) spec.nexthop_id = u32(100);
  auto dev = [&](size_t at) {
    nl::LinkRef ref;
    if (u32(at) > INT32_MAX)
      throw Napi::RangeError::New(value.Env(), "interface index out of range");
    ref.index = static_cast<int32_t>(u32(at));
    const char* name = reinterpret_cast<const char*>(in + at + 4);
    if (name[0] != 0) ref.name = IfName(value.Env(), std::string(name, strnlen(name, IFNAMSIZ)));
    return ref;
  };
  spec.dev = dev(16);
  if (in[7] & 4) spec.mtu = u32(104);
  if (in[7] & 8) spec.advmss = u32(108);
  if (in[7] & 16) spec.pref = in[112];
  spec.lock = ((in[7] & 32) ? 1u << RTAX_MTU : 0) | ((in[7] & 64) ? 1u << RTAX_ADVMSS : 0);
  for (size_t i = 0; i < in[113]; i++) {
    const size_t at = kRouteRecordBytes + i * kRouteNexthopBytes;
    nl::RouteSpec::Nexthop hop;
    if (in[at + 37] & 2) {
      hop.via.family = spec.family;
      memcpy(hop.via.bytes, in + at, hop.via.size());
    }
    hop.dev = dev(at + 16);
    hop.weight = static_cast<uint16_t>(in[at + 36] + 1);
    hop.on_link = (in[at + 37] & 1) != 0;
    spec.nexthops.push_back(std::move(hop));
  }
  return spec;
}

nl::RouteFilter ReadRouteFilter(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::RouteFilter filter;
  filter.family = FamilyOrAny(f);
  filter.table = f.U32("table").value_or(0);
  return filter;
}

nl::NeighborSpec ReadNeighborSpec(Napi::Value value, BorrowedFds& fds) {
  Fields f(value);
  nl::NeighborSpec spec;
  spec.dev = ReadLinkRef(f.Get("dev"), fds);
  spec.ip = f.Ip("ip");
  spec.mac = f.Mac("mac");
  spec.permanent = f.Bool("permanent");
  spec.master = f.Bool("master");
  spec.self = f.Bool("self");
  spec.fdb_static = f.Bool("static");
  spec.vlan = f.U16("vlan").value_or(0);
  spec.proxy = f.Bool("proxy");
  spec.family = f.Bool("fdb") ? AF_BRIDGE : spec.ip.family;
  if (spec.family == 0) ThrowType(value.Env(), "a neighbour needs an ip");
  return spec;
}

nl::NeighborFilter ReadNeighborFilter(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::NeighborFilter filter;
  filter.family = f.Bool("fdb") ? AF_BRIDGE : FamilyOrAny(f);
  if (auto dev = f.Link("dev")) filter.dev = *dev;
  filter.proxy = f.Bool("proxy");
  return filter;
}

namespace {
// A port range as JS sends it: [start, end].
std::optional<nl::Rule::PortRange> ReadPorts(const Fields& f, const char* key) {
  Napi::Value v = f.Get(key);
  if (!Present(v)) return std::nullopt;
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 2)
    ThrowType(f.Env(), std::string(key) + " must be [start, end]");
  Napi::Array a = v.As<Napi::Array>();
  return nl::Rule::PortRange{static_cast<uint16_t>(U32(a.Get(0u), key, UINT16_MAX)),
                             static_cast<uint16_t>(U32(a.Get(1u), key, UINT16_MAX))};
}
}  // namespace

nl::Rule ReadRule(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::Rule r;
  r.family = Family(f);
  r.priority = f.U32("priority");
  r.from = f.Ip("from");
  r.from_len = f.U8("fromLen").value_or(0);
  r.to = f.Ip("to");
  r.to_len = f.U8("toLen").value_or(0);
  r.iif = f.Str("iif").value_or("");
  r.oif = f.Str("oif").value_or("");
  r.fwmark = f.U32("fwmark");
  r.fwmask = f.U32("fwmask");
  r.table = f.U32("table").value_or(0);
  r.action = f.U8("action").value_or(0);
  r.ip_proto = f.U8("ipProto");
  r.sport = ReadPorts(f, "sport");
  r.dport = ReadPorts(f, "dport");
  return r;
}

nl::FamilyFilter ReadFamilyFilter(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  return nl::FamilyFilter{FamilyOrAny(f)};
}

Napi::Value WriteRule(Napi::Env env, const nl::Rule& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", FamilyNumber(r.family));
  o.Set("priority", r.priority.value_or(0));
  if (!r.from.empty()) {
    o.Set("from", r.from.ToString());
    o.Set("fromLen", r.from_len);
  }
  if (!r.to.empty()) {
    o.Set("to", r.to.ToString());
    o.Set("toLen", r.to_len);
  }
  if (!r.iif.empty()) o.Set("iif", r.iif);
  if (!r.oif.empty()) o.Set("oif", r.oif);
  if (r.fwmark) o.Set("fwmark", *r.fwmark);
  if (r.fwmask) o.Set("fwmask", *r.fwmask);
  o.Set("table", r.table);
  o.Set("action", r.action);
  if (r.ip_proto) o.Set("ipProto", *r.ip_proto);
  auto ports = [&](const char* key, const std::optional<nl::Rule::PortRange>& p) {
    if (!p) return;
    Napi::Array a = Napi::Array::New(env, 2);
    a.Set(0u, p->start);
    a.Set(1u, p->end);
    o.Set(key, a);
  };
  ports("sport", r.sport);
  ports("dport", r.dport);
  return o;
}

nl::NexthopSpec ReadNexthopSpec(Napi::Value value, BorrowedFds& fds) {
  Fields f(value);
  nl::NexthopSpec spec;
  spec.id = f.U32("id").value_or(0);
  const uint32_t family = f.U32("family", 6).value_or(0);
  spec.family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  spec.via = f.Ip("via");
  if (Present(f.Get("dev"))) spec.dev = ReadLinkRef(f.Get("dev"), fds);
  spec.blackhole = f.Bool("blackhole");
  spec.on_link = f.Bool("onLink");
  Napi::Value group = f.Get("group");
  if (Present(group)) {
    if (!group.IsArray()) ThrowType(f.Env(), "group must be an array");
    Napi::Array members = group.As<Napi::Array>();
    for (uint32_t i = 0; i < members.Length(); i++) {
      Fields member(members.Get(i));
      const uint32_t weight = member.U32("weight", 256).value_or(1);
      if (weight == 0) throw Napi::RangeError::New(f.Env(), "a group member's weight is 1-256");
      spec.group.push_back(
          nl::NexthopGroupMember{member.U32("id").value_or(0), static_cast<uint16_t>(weight)});
    }
  }
  return spec;
}

Napi::Value WriteNexthop(Napi::Env env, const nl::NexthopInfo& n) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", n.id);
  if (n.family == AF_INET || n.family == AF_INET6) o.Set("family", FamilyNumber(n.family));
  SetIp(o, "via", n.via);
  if (n.dev != 0) {
    o.Set("dev", n.dev_name);
    o.Set("devIndex", n.dev);
  }
  o.Set("blackhole", n.blackhole);
  o.Set("flags", n.flags);
  o.Set("protocol", n.protocol);
  if (!n.group.empty()) {
    Napi::Array group = Napi::Array::New(env, n.group.size());
    for (uint32_t i = 0; i < n.group.size(); i++) {
      Napi::Object member = Napi::Object::New(env);
      member.Set("id", n.group[i].id);
      member.Set("weight", n.group[i].weight);
      group.Set(i, member);
    }
    o.Set("group", group);
  }
  return o;
}

Napi::Value WriteLink(Napi::Env env, const nl::LinkInfo& link) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", link.index);
  o.Set("name", link.name);
  o.Set("kind", link.kind);
  o.Set("mtu", link.mtu);
  o.Set("mac", nl::FormatMac(link.mac.data(), link.mac.size()));
  o.Set("flags", link.flags);
  o.Set("operState", link.operstate);
  if (!link.alias.empty()) o.Set("alias", link.alias);
  if (link.master != 0) {
    o.Set("master", link.master_name);
    o.Set("masterIndex", link.master);
  }
  if (link.has_stats) {
    const nl::LinkStats& s = link.stats;
    Napi::Object stats = Napi::Object::New(env);
    auto set = [&](const char* key, uint64_t v) { stats.Set(key, static_cast<double>(v)); };
    set("rxPackets", s.rx_packets);
    set("txPackets", s.tx_packets);
    set("rxBytes", s.rx_bytes);
    set("txBytes", s.tx_bytes);
    set("rxErrors", s.rx_errors);
    set("txErrors", s.tx_errors);
    set("rxDropped", s.rx_dropped);
    set("txDropped", s.tx_dropped);
    set("multicast", s.multicast);
    set("collisions", s.collisions);
    o.Set("stats", stats);
  }
  o.Set("txQueueLen", link.txqlen);
  o.Set("group", link.group);
  Napi::Array alt_names = Napi::Array::New(env, link.alt_names.size());
  for (uint32_t i = 0; i < link.alt_names.size(); i++) alt_names.Set(i, link.alt_names[i]);
  o.Set("altNames", alt_names);
  if (link.link != 0 && link.link != link.index) o.Set("link", link.link);
  if (link.link_netnsid) o.Set("linkNetnsId", *link.link_netnsid);
  if (link.bridge_port) {
    const nl::BridgePort& p = *link.bridge_port;
    Napi::Object port = Napi::Object::New(env);
    auto flag = [&](const char* key, const std::optional<bool>& v) {
      if (v) port.Set(key, *v);
    };
    flag("hairpin", p.hairpin);
    flag("isolated", p.isolated);
    flag("learning", p.learning);
    flag("flood", p.flood);
    flag("proxyArp", p.proxy_arp);
    if (p.cost) port.Set("cost", *p.cost);
    if (p.priority) port.Set("priority", *p.priority);
    o.Set("bridgePort", port);
  }
  if (link.macvlan_mode) o.Set("macvlanMode", *link.macvlan_mode);
  if (link.vlan) {
    Napi::Object vlan = Napi::Object::New(env);
    vlan.Set("id", link.vlan->id);
    if (link.vlan->protocol != 0) vlan.Set("protocol", link.vlan->protocol);
    o.Set("vlan", vlan);
  }
  if (link.vxlan) {
    const nl::VxlanInfo& v = *link.vxlan;
    Napi::Object vxlan = Napi::Object::New(env);
    vxlan.Set("vni", v.vni);
    vxlan.Set("port", v.port);
    if (!v.local.empty()) vxlan.Set("local", v.local.ToString());
    if (!v.remote.empty()) vxlan.Set("remote", v.remote.ToString());
    if (v.parent != 0) vxlan.Set("parent", v.parent);
    vxlan.Set("learning", v.learning);
    o.Set("vxlan", vxlan);
  }
  if (link.tun) {
    const nl::TunInfo& t = *link.tun;
    Napi::Object tun = Napi::Object::New(env);
    tun.Set("tap", t.tap);
    if (t.owner) tun.Set("owner", *t.owner);
    if (t.group) tun.Set("group", *t.group);
    tun.Set("packetInfo", t.packet_info);
    tun.Set("vnetHdr", t.vnet_hdr);
    tun.Set("persist", t.persist);
    tun.Set("multiQueue", t.multi_queue);
    o.Set("tun", tun);
  }
  return o;
}

Napi::Value WriteAddress(Napi::Env env, const nl::AddressInfo& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", FamilyNumber(a.family));
  o.Set("address", a.local.ToString());
  o.Set("prefixLength", a.prefix_len);
  o.Set("scope", a.scope);
  o.Set("flags", a.flags);
  o.Set("dev", a.dev_name);
  o.Set("devIndex", a.dev);
  SetIp(o, "peer", a.peer);
  SetIp(o, "broadcast", a.broadcast);
  if (!a.label.empty()) o.Set("label", a.label);
  o.Set("validLifetime", a.valid_lft);
  o.Set("preferredLifetime", a.preferred_lft);
  return o;
}

Napi::Value WriteRoute(Napi::Env env, const nl::RouteInfo& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", FamilyNumber(r.family));
  o.Set("dst", r.dst.empty() && r.dst_len == 0 ? std::string("default")
                                               : Prefix(r.dst, r.family, r.dst_len));
  SetIp(o, "via", r.via);
  SetIp(o, "src", r.src);
  if (!r.from.empty()) o.Set("from", Prefix(r.from, r.family, r.from_len));
  if (r.dev != 0) {
    if (!r.dev_name.empty()) o.Set("dev", r.dev_name);
    o.Set("devIndex", r.dev);
  }
  o.Set("table", r.table);
  o.Set("metric", r.metric);
  o.Set("protocol", r.protocol);
  o.Set("scope", r.scope);
  o.Set("type", r.type);
  o.Set("flags", r.flags);
  if (r.nexthop_id != 0) o.Set("nexthopId", r.nexthop_id);
  if (r.mtu != 0) o.Set("mtu", r.mtu);
  if (r.advmss != 0) o.Set("advmss", r.advmss);
  if (r.lock != 0) o.Set("lock", r.lock);
  if (r.pref) o.Set("pref", *r.pref);
  if (!r.nexthops.empty()) {
    Napi::Array hops = Napi::Array::New(env, r.nexthops.size());
    for (uint32_t i = 0; i < r.nexthops.size(); i++) {
      const nl::RouteInfo::Nexthop& h = r.nexthops[i];
      Napi::Object hop = Napi::Object::New(env);
      SetIp(hop, "via", h.via);
      if (h.dev != 0) hop.Set("dev", h.dev_name);
      hop.Set("weight", h.weight);
      hop.Set("flags", h.flags);
      hops.Set(i, hop);
    }
    o.Set("nexthops", hops);
  }
  return o;
}

namespace {

// A conntrack tuple: { src, dst, srcPort?, dstPort?, icmpType?, icmpCode?, icmpId? }, its
// addresses of `family` (absent ones stay empty: a filter's wildcards).
nl::CtTuple ReadTuple(const Napi::Value& v, const char* what, uint8_t family) {
  nl::CtTuple t;
  if (!Present(v)) return t;
  if (!v.IsObject()) ThrowType(v.Env(), std::string(what) + " must be an object");
  Fields f(v);
  t.src = f.Ip("src");
  t.dst = f.Ip("dst");
  for (const nl::IpAddress* a : {&t.src, &t.dst}) {
    if (!a->empty() && a->family != family) {
      throw Napi::RangeError::New(v.Env(), std::string(what) + " has an address of another family");
    }
  }
  t.src_port = f.U16("srcPort");
  t.dst_port = f.U16("dstPort");
  t.icmp_type = f.U8("icmpType");
  t.icmp_code = f.U8("icmpCode");
  t.icmp_id = f.U16("icmpId");
  return t;
}

// A tuple's 40 bytes of a conntrack record: src, dst (16 each, IPv4 in the first 4), then
// srcPort, dstPort, icmpId (u16) and icmpType, icmpCode (u8); which are present is a bit each
// (1, 2, 16, 4, 8) of `*present`.
void PackTuple(const nl::CtTuple& t, uint8_t* out, uint8_t* present) {
  memcpy(out, t.src.bytes, 16);
  memcpy(out + 16, t.dst.bytes, 16);
  auto u16 = [&](size_t at, const std::optional<uint16_t>& v, uint8_t bit) {
    if (!v) return;
    memcpy(out + at, &*v, 2);
    *present |= bit;
  };
  u16(32, t.src_port, 1);
  u16(34, t.dst_port, 2);
  u16(36, t.icmp_id, 16);
  if (t.icmp_type) {
    out[38] = *t.icmp_type;
    *present |= 4;
  }
  if (t.icmp_code) {
    out[39] = *t.icmp_code;
    *present |= 8;
  }
}

}  // namespace

nl::ConntrackEntry ReadConntrackEntry(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::ConntrackEntry e;
  e.family = Family(f);
  std::optional<uint8_t> protocol = f.U8("protocol");
  if (!protocol) ThrowType(f.Env(), "protocol must be a number");
  e.protocol = *protocol;
  e.original = ReadTuple(f.Get("original"), "original", e.family);
  e.reply = ReadTuple(f.Get("reply"), "reply", e.family);
  e.timeout = f.U32("timeout");
  e.mark = f.U32("mark");
  e.zone = f.U16("zone");
  e.status = f.U32("status").value_or(0);
  e.tcp_state = f.U8("tcpState");
  return e;
}

nl::ConntrackFilter ReadConntrackFilter(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::ConntrackFilter filter;
  filter.family = FamilyOrAny(f);
  filter.mark = f.U32("mark");
  filter.zone = f.U16("zone");
  filter.protocol = f.U8("protocol");
  if (filter.family != AF_UNSPEC) {
    filter.original = ReadTuple(f.Get("original"), "original", filter.family);
    filter.reply = ReadTuple(f.Get("reply"), "reply", filter.family);
  }
  return filter;
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "records are little-endian");

namespace {

nl::CtTuple UnpackTuple(const uint8_t* in, uint8_t family, uint8_t present) {
  nl::CtTuple t;
  for (nl::IpAddress* a : {&t.src, &t.dst}) a->family = family;
  memcpy(t.src.bytes, in, 16);
  memcpy(t.dst.bytes, in + 16, 16);
  auto u16 = [&](size_t at, uint8_t bit) -> std::optional<uint16_t> {
    if (!(present & bit)) return std::nullopt;
    uint16_t v;
    memcpy(&v, in + at, 2);
    return v;
  };
  t.src_port = u16(32, 1);
  t.dst_port = u16(34, 2);
  t.icmp_id = u16(36, 16);
  if (present & 4) t.icmp_type = in[38];
  if (present & 8) t.icmp_code = in[39];
  return t;
}

}  // namespace

nl::ConntrackEntry ReadConntrackRecord(Napi::Value value, BorrowedFds&) {
  if (!value.IsBuffer() || value.As<Napi::Buffer<uint8_t>>().Length() != kConntrackRecordBytes) {
    ThrowType(value.Env(), "expected a conntrack record");
  }
  const uint8_t* in = value.As<Napi::Buffer<uint8_t>>().Data();
  nl::ConntrackEntry e;
  if (in[0] != 4 && in[0] != 6) throw Napi::RangeError::New(value.Env(), "family must be 4 or 6");
  e.family = in[0] == 4 ? AF_INET : AF_INET6;
  e.protocol = in[1];
  e.original = UnpackTuple(in + 24, e.family, in[22]);
  e.reply = UnpackTuple(in + 64, e.family, in[23]);
  if (in[3] & 4) {
    uint16_t zone;
    memcpy(&zone, in + 20, 2);
    e.zone = zone;
  }
  if (in[3] & 8) {
    uint32_t id;
    memcpy(&id, in + 16, 4);
    e.id = id;
  }
  return e;
}

void PackConntrack(const nl::ConntrackEntry& e, uint8_t* out) {
  // Little-endian, the layout lib/conntrack.ts reads: family (4 or 6), protocol, tcpState (255:
  // none), bits of the optional fields (1 timeout, 2 mark, 4 zone, 8 id); status, timeout, mark,
  // id (u32); zone (u16); the two tuples' presence bits; the original and reply tuples.
  memset(out, 0, kConntrackRecordBytes);
  out[0] = static_cast<uint8_t>(FamilyNumber(e.family));
  out[1] = e.protocol;
  out[2] = e.tcp_state.value_or(255);
  auto u32 = [&](size_t at, const std::optional<uint32_t>& v, uint8_t bit) {
    if (!v) return;
    memcpy(out + at, &*v, 4);
    out[3] |= bit;
  };
  u32(4, e.status, 0);
  u32(8, e.timeout, 1);
  u32(12, e.mark, 2);
  u32(16, e.id, 8);
  if (e.zone) {
    memcpy(out + 20, &*e.zone, 2);
    out[3] |= 4;
  }
  PackTuple(e.original, out + 24, &out[22]);
  PackTuple(e.reply, out + 64, &out[23]);
}

Napi::Value WriteConntrackCount(Napi::Env env, const nl::ConntrackCount& count) {
  return Napi::Number::New(env, count.entries);
}

Napi::Value WriteNeighbor(Napi::Env env, const nl::NeighborInfo& n) {
  Napi::Object o = Napi::Object::New(env);
  if (n.family == AF_BRIDGE) {
    o.Set("family", "bridge");
  } else {
    o.Set("family", FamilyNumber(n.family));
  }
  o.Set("dev", n.dev_name);
  o.Set("devIndex", n.dev);
  SetIp(o, "ip", n.ip);
  if (!n.mac.empty()) o.Set("mac", nl::FormatMac(n.mac.data(), n.mac.size()));
  o.Set("state", n.state);
  o.Set("flags", n.flags);
  if (n.vlan != 0) o.Set("vlan", n.vlan);
  return o;
}

Napi::Error ToJsError(Napi::Env env, const nl::Error& error) {
  Napi::Error e =
      Napi::Error::New(env, error.message.empty() ? strerror(error.code) : error.message);
  e.Set("errno", Napi::Number::New(env, error.code));
  e.Set("code", nl::ErrnoName(error.code));
  if (error.from_kernel) e.Set("extack", error.message);
  return e;
}

Napi::Error LibraryError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", code);
  return e;
}

}  // namespace binding
