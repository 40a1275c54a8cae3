// SandboxHandle: the JS object behind a Sandbox. It owns the namespace's worker and fd. JS
// thread only, except where a comment says otherwise.
#pragma once

#include <napi.h>

#include <memory>

#include "../ns/worker.h"
#include "jobs.h"

namespace binding {

class Addon;

class SandboxHandle : public Napi::ObjectWrap<SandboxHandle> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SandboxHandle(const Napi::CallbackInfo& info);
  ~SandboxHandle() override;

  // A dup of the namespace fd of the SandboxHandle in `handle`, for a request of another sandbox
  // (veth peer, move); ERR_SANDBOX_CLOSED when it is closed.
  static int BorrowNamespaceFd(Napi::Env env, Napi::Value handle);
  // For the codec, which encodes no namespace references.
  static int RefuseNamespaceFd(Napi::Env env, Napi::Value handle);

  // Called by jobs as they settle.
  void OnEntered(int fd);
  void OnClosed();
  void OnSettled();
  // Env teardown: stop the worker now, dropping what is queued.
  void Abandon();

 private:
  enum class State { kNew, kEntering, kOpen, kClosing, kClosed };

  Napi::Value Enter(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  // submit(ops: Uint8Array, specs: unknown[], settle, progress): queues the netlink requests lib/
  // made in one turn of the event loop, in order, with one crossing. ops[i] is a row of the
  // operation table; settle(first, outcomes) is called once per delivery with consecutive slots'
  // outcomes; progress(slot, piece) with a running dump's pieces (see Batch).
  Napi::Value SubmitBatch(const Napi::CallbackInfo& info);
  // readDump(cursor, start, count): items [start, start + count) of a dump's outcome or piece, as
  // objects; reading the last one frees the rest.
  Napi::Value ReadDump(const Napi::CallbackInfo& info);
  Napi::Value Sysctl(const Napi::CallbackInfo& info);
  Napi::Value SysctlList(const Napi::CallbackInfo& info);
  // openEvents(groups): an EventStream of the namespace's notifications (nl::EventGroup bits).
  Napi::Value OpenEvents(const Napi::CallbackInfo& info);
  // openSocket({ family: 4 | 6, type: 'tcp' | 'udp', bind?, address?, port?, backlog? }): the
  // descriptor of a socket made in the namespace (see ns::OpenSocket).
  Napi::Value OpenSocket(const Napi::CallbackInfo& info);
  // createTun({ name, mode: 'tun' | 'tap', multiQueue?, user?, group? }): resolves to undefined.
  Napi::Value CreateTun(const Napi::CallbackInfo& info);

  // Queues a job, or rejects it at once when the sandbox is not open.
  Napi::Value Submit(Napi::Env env, std::unique_ptr<JsJob> job, bool allowed);

  Addon* addon_;
  std::unique_ptr<ns::Worker> worker_;
  State state_ = State::kNew;
  int ns_fd_ = -1;
  size_t pending_ = 0;  // jobs queued or running; while > 0 the JS object is kept alive
};

}  // namespace binding
