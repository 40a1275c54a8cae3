#include "convert.h"

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

std::string IfName(Napi::Env env, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ ||
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
    ref.name = IfName(value.Env(), value.As<Napi::String>().Utf8Value());
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
  return spec;
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
  return spec;
}

nl::AddressFilter ReadAddressFilter(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::AddressFilter filter;
  filter.family = FamilyOrAny(f);
  if (auto dev = f.Link("dev")) filter.dev = *dev;
  return filter;
}

nl::RouteSpec ReadRouteSpec(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::RouteSpec spec;
  spec.family = Family(f);
  spec.dst = f.Ip("dst");
  spec.dst_len = static_cast<uint8_t>(f.U32("dstLength", 128).value_or(0));
  spec.via = f.Ip("via");
  if (auto dev = f.Link("dev")) spec.dev = *dev;
  spec.scope = f.U8("scope");
  spec.on_link = f.Bool("onLink");
  spec.table = f.U32("table").value_or(0);
  spec.metric = f.U32("metric");
  spec.src = f.Ip("src");
  spec.from = f.Ip("from");
  spec.protocol = f.U8("protocol");
  spec.type = f.U8("type");
  for (const nl::IpAddress* a : {&spec.dst, &spec.via, &spec.src, &spec.from}) {
    if (!a->empty() && a->family != spec.family) {
      throw Napi::RangeError::New(value.Env(), "route addresses must all be of the route's family");
    }
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
  spec.family = f.Bool("fdb") ? AF_BRIDGE : spec.ip.family;
  if (spec.family == 0) ThrowType(value.Env(), "a neighbour needs an ip");
  return spec;
}

nl::NeighborFilter ReadNeighborFilter(Napi::Value value, BorrowedFds&) {
  Fields f(value);
  nl::NeighborFilter filter;
  filter.family = f.Bool("fdb") ? AF_BRIDGE : FamilyOrAny(f);
  if (auto dev = f.Link("dev")) filter.dev = *dev;
  return filter;
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

Napi::Object WriteTuple(Napi::Env env, const nl::CtTuple& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("src", t.src.ToString());
  o.Set("dst", t.dst.ToString());
  if (t.src_port) o.Set("srcPort", *t.src_port);
  if (t.dst_port) o.Set("dstPort", *t.dst_port);
  if (t.icmp_type) o.Set("icmpType", *t.icmp_type);
  if (t.icmp_code) o.Set("icmpCode", *t.icmp_code);
  if (t.icmp_id) o.Set("icmpId", *t.icmp_id);
  return o;
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
  e.id = f.U32("id");
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

Napi::Value WriteConntrack(Napi::Env env, const nl::ConntrackEntry& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", FamilyNumber(e.family));
  o.Set("protocol", e.protocol);
  o.Set("original", WriteTuple(env, e.original));
  o.Set("reply", WriteTuple(env, e.reply));
  if (e.timeout) o.Set("timeout", *e.timeout);
  if (e.mark) o.Set("mark", *e.mark);
  if (e.zone) o.Set("zone", *e.zone);
  o.Set("status", e.status);
  if (e.tcp_state) o.Set("tcpState", *e.tcp_state);
  if (e.id) o.Set("id", *e.id);
  return o;
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
