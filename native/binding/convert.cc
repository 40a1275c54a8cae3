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

bool Has(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

uint32_t U32(Napi::Object o, const char* key, uint32_t max = UINT32_MAX) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) ThrowType(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > max || d != static_cast<double>(static_cast<uint64_t>(d))) {
    throw Napi::RangeError::New(o.Env(), std::string(key) + " is out of range");
  }
  return static_cast<uint32_t>(d);
}

std::string Str(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) ThrowType(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool Bool(Napi::Object o, const char* key) { return o.Get(key).ToBoolean().Value(); }

nl::IpAddress Ip(Napi::Object o, const char* key) {
  nl::IpAddress a;
  if (Has(o, key) && !nl::IpAddress::Parse(Str(o, key), &a)) {
    ThrowType(o.Env(), std::string(key) + " is not an IP address");
  }
  return a;
}

std::vector<uint8_t> Mac(Napi::Object o, const char* key) {
  std::vector<uint8_t> mac;
  if (Has(o, key) && !nl::ParseMac(Str(o, key), &mac)) {
    ThrowType(o.Env(), std::string(key) + " is not a MAC address");
  }
  return mac;
}

uint8_t Family(Napi::Object o) {
  uint32_t f = U32(o, "family", 6);
  if (f != 4 && f != 6) throw Napi::RangeError::New(o.Env(), "family must be 4 or 6");
  return f == 4 ? AF_INET : AF_INET6;
}

std::string IfName(Napi::Env env, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find_first_of(std::string("/\0", 2)) != std::string::npos) {
    throw Napi::RangeError::New(env, "invalid interface name '" + name + "'");
  }
  return name;
}

void SetIp(Napi::Object o, const char* key, const nl::IpAddress& a) {
  if (!a.empty()) o.Set(key, a.ToString());
}

int FamilyNumber(uint8_t family) {
  return family == AF_INET ? 4 : family == AF_INET6 ? 6 : family;
}

}  // namespace

BorrowedFds::~BorrowedFds() {
  for (int fd : fds_) close(fd);
}

int BorrowedFds::Dup(Napi::Env env, int fd) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw LibraryError(env, "ERR_SANDBOX_CLOSED", "the other sandbox is closed");
  fds_.push_back(copy);
  return copy;
}

