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

std::string Str(const Napi::Value& v, const char* key) {
  if (!v.IsString()) ThrowType(v.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// A reader of one spec object: each method looks its key up once.
class Fields {
 public:
  explicit Fields(Napi::Object o) : o_(o) {}
  Napi::Env Env() const { return o_.Env(); }
  Napi::Value Get(const char* key) const { return o_.Get(key); }
  std::optional<uint32_t> U32(const char* key, uint32_t max = UINT32_MAX) const {
    Napi::Value v = o_.Get(key);
    if (!Present(v)) return std::nullopt;
    return binding::U32(v, key, max);
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
    return ToLinkRef(v);
  }

 private:
  Napi::Object o_;
};

uint8_t Family(const Fields& f) {
  uint32_t family = f.U32("family", 6).value_or(0);
  if (family != 4 && family != 6) throw Napi::RangeError::New(f.Env(), "family must be 4 or 6");
  return family == 4 ? AF_INET : AF_INET6;
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
  Fields f(o);
  Napi::Env env = o.Env();
  nl::LinkSpec spec;
  if (auto target = f.Link("target")) spec.target = *target;
  if (auto name = f.Str("name")) spec.name = IfName(env, *name);
  if (auto kind = f.Str("kind")) spec.kind = *kind;
  spec.mtu = f.U32("mtu");
  spec.mac = f.Mac("mac");
  if (Napi::Value up = f.Get("up"); Present(up)) spec.up = up.ToBoolean().Value();
  if (o.Has("master")) {  // null detaches, a name or index attaches
    spec.set_master = true;
    if (auto master = f.Link("master")) spec.master = *master;
  }
  if (Napi::Value netns = f.Get("netns"); Present(netns)) spec.netns_fd = fd_of(env, netns, fds);
  if (auto parent = f.Link("parent")) spec.parent = *parent;
  if (Napi::Value peer_value = f.Get("peer"); Present(peer_value)) {
    Fields peer(peer_value.As<Napi::Object>());
    spec.peer.name = IfName(env, peer.Str("name").value_or(""));
    if (Napi::Value netns = peer.Get("netns"); Present(netns))
      spec.peer.netns_fd = fd_of(env, netns, fds);
    spec.peer.mtu = peer.U32("mtu");
    spec.peer.mac = peer.Mac("mac");
  }
  spec.macvlan_mode = f.U32("macvlanMode").value_or(0);
  spec.vlan_id = static_cast<uint16_t>(f.U32("vlanId", 4094).value_or(0));
  if (Napi::Value vxlan = f.Get("vxlan"); Present(vxlan)) {
    Fields v(vxlan.As<Napi::Object>());
    spec.vxlan.vni = v.U32("vni", (1 << 24) - 1).value_or(0);
    spec.vxlan.port = static_cast<uint16_t>(v.U32("port", 65535).value_or(0));
    spec.vxlan.local = v.Ip("local");
    spec.vxlan.remote = v.Ip("remote");
    if (auto parent = v.Link("parent")) spec.vxlan.parent = *parent;
    if (Napi::Value learning = v.Get("learning"); Present(learning))
      spec.vxlan.learning = learning.ToBoolean().Value();
  }
  return spec;
}

nl::AddressSpec ToAddressSpec(Napi::Object o) {
  Fields f(o);
  nl::AddressSpec spec;
  spec.link = ToLinkRef(f.Get("link"));
  spec.local = f.Ip("local");
  if (spec.local.empty()) ThrowType(o.Env(), "local is required");
  spec.prefix_len = static_cast<uint8_t>(
      f.U32("prefixLength", spec.local.size() * 8).value_or(spec.local.size() * 8));
  spec.peer = f.Ip("peer");
  spec.broadcast = f.Ip("broadcast");
  if (auto scope = f.U32("scope", 255)) spec.scope = static_cast<uint8_t>(*scope);
  spec.no_dad = f.Bool("noDad");
  return spec;
}

nl::RouteSpec ToRouteSpec(Napi::Object o) {
  Fields f(o);
  nl::RouteSpec spec;
  spec.family = Family(f);
  spec.dst = f.Ip("dst");
  spec.dst_len = static_cast<uint8_t>(f.U32("dstLength", 128).value_or(0));
  spec.gateway = f.Ip("gateway");
  if (auto dev = f.Link("dev")) spec.dev = *dev;
  if (auto scope = f.U32("scope", 255)) spec.scope = static_cast<uint8_t>(*scope);
  spec.on_link = f.Bool("onLink");
  spec.table = f.U32("table").value_or(0);
  spec.metric = f.U32("metric");
  spec.prefsrc = f.Ip("src");
  if (auto protocol = f.U32("protocol", 255)) spec.protocol = static_cast<uint8_t>(*protocol);
  if (auto type = f.U32("type", 255)) spec.type = static_cast<uint8_t>(*type);
  for (const nl::IpAddress* a : {&spec.dst, &spec.gateway, &spec.prefsrc}) {
    if (!a->empty() && a->family != spec.family) {
      throw Napi::RangeError::New(o.Env(), "route addresses must all be of the route's family");
    }
  }
  return spec;
}

nl::NeighborSpec ToNeighborSpec(Napi::Object o) {
  Fields f(o);
  nl::NeighborSpec spec;
  spec.dev = ToLinkRef(f.Get("dev"));
  spec.ip = f.Ip("ip");
  spec.mac = f.Mac("mac");
  spec.permanent = f.Bool("permanent");
  spec.family = f.Bool("fdb") ? AF_BRIDGE : spec.ip.family;
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
  if (!r.src.empty()) o.Set("from", r.src.ToString() + "/" + std::to_string(r.src_len));
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
