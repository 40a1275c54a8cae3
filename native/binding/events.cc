#include "events.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "addon.h"
#include "convert.h"

namespace binding {

namespace {

// Datagrams read per wake-up before other I/O gets its turn (libuv calls again while more wait).
constexpr int kDatagramsPerTurn = 1024;

const char* TypeName(nl::EventKind kind) {
  switch (kind) {
    case nl::EventKind::kLink:
      return "link";
    case nl::EventKind::kAddress:
      return "address";
    case nl::EventKind::kRoute:
      return "route";
    case nl::EventKind::kNeighbor:
      return "neighbor";
    default:
      return "other";
  }
}

// Bridge ports repeat their link notifications as AF_BRIDGE messages (`bridge monitor` prints
// them); `ip monitor link` and a link list show the link once.
bool IsBridgePortEcho(const nlmsghdr* nlh) {
  return mnl_nlmsg_get_payload_len(nlh) >= sizeof(ifinfomsg) &&
         static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh))->ifi_family == AF_BRIDGE;
}

}  // namespace

Napi::Function EventStream::Define(Napi::Env env) {
  return DefineClass(env, "EventStream",
                     {
                         InstanceMethod<&EventStream::Start>("start"),
                         InstanceMethod<&EventStream::Join>("join"),
                         InstanceMethod<&EventStream::Learn>("learn"),
                         InstanceMethod<&EventStream::KeepAlive>("keepAlive"),
                         InstanceMethod<&EventStream::Close>("close"),
                     });
}

namespace {
struct Pending {
  std::unique_ptr<nl::EventSocket> socket;
  nl::NameTable names;
};
}  // namespace

Napi::Value EventStream::New(Napi::Env env, std::unique_ptr<nl::EventSocket> socket,
                             nl::NameTable names) {
  Pending pending{std::move(socket), std::move(names)};
  return Addon::Of(env)->event_stream.New({Napi::External<Pending>::New(env, &pending)});
}

EventStream::EventStream(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<EventStream>(info), addon_(Addon::Of(info.Env())) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "not constructible");
  Pending* pending = info[0].As<Napi::External<Pending>>().Data();
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(info.Env(), &loop);
  auto poller = std::make_unique<Poller>();
  if (uv_poll_init(loop, &poller->handle, pending->socket->fd()) != 0) {
    throw Napi::Error::New(info.Env(), "cannot poll the event socket");
  }
  poller->handle.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&poller->handle));  // until someone waits
  poller->socket = std::move(pending->socket);
  names_ = std::move(pending->names);
  poller_ = poller.release();
  addon_->streams.insert(this);
}

EventStream::~EventStream() {
  Stop();  // garbage collected without close(), or env teardown
  addon_->streams.erase(this);
}

void EventStream::Stop() {
  if (poller_ == nullptr) return;
  uv_poll_stop(&poller_->handle);
  poller_->handle.data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&poller_->handle), [](uv_handle_t* handle) {
    delete reinterpret_cast<Poller*>(handle);  // handle is Poller's first member; closes the fd
  });
  poller_ = nullptr;
}

Napi::Value EventStream::Start(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "start(onEvents)");
  if (poller_ == nullptr) throw LibraryError(info.Env(), "ERR_EVENTS_CLOSED", "closed");
  on_events_ = Napi::Persistent(info[0].As<Napi::Function>());
  async_context_ = std::make_unique<Napi::AsyncContext>(info.Env(), "netsandbox.events");
  uv_poll_start(&poller_->handle, UV_READABLE, OnReadable);
  return info.Env().Undefined();
}

Napi::Value EventStream::Join(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "join(groups)");
  if (poller_ == nullptr) throw LibraryError(info.Env(), "ERR_EVENTS_CLOSED", "closed");
  nl::Error error = poller_->socket->Join(info[0].As<Napi::Number>().Uint32Value());
  if (error) throw ToJsError(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value EventStream::Learn(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray() || !info[1].IsArray()) {
    throw Napi::TypeError::New(info.Env(), "learn(indexes, names)");
  }
  Napi::Array indexes = info[0].As<Napi::Array>();
  Napi::Array names = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < indexes.Length() && i < names.Length(); i++) {
    names_.Learn(indexes.Get(i).As<Napi::Number>().Int32Value(),
                 names.Get(i).As<Napi::String>().Utf8Value());
  }
  return info.Env().Undefined();
}

Napi::Value EventStream::KeepAlive(const Napi::CallbackInfo& info) {
  if (poller_ != nullptr) {
    auto* handle = reinterpret_cast<uv_handle_t*>(&poller_->handle);
    if (info[0].ToBoolean()) {
      uv_ref(handle);
    } else {
      uv_unref(handle);
    }
  }
  return info.Env().Undefined();
}

Napi::Value EventStream::Close(const Napi::CallbackInfo& info) {
  Stop();
  on_events_.Reset();  // lets lib/'s hub be collected
  return info.Env().Undefined();
}

