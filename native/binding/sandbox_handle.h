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

  // A dup of this namespace's fd, for a request of another sandbox (veth peer, move).
  static int BorrowNamespaceFd(Napi::Env env, Napi::Value handle, BorrowedFds& fds);

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
  Napi::Value GetLink(const Napi::CallbackInfo& info);
  Napi::Value Links(const Napi::CallbackInfo& info);
  Napi::Value CreateLink(const Napi::CallbackInfo& info);
  Napi::Value ChangeLink(const Napi::CallbackInfo& info);
  Napi::Value DeleteLink(const Napi::CallbackInfo& info);
  Napi::Value Addresses(const Napi::CallbackInfo& info);
  Napi::Value AddAddress(const Napi::CallbackInfo& info);
  Napi::Value DeleteAddress(const Napi::CallbackInfo& info);
  Napi::Value Routes(const Napi::CallbackInfo& info);
  Napi::Value AddRoute(const Napi::CallbackInfo& info);
  Napi::Value ReplaceRoute(const Napi::CallbackInfo& info);
  Napi::Value DeleteRoute(const Napi::CallbackInfo& info);
  Napi::Value RouteGet(const Napi::CallbackInfo& info);
  Napi::Value Neighbors(const Napi::CallbackInfo& info);
  Napi::Value AddNeighbor(const Napi::CallbackInfo& info);
  Napi::Value DeleteNeighbor(const Napi::CallbackInfo& info);
  Napi::Value Sysctl(const Napi::CallbackInfo& info);
  Napi::Value SysctlList(const Napi::CallbackInfo& info);

  // Queues a job, or rejects it at once when the sandbox is not open.
  Napi::Value Submit(Napi::Env env, std::unique_ptr<JsJob> job, bool allowed);
  Napi::Value SubmitRoute(const Napi::CallbackInfo& info, nl::RouteOp op);

  Addon* addon_;
  std::unique_ptr<ns::Worker> worker_;
  State state_ = State::kNew;
  int ns_fd_ = -1;
  size_t pending_ = 0;  // jobs queued or running; while > 0 the JS object is kept alive
};

}  // namespace binding
