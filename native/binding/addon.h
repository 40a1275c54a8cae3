// The per-environment addon instance (main thread or a worker_threads Worker each get one).
#pragma once

#include <napi.h>

#include <memory>
#include <set>
#include <vector>

#include "../ns/worker.h"

namespace binding {

class SandboxHandle;
class Addon;

using FinishedJobs = std::vector<std::unique_ptr<ns::Job>>;
void DeliverFinished(Napi::Env env, Napi::Function, Addon* addon, FinishedJobs* jobs);
using Delivery = Napi::TypedThreadSafeFunction<Addon, FinishedJobs, DeliverFinished>;

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  static Addon* Of(Napi::Env env) { return env.GetInstanceData<Addon>(); }

  // Worker thread: hands finished jobs to the JS thread, where they settle in order.
  void Post(FinishedJobs jobs);
  // JS thread: the event loop stays alive while any request is in flight, not longer.
  void Busy(Napi::Env env);
  void Idle(Napi::Env env);

  std::set<SandboxHandle*> handles;  // live handles, for the env cleanup hook
  Napi::FunctionReference sandbox_handle;

 private:
  // Env teardown (process exit, worker_threads termination): stop every worker before the
  // delivery function goes away. Registered after it, so it runs before its own cleanup.
  static void StopAll(void* addon);

  Delivery delivery_;
  size_t busy_ = 0;
};

}  // namespace binding
