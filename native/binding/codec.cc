#include "codec.h"

#include "../nl/socket.h"
#include "convert.h"

namespace binding {

namespace {

// Outside a namespace only indexes can be encoded; names would need a lookup.
class IndexOnly : public nl::IndexResolver {
 public:
  int32_t IndexOf(const nl::LinkRef& ref, nl::Error* error) override {
    if (ref.index == 0) *error = nl::Error{ENODEV, "names need a namespace to resolve"};
    return ref.index;
  }
};

int NoNamespaceFd(Napi::Env env, Napi::Value, BorrowedFds&) {
  throw Napi::TypeError::New(env, "the codec encodes no namespace references");
}

Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string op = info[0].ToString().Utf8Value();
  if (!info[1].IsObject()) throw Napi::TypeError::New(env, "spec must be an object");
  Napi::Object spec = info[1].As<Napi::Object>();
  IndexOnly resolver;
  BorrowedFds fds;
  nl::Error error;
  std::vector<uint8_t> message;
  if (op == "createLink") {
    message = nl::BuildCreateLink(ToLinkSpec(spec, fds, NoNamespaceFd), resolver, &error);
  } else if (op == "changeLink") {
    message = nl::BuildChangeLink(ToLinkSpec(spec, fds, NoNamespaceFd), resolver, &error);
  } else if (op == "addAddress" || op == "deleteAddress") {
    message = nl::BuildAddress(op == "addAddress" ? RTM_NEWADDR : RTM_DELADDR, ToAddressSpec(spec),
                               resolver, &error);
  } else if (op == "addRoute" || op == "replaceRoute" || op == "deleteRoute" || op == "routeGet") {
    nl::RouteOp route_op = op == "addRoute"       ? nl::RouteOp::kAdd
                           : op == "replaceRoute" ? nl::RouteOp::kReplace
                           : op == "deleteRoute"  ? nl::RouteOp::kDelete
                                                  : nl::RouteOp::kGet;
    message = nl::BuildRoute(route_op, ToRouteSpec(spec), resolver, &error);
  } else if (op == "addNeighbor" || op == "deleteNeighbor") {
    message = nl::BuildNeighbor(op == "addNeighbor" ? RTM_NEWNEIGH : RTM_DELNEIGH,
                                ToNeighborSpec(spec), resolver, &error);
  } else {
    throw Napi::RangeError::New(env, "unknown operation " + op);
  }
  if (error) throw ToJsError(env, error);
  return Napi::Buffer<uint8_t>::Copy(env, message.data(), message.size());
}

template <typename Info>
bool TryDecode(Napi::Env env, const nlmsghdr* nlh, const char* kind, Napi::Array& out,
               bool (*parse)(const nlmsghdr*, Info*)) {
  Info info;
  if (!parse(nlh, &info)) return false;
  Napi::Object o = ToJs(env, info, "");
  o.Set("message", kind);
  out.Set(out.Length(), o);
  return true;
}

// Decodes concatenated messages; unknown types come back as { message: 'unknown', type }.
Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "expected a Buffer");
  auto buffer = info[0].As<Napi::Buffer<uint8_t>>();
  std::vector<uint8_t> bytes(buffer.Data(), buffer.Data() + buffer.Length());
  Napi::Array out = Napi::Array::New(env);
  nl::ForEachMessage(bytes, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      nl::Error e = nl::ParseAck(nlh);
      Napi::Object o = Napi::Object::New(env);
      o.Set("message", "ack");
      o.Set("errno", e.code);
      if (e.from_kernel) o.Set("extack", e.message);
      out.Set(out.Length(), o);
      return;
    }
    if (TryDecode(env, nlh, "link", out, nl::ParseLink) ||
        TryDecode(env, nlh, "address", out, nl::ParseAddress) ||
        TryDecode(env, nlh, "route", out, nl::ParseRoute) ||
        TryDecode(env, nlh, "neighbor", out, nl::ParseNeighbor)) {
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("message", "unknown");
    o.Set("type", nlh->nlmsg_type);
    out.Set(out.Length(), o);
  });
  return out;
}

}  // namespace

Napi::Object DefineCodec(Napi::Env env) {
  Napi::Object codec = Napi::Object::New(env);
  codec.Set("encode", Napi::Function::New(env, Encode));
  codec.Set("decode", Napi::Function::New(env, Decode));
  return codec;
}

}  // namespace binding
