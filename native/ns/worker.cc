#include "worker.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace ns {

// The name tests look for in /proc/self/task/*/comm to tell workers from other threads.
constexpr const char* kThreadName = "netsandbox-ns";

Context::~Context() {
  if (ioctl_fd_ >= 0) close(ioctl_fd_);
}

nl::Error Context::Enter(const NamespaceSpec& spec, EnteredNamespace* out) {
  if (nl::Error e = EnterNamespace(spec, out)) return e;
  ioctl_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ioctl_fd_ >= 0) return {};
  nl::Error error{errno, "cannot open a socket in the namespace"};
  close(out->fd);
  out->fd = -1;
  if (spec.create) RemoveNamespaceFile(out->path);
  return error;
}

nl::Socket* Context::SocketFor(int protocol, nl::Error* error) {
  std::unique_ptr<nl::Socket>& socket = sockets_[protocol];
  if (socket == nullptr) socket = nl::Socket::Open(protocol, error);
  return socket.get();
}

int32_t Context::IndexOf(const nl::LinkRef& ref, nl::Error* error) {
  if (ref.index != 0) return ref.index;
  auto found = indexes_.find(ref.name);
  if (found != indexes_.end()) return found->second;
  ifreq ifr{};
  if (ref.name.size() < IFNAMSIZ) {
    memcpy(ifr.ifr_name, ref.name.data(), ref.name.size());
    if (ioctl(ioctl_fd_, SIOCGIFINDEX, &ifr) == 0) return indexes_[ref.name] = ifr.ifr_ifindex;
  }
  *error = nl::Error{ENODEV, "Cannot find device \"" + ref.name + "\""};
  return 0;
}

std::string Context::NameOf(int32_t index) {
  auto found = names_.find(index);
  if (found != names_.end()) return found->second;
  ifreq ifr{};
  ifr.ifr_ifindex = index;
  std::string name;
  if (index > 0 && ioctl(ioctl_fd_, SIOCGIFNAME, &ifr) == 0)
    name.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  return names_.emplace(index, std::move(name)).first->second;
}

Worker::Worker(Completion done)
    : done_(std::move(done)),
      context_([this](std::unique_ptr<Job> piece) {
        std::vector<std::unique_ptr<Job>> one;
        one.push_back(std::move(piece));
        done_(std::move(one));
      }),
      thread_([this] { Loop(); }) {}

Worker::~Worker() { Abandon(); }

void Worker::Submit(std::unique_ptr<Job> job) {
  std::vector<std::unique_ptr<Job>> one;
  one.push_back(std::move(job));
  SubmitAll(std::move(one));
}

void Worker::SubmitAll(std::vector<std::unique_ptr<Job>> jobs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_) {
      for (auto& job : jobs) queue_.push_back(std::move(job));
      queued_.store(queue_.size(), std::memory_order_release);
      jobs.clear();
    }
  }
  if (jobs.empty()) {
    wake_.notify_one();
  } else {
    // A failed entry stops the thread before the JS thread hears of it: a close() made in between
    // must still settle.
    Cancel(std::move(jobs));
  }
}

void Worker::Abandon() {
  std::deque<std::unique_ptr<Job>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    abandoned_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::deque<std::unique_ptr<Job>> unfinished = std::move(leftovers_);
  // `dropped` and `unfinished` are destroyed here, on the JS thread, after the worker is gone:
  // a job may hold JS references.
}

void Worker::SpinForWork() {
  // A caller that awaits each request submits the next one a few microseconds after it got the
  // last answer; waking a sleeping thread costs more than that on most machines (tens of µs on
  // VMs). So look for work for a moment before sleeping, as Go's scheduler spins its threads,
  // yielding the core meanwhile. A yield that returns late means other threads want the core:
  // then spinning delays them and us (a whole time slice per yield), so skip it for a while.
  constexpr auto kSpin = std::chrono::microseconds(50);
  if (spin_skip_ > 0) {
    spin_skip_--;
    return;
  }
  const auto until = std::chrono::steady_clock::now() + kSpin;
  while (queued_.load(std::memory_order_acquire) == 0 && !abandoned_) {
    const auto before = std::chrono::steady_clock::now();
    if (before >= until) return;
    sched_yield();
    if (std::chrono::steady_clock::now() - before > kSpin) {
      spin_skip_ = 64;
      return;
    }
  }
}

void Worker::Loop() {
  pthread_setname_np(pthread_self(), kThreadName);
  std::deque<std::unique_ptr<Job>> jobs;
  for (;;) {
    SpinForWork();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return abandoned_ || !queue_.empty(); });
      if (abandoned_) {
        leftovers_.swap(jobs);  // destroyed by Abandon() on the JS thread, like the queue
        return;
      }
      for (auto& job : queue_) jobs.push_back(std::move(job));
      queue_.clear();
      queued_.store(0, std::memory_order_relaxed);
    }
    while (!jobs.empty() && !abandoned_) {
      Job& front = *jobs.front();
      if (!front.exclusive()) {
        RunPipelined(jobs);
        continue;
      }
      std::unique_ptr<Job> job = std::move(jobs.front());
      jobs.pop_front();
      context_.ForgetNames();
      job->Run(context_);
      const bool stop = job->stops_worker;
      std::vector<std::unique_ptr<Job>> finished;
      finished.push_back(std::move(job));
      done_(std::move(finished));
      if (stop) {  // closed, or could not enter its namespace
        FinishLeftovers(jobs);
        return;
      }
    }
  }
}

void Worker::FinishLeftovers(std::deque<std::unique_ptr<Job>>& jobs) {
  std::vector<std::unique_ptr<Job>> rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    for (auto& job : jobs) rest.push_back(std::move(job));
    for (auto& job : queue_) rest.push_back(std::move(job));
    queue_.clear();
    queued_.store(0, std::memory_order_relaxed);
  }
  jobs.clear();
  Cancel(std::move(rest));
}

void Worker::Cancel(std::vector<std::unique_ptr<Job>> jobs) {
  for (auto& job : jobs) {
    if (!job->stops_worker) job->error = nl::Error{ECANCELED, "the sandbox is closed"};
  }
  if (!jobs.empty()) done_(std::move(jobs));
}

void Worker::RunPipelined(std::deque<std::unique_ptr<Job>>& jobs) {
  std::vector<std::unique_ptr<Job>> batch;
  std::vector<nl::Request*> requests;
  context_.ForgetNames();
  const int protocol = jobs.front()->protocol;
  nl::Error no_socket;
  nl::Socket* socket = context_.SocketFor(protocol, &no_socket);
  const size_t max_batch = socket != nullptr ? socket->max_batch() : SIZE_MAX;
  while (!jobs.empty() && !jobs.front()->exclusive() && jobs.front()->protocol == protocol) {
    Job& job = *jobs.front();
    job.Prepare(context_);
    if (!job.error && !requests.empty() && requests.size() + job.requests.size() > max_batch) {
      // Full: send what we have; this job, prepared, opens the next batch. It is prepared again
      // then, which is harmless (it only builds messages) and keeps name lookups fresh.
      job.requests.clear();
      break;
    }
    for (nl::Request& r : job.requests) requests.push_back(&r);
    batch.push_back(std::move(jobs.front()));
    jobs.pop_front();
    if (batch.back()->changes_links) break;
  }
  if (socket == nullptr) {
    for (nl::Request* r : requests) r->error = no_socket;
  } else if (socket->Transact(requests.data(), requests.size())) {
    context_.DropSocket(protocol);
  }
  for (auto& job : batch) {
    if (!job->error) job->Finish(context_);
  }
  done_(std::move(batch));
}

}  // namespace ns
