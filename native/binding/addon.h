// The per-environment addon instance (main thread or a worker_threads Worker each get one).
#pragma once

#include <napi.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "../ns/worker.h"

namespace binding {

class SandboxHandle;
class EventStream;
class Addon;

using FinishedJobs = std::vector<std::unique_ptr<ns::Job>>;
void OnWake(Napi::Env env, Napi::Function, Addon* addon, std::nullptr_t*);
using Wake = Napi::TypedThreadSafeFunction<Addon, std::nullptr_t, OnWake>;

// Finished jobs reach the JS thread two ways. Workers post them to a queue and wake the loop
// through a thread-safe function. While requests are in flight, the JS thread also waits a few
// tens of µs for them right before libuv would block (a uv_prepare handle): an awaited request
// then resolves without the sleeping thread's wake-up, which costs more than the request itself.
class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  ~Addon();
  static Addon* Of(Napi::Env env) { return env.GetInstanceData<Addon>(); }

  // Worker thread: hands finished jobs to the JS thread, where they settle in order.
  void Post(FinishedJobs jobs);
  // JS thread: the event loop stays alive while any request is in flight, not longer.
  void Busy(Napi::Env env);
  void Idle(Napi::Env env);
  // JS thread: settles everything posted so far, in order.
  void Drain(Napi::Env env);

  std::set<SandboxHandle*> handles;  // live handles, for the env cleanup hook
  std::set<EventStream*> streams;    // open event streams, likewise
  Napi::FunctionReference sandbox_handle;
  Napi::FunctionReference event_stream;

 private:
  // Env teardown (process exit, worker_threads termination): stop every worker before the
  // delivery function goes away. Registered after it, so it runs before its own cleanup.
  static void StopAll(void* addon);
  // JS thread, before libuv polls: waits briefly for results in flight (see above).
  static void OnPrepare(uv_prepare_t* prepare);
  void WaitForResults();

  Napi::Env env_;
  Wake wake_;
  Napi::AsyncContext async_context_;  // microtasks run after a delivery from OnPrepare
  uv_prepare_t* prepare_;             // freed by its close callback
  size_t busy_ = 0;
  std::mutex mutex_;
  std::deque<FinishedJobs> posted_;  // guarded by mutex_
  std::atomic<size_t> posted_count_{0};
  std::atomic<bool> waiting_{false};  // the JS thread is looking at posted_count_: no wake needed
  unsigned misses_ = 0;               // consecutive waits that saw nothing: back off
  unsigned skip_ = 0;                 // loop turns left without waiting
};

}  // namespace binding