void EventStream::OnReadable(uv_poll_t* poll, int status, int) {
  auto* stream = static_cast<EventStream*>(poll->data);
  if (stream == nullptr) return;
  stream->Read();
  // libuv stops a poll handle whose socket reports an error (POLLERR, which a netlink socket
  // raises when the kernel dropped notifications). Read() consumed the error: poll again, unless
  // the stream was closed meanwhile (then data is null; the handle lives until its close
  // callback, so it may still be looked at).
  if (status < 0 && poll->data != nullptr) uv_poll_start(poll, UV_READABLE, OnReadable);
}

Napi::Value EventStream::ToEvent(Napi::Env env, const nlmsghdr* nlh) {
  bool removed = false;
  nl::EventKind kind = nl::KindOf(nlh, &removed);
  Napi::Value item;
  bool parsed = false;
  switch (kind) {
    case nl::EventKind::kLink: {
      if (IsBridgePortEcho(nlh)) return Napi::Value();
      nl::LinkInfo link;
      parsed = nl::ParseLink(nlh, names_, &link);
      if (parsed) {
        names_.Learn(link.index, link.name);  // kept after a removal: later messages name it
        item = WriteLink(env, link);
      }
      break;
    }
    case nl::EventKind::kAddress: {
      nl::AddressInfo address;
      parsed = nl::ParseAddress(nlh, names_, &address);
      if (parsed) item = WriteAddress(env, address);
      break;
    }
    case nl::EventKind::kRoute: {
      nl::RouteInfo route;
      parsed = nl::ParseRoute(nlh, names_, &route);
      if (parsed) item = WriteRoute(env, route);
      break;
    }
    case nl::EventKind::kNeighbor: {
      nl::NeighborInfo neighbor;
      parsed = nl::ParseNeighbor(nlh, names_, &neighbor);
      if (parsed) item = WriteNeighbor(env, neighbor);
      break;
    }
    default:
      return Napi::Value();  // not ours (NLMSG_NOOP, other groups' types)
  }
  Napi::Object event = Napi::Object::New(env);
  // A notification that can't be read (malformed, or naming an interface never seen) is lost
  // like a dropped one: the reader resynchronises rather than miss it silently.
  event.Set("type", parsed ? TypeName(kind) : "overflow");
  if (parsed) {
    event.Set("action", removed ? "delete" : "new");
    event.Set("item", item);
  }
  return event;
}

void EventStream::Read() {
  Napi::Env env = Env();
  // A libuv callback runs under no handle scope of its own: this one also covers the catch.
  Napi::HandleScope scope(env);
  try {
    Napi::Array events = Napi::Array::New(env);
    uint32_t count = 0;
    for (int i = 0; i < kDatagramsPerTurn && poller_ != nullptr; i++) {
      ssize_t n = poller_->socket->Receive();
      if (n == 0) break;
      if (n < 0) {  // ENOBUFS: the kernel dropped some; anything else: this read failed
        Napi::Object overflow = Napi::Object::New(env);
        overflow.Set("type", "overflow");
        events.Set(count++, overflow);
        if (n != -ENOBUFS) break;
        continue;
      }
      nl::ForEachMessage(poller_->socket->data(), static_cast<size_t>(n), [&](const nlmsghdr* nlh) {
        Napi::Value event = ToEvent(env, nlh);
        if (!event.IsEmpty()) events.Set(count++, event);
      });
    }
    if (count == 0 || on_events_.IsEmpty()) return;
    // In a callback scope, so the promises it settles run their reactions before libuv goes on.
    on_events_.MakeCallback(Value(), {events}, *async_context_);
  } catch (const Napi::Error& e) {
    // lib/'s handler threw (a bug): an uncaught exception, never an unwind into libuv. During
    // env teardown that fails too, and there is nobody left to tell.
    try {
      napi_fatal_exception(env, e.Value());
    } catch (...) {
    }
  } catch (const std::exception&) {
    // Env teardown: nobody is left to tell.
  }
}

void OpenEventsJob::Run(ns::Context& ctx) {
  socket_ = nl::EventSocket::Open(&error);
  if (socket_ == nullptr) return;
  error = socket_->Join(groups_);
  if (error) return;
  // After joining: an interface made from here on is in a notification, the rest in the dump.
  nl::Socket* socket = ctx.SocketFor(NETLINK_ROUTE, &error);
  if (socket == nullptr) return;
  std::vector<uint8_t> request = nl::BuildDumpLinks({}, ctx, &error);
  if (error) return;
  nl::DumpResult result;
  bool socket_failed = false;
  error = socket->Dump(request, &result, &socket_failed);
  if (socket_failed) ctx.DropSocket(NETLINK_ROUTE);
  if (error) return;
  nl::ForEachMessage(result.messages, [&](const nlmsghdr* nlh) {
    nl::LinkInfo link;
    if (nl::ParseLink(nlh, ctx, &link)) names_.Learn(link.index, link.name);
  });
}

Napi::Value OpenEventsJob::Result(Napi::Env env) {
  return EventStream::New(env, std::move(socket_), std::move(names_));
}

}  // namespace binding