nl::LinkRef ToLinkRef(Napi::Value value) {
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

nl::LinkSpec ToLinkSpec(Napi::Object o, BorrowedFds& fds, NamespaceFdOf fd_of) {
  Napi::Env env = o.Env();
  nl::LinkSpec spec;
  if (Has(o, "target")) spec.target = ToLinkRef(o.Get("target"));
  if (Has(o, "name")) spec.name = IfName(env, Str(o, "name"));
  if (Has(o, "kind")) spec.kind = Str(o, "kind");
  if (Has(o, "mtu")) spec.mtu = U32(o, "mtu");
  spec.mac = Mac(o, "mac");
  if (Has(o, "up")) spec.up = Bool(o, "up");
  if (o.Has("master")) {  // null detaches, a name or index attaches
    spec.set_master = true;
    if (Has(o, "master")) spec.master = ToLinkRef(o.Get("master"));
  }
  if (Has(o, "netns")) spec.netns_fd = fd_of(env, o.Get("netns"), fds);
  if (Has(o, "parent")) spec.parent = ToLinkRef(o.Get("parent"));
  if (Has(o, "peer")) {
    Napi::Object peer = o.Get("peer").As<Napi::Object>();
    spec.peer.name = IfName(env, Str(peer, "name"));
    if (Has(peer, "netns")) spec.peer.netns_fd = fd_of(env, peer.Get("netns"), fds);
    if (Has(peer, "mtu")) spec.peer.mtu = U32(peer, "mtu");
    spec.peer.mac = Mac(peer, "mac");
  }
  if (Has(o, "macvlanMode")) spec.macvlan_mode = U32(o, "macvlanMode");
  if (Has(o, "vlanId")) spec.vlan_id = static_cast<uint16_t>(U32(o, "vlanId", 4094));
  if (Has(o, "vxlan")) {
    Napi::Object v = o.Get("vxlan").As<Napi::Object>();
    spec.vxlan.vni = U32(v, "vni", (1 << 24) - 1);
    if (Has(v, "port")) spec.vxlan.port = static_cast<uint16_t>(U32(v, "port", 65535));
    spec.vxlan.local = Ip(v, "local");
    spec.vxlan.remote = Ip(v, "remote");
    if (Has(v, "parent")) spec.vxlan.parent = ToLinkRef(v.Get("parent"));
    if (Has(v, "learning")) spec.vxlan.learning = Bool(v, "learning");
  }
  return spec;
}

nl::AddressSpec ToAddressSpec(Napi::Object o) {
  nl::AddressSpec spec;
  spec.link = ToLinkRef(o.Get("link"));
  spec.local = Ip(o, "local");
  if (spec.local.empty()) ThrowType(o.Env(), "local is required");
  spec.prefix_len = static_cast<uint8_t>(U32(o, "prefixLength", spec.local.size() * 8));
  spec.peer = Ip(o, "peer");
  spec.broadcast = Ip(o, "broadcast");
  if (Has(o, "scope")) spec.scope = static_cast<uint8_t>(U32(o, "scope", 255));
  spec.no_dad = Bool(o, "noDad");
  return spec;
}

nl::RouteSpec ToRouteSpec(Napi::Object o) {
  nl::RouteSpec spec;
  spec.family = Family(o);
  spec.dst = Ip(o, "dst");
  if (Has(o, "dstLength")) spec.dst_len = static_cast<uint8_t>(U32(o, "dstLength", 128));
  spec.gateway = Ip(o, "gateway");
  if (Has(o, "dev")) spec.dev = ToLinkRef(o.Get("dev"));
  if (Has(o, "scope")) spec.scope = static_cast<uint8_t>(U32(o, "scope", 255));
  spec.on_link = Bool(o, "onLink");
  if (Has(o, "table")) spec.table = U32(o, "table");
  if (Has(o, "metric")) spec.metric = U32(o, "metric");
  spec.prefsrc = Ip(o, "src");
  if (Has(o, "protocol")) spec.protocol = static_cast<uint8_t>(U32(o, "protocol", 255));
  if (Has(o, "type")) spec.type = static_cast<uint8_t>(U32(o, "type", 255));
  for (const nl::IpAddress* a : {&spec.dst, &spec.gateway, &spec.prefsrc}) {
    if (!a->empty() && a->family != spec.family) {
      throw Napi::RangeError::New(o.Env(), "route addresses must all be of the route's family");
    }
  }
  return spec;
}

nl::NeighborSpec ToNeighborSpec(Napi::Object o) {
  nl::NeighborSpec spec;
  spec.dev = ToLinkRef(o.Get("dev"));
  spec.ip = Ip(o, "ip");
  spec.mac = Mac(o, "mac");
  spec.permanent = Bool(o, "permanent");
  spec.family = Bool(o, "fdb") ? AF_BRIDGE : spec.ip.family;
  if (spec.family == 0) ThrowType(o.Env(), "a neighbour needs an ip");
  return spec;
}

Napi::Object ToJs(Napi::Env env, const nl::LinkInfo& link, const std::string& master_name) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", link.index);
  o.Set("name", link.name);
  o.Set("kind", link.kind);
  o.Set("mtu", link.mtu);
  o.Set("mac", nl::FormatMac(link.mac.data(), link.mac.size()));
  o.Set("flags", link.flags);
  o.Set("operState", link.operstate);
  o.Set("master", link.master);
  if (!master_name.empty()) o.Set("masterName", master_name);
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

Napi::Object ToJs(Napi::Env env, const nl::AddressInfo& a, const std::string& dev) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", FamilyNumber(a.family));
  o.Set("address", a.local.ToString());
  o.Set("prefixLength", a.prefix_len);
  o.Set("scope", a.scope);
  o.Set("flags", a.flags);
  o.Set("index", a.index);
  o.Set("dev", dev);
  SetIp(o, "peer", a.peer);
  SetIp(o, "broadcast", a.broadcast);
  if (!a.label.empty()) o.Set("label", a.label);
  return o;
}

Napi::Object ToJs(Napi::Env env, const nl::RouteInfo& r, const std::string& dev) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", FamilyNumber(r.family));
  o.Set("dst", r.dst.empty() && r.dst_len == 0
                   ? std::string("default")
                   : (r.dst.empty() ? std::string(r.family == AF_INET ? "0.0.0.0" : "::")
                                    : r.dst.ToString()) +
                         "/" + std::to_string(r.dst_len));
  SetIp(o, "gateway", r.gateway);
  SetIp(o, "src", r.prefsrc);
  if (r.oif != 0) o.Set("oif", r.oif);
  if (!dev.empty()) o.Set("dev", dev);
  o.Set("table", r.table);
  o.Set("metric", r.metric);
  o.Set("protocol", r.protocol);
  o.Set("scope", r.scope);
  o.Set("type", r.type);
  o.Set("flags", r.flags);
  return o;
}

Napi::Object ToJs(Napi::Env env, const nl::NeighborInfo& n, const std::string& dev) {
  Napi::Object o = Napi::Object::New(env);
  if (n.family == AF_BRIDGE) {
    o.Set("family", "bridge");
  } else {
    o.Set("family", FamilyNumber(n.family));
  }
  o.Set("index", n.index);
  o.Set("dev", dev);
  SetIp(o, "ip", n.ip);
  if (!n.mac.empty()) o.Set("mac", nl::FormatMac(n.mac.data(), n.mac.size()));
  o.Set("state", n.state);
  o.Set("flags", n.flags);
  return o;
}

Napi::Error ToJsError(Napi::Env env, const nl::Error& error) {
  Napi::Error e = Napi::Error::New(env, error.message.empty() ? strerror(error.code) : error.message);
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
