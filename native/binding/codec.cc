#include "codec.h"

#include "../nl/socket.h"
#include "convert.h"
#include "operations.h"

namespace binding {

namespace {

// Outside a namespace only indexes can be encoded. Decoded interfaces are named if<index>, or
// from the names a test passes ({ index: name }; an index missing there is an interface gone).
class IndexOnly : public nl::LinkResolver {
 public:
  explicit IndexOnly(Napi::Value names = Napi::Value()) : names_(names) {}
  int32_t IndexOf(const nl::LinkRef& ref, nl::Error* error) override {
    if (ref.index == 0) *error = nl::Error{ENODEV, "names need a namespace to resolve"};
    return ref.index;
  }
  std::string NameOf(int32_t index) override {
    if (!names_.IsObject()) return "if" + std::to_string(index);
    Napi::Value name = names_.As<Napi::Object>().Get(std::to_string(index));
    return name.IsString() ? name.As<Napi::String>().Utf8Value() : "";
  }

 private:
  Napi::Value names_;
};

// encode(op, spec): the request message of any operation of the table.
Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].ToString().Utf8Value();
  for (const Operation& op : Operations()) {
    if (name != op.name) continue;
    IndexOnly resolver;
    nl::Error error;
    std::vector<uint8_t> message = op.encode(info[1], resolver, &error);
    if (error) throw ToJsError(env, error);
    return Napi::Buffer<uint8_t>::Copy(env, message.data(), message.size());
  }
  throw Napi::RangeError::New(env, "unknown operation " + name);
}

template <typename Info>
bool TryDecode(Napi::Env env, const nlmsghdr* nlh, const char* kind, Napi::Array& out,
               nl::LinkResolver& resolver, Parser<Info> parse, Writer<Info> write) {
  Info info;
  if (!parse(nlh, resolver, &info)) return false;
  Napi::Object o = write(env, info).template As<Napi::Object>();
  o.Set("message", kind);
  out.Set(out.Length(), o);
  return true;
}

// A conntrack entry as its dump delivers it: { message: 'conntrack', record } (lib/conntrack.ts
// decodes the record).
Napi::Value WriteConntrackRecord(Napi::Env env, const nl::ConntrackEntry& entry) {
  Napi::Object o = Napi::Object::New(env);
  auto record = Napi::Buffer<uint8_t>::New(env, kConntrackRecordBytes);
  PackConntrack(entry, record.Data());
  o.Set("record", record);
  return o;
}

// decode(buffer, names?): concatenated messages by message type; unknown types, and entries
// whose interface is gone, come back as { message: 'unknown', type }.
Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "expected a Buffer");
  auto buffer = info[0].As<Napi::Buffer<uint8_t>>();
  std::vector<uint8_t> bytes(buffer.Data(), buffer.Data() + buffer.Length());
  Napi::Array out = Napi::Array::New(env);
  IndexOnly resolver(info[1]);
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
    if (TryDecode(env, nlh, "link", out, resolver, nl::ParseLink, WriteLink) ||
        TryDecode(env, nlh, "address", out, resolver, nl::ParseAddress, WriteAddress) ||
        TryDecode(env, nlh, "route", out, resolver, nl::ParseRoute, WriteRoute) ||
        TryDecode(env, nlh, "neighbor", out, resolver, nl::ParseNeighbor, WriteNeighbor) ||
        TryDecode(env, nlh, "rule", out, resolver, nl::ParseRule, WriteRule) ||
        TryDecode(env, nlh, "nexthop", out, resolver, nl::ParseNexthop, WriteNexthop) ||
        TryDecode(env, nlh, "conntrack", out, resolver, nl::ParseConntrack, WriteConntrackRecord)) {
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("message", "unknown");
    o.Set("type", nlh->nlmsg_type);
    out.Set(out.Length(), o);
  });
  return out;
}

// The table as data, for lib/native.ts's generated types and the test that checks them.
Napi::Value DescribeOperations(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env);
  for (const Operation& op : Operations()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", op.name);
    o.Set("protocol", op.protocol);
    o.Set("dump", op.dump);
    o.Set("spec", op.spec_type);
    o.Set("result", op.result_type);
    out.Set(out.Length(), o);
  }
  return out;
}

}  // namespace

Napi::Object DefineCodec(Napi::Env env) {
  Napi::Object codec = Napi::Object::New(env);
  codec.Set("encode", Napi::Function::New(env, Encode));
  codec.Set("decode", Napi::Function::New(env, Decode));
  codec.Set("operations", DescribeOperations(env));
  return codec;
}

}  // namespace binding
