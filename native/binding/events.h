// A sandbox's rtnetlink notifications. Its worker opens the socket (so it belongs to the
// namespace for life) and learns the interfaces' names; the JS thread then polls the socket with
// libuv and reads it, so a subscription costs no thread. JS thread only.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

#include "../nl/events.h"
#include "jobs.h"

namespace binding {

class Addon;

class EventStream : public Napi::ObjectWrap<EventStream> {
 public:
  static Napi::Function Define(Napi::Env env);
  // A stream reading `socket`, naming interfaces from `names`.
  static Napi::Value New(Napi::Env env, std::unique_ptr<nl::EventSocket> socket,
                         nl::NameTable names);
  explicit EventStream(const Napi::CallbackInfo& info);
  ~EventStream() override;
  // Env teardown: stops polling and closes the socket.
  void Stop();

 private:
  // start(onEvents): polls the socket; onEvents(events) gets what each readable wake-up read, in
  // order: { type, action, item } per notification, and { type: 'overflow' } where the kernel
  // dropped some (or one could not be read).
  Napi::Value Start(const Napi::CallbackInfo& info);
  // join(groups): joins more groups (nl::EventGroup bits).
  Napi::Value Join(const Napi::CallbackInfo& info);
  // learn(indexes, names): names learnt from a fresh link list (after an overflow).
  Napi::Value Learn(const Napi::CallbackInfo& info);
  // keepAlive(yes): whether the open stream keeps the event loop alive (someone is waiting).
  Napi::Value KeepAlive(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* poll, int status, int events);
  void Read();
  Napi::Value ToEvent(Napi::Env env, const nlmsghdr* nlh);

  // The libuv handle and the socket it polls, freed together by the handle's close callback (the
  // fd stays open until libuv is done with it).
  struct Poller {
    uv_poll_t handle;
    std::unique_ptr<nl::EventSocket> socket;
  };

  Addon* addon_;
  Poller* poller_ = nullptr;  // null once closed
  nl::NameTable names_;
  Napi::FunctionReference on_events_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
};

// Opens a sandbox's event socket on its worker: joins `groups`, then dumps the links for their
// names (in that order, so no interface is missed). Resolves to an EventStream.
class OpenEventsJob final : public JsJob {
 public:
  OpenEventsJob(Napi::Env env, SandboxHandle* owner, uint32_t groups)
      : JsJob(env, owner), groups_(groups) {}
  bool exclusive() const override { return true; }
  void Run(ns::Context& ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  uint32_t groups_;
  std::unique_ptr<nl::EventSocket> socket_;
  nl::NameTable names_;
};

}  // namespace binding
