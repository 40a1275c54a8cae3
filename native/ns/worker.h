// The namespace worker: one std::thread per open sandbox. It enters the namespace once, owns
// that namespace's netlink sockets (one per protocol), and runs the sandbox's jobs in submission
// order. Consecutive netlink jobs of one protocol are pipelined: their requests go out in one
// sendmsg and each ACK is matched by sequence number. The worker never starts threads (they
// would inherit the namespace).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../nl/rtnl.h"
#include "../nl/socket.h"
#include "namespace.h"

namespace ns {

class Job;

// What a job sees of its namespace. Worker thread only.
class Context : public nl::LinkResolver {
 public:
  using Deliver = std::function<void(std::unique_ptr<Job>)>;
  explicit Context(Deliver deliver) : deliver_(std::move(deliver)) {}
  ~Context() override;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  // Enters (or creates) the namespace and opens the socket for name lookups there.
  nl::Error Enter(const NamespaceSpec& spec, EnteredNamespace* out);
  // The netlink socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER) in this namespace,
  // opened when first needed; nullptr with *error set when it can't be opened.
  nl::Socket* SocketFor(int protocol, nl::Error* error);
  // After a socket-level failure the socket's state is unknown, so it is never reused: the
  // next request of that protocol opens a fresh one.
  void DropSocket(int protocol) { sockets_.erase(protocol); }
  // Both directions are looked up once per batch: the worker forgets them before each batch
  // (and a request that renames, creates, moves or deletes a link ends its batch), so a change
  // of names is always seen.
  int32_t IndexOf(const nl::LinkRef& ref, nl::Error* error) override;
  std::string NameOf(int32_t index) override;
  void ForgetNames() {
    names_.clear();
    indexes_.clear();
  }
  // Hands a piece of a running job's outcome (a chunk of a dump) to the JS thread now, ahead of
  // the job itself: it arrives after everything finished before, and before the job.
  void DeliverPiece(std::unique_ptr<Job> piece) { deliver_(std::move(piece)); }

 private:
  Deliver deliver_;
  std::map<int, std::unique_ptr<nl::Socket>> sockets_;  // by netlink protocol
  int ioctl_fd_ = -1;  // an AF_INET socket of this namespace, for name <-> index lookups
  std::unordered_map<int32_t, std::string> names_;
  std::unordered_map<std::string, int32_t> indexes_;
};

class Job {
 public:
  virtual ~Job() = default;
  // Worker thread. A pipelined job builds its requests in Prepare (or sets `error` to finish
  // without sending) and reads their answers in Finish; an exclusive job does all its work in
  // Run, alone on the socket (dumps, namespace work).
  virtual bool exclusive() const = 0;
  virtual void Prepare(Context&) {}
  virtual void Finish(Context&) {}
  virtual void Run(Context&) {}

  int protocol = NETLINK_ROUTE;  // the socket this job's requests go to
  std::vector<nl::Request> requests;
  nl::Error error;
  // Set by jobs that create, rename, move or delete links: the batch ends after them so that
  // names in later jobs are resolved against the result.
  bool changes_links = false;
  // Set by the job that closes the sandbox, or one that failed to enter it: the worker exits
  // after it.
  bool stops_worker = false;
};

class Worker {
 public:
  // Called with each group of finished jobs, in submission order, and with each piece a running
  // job delivers (Context::DeliverPiece) as a group of one: on the worker thread, or on the
  // submitting thread for jobs submitted after the worker stopped (they are cancelled).
  using Completion = std::function<void(std::vector<std::unique_ptr<Job>>)>;

  // JS thread. Starts the thread; the first job submitted must enter the namespace.
  explicit Worker(Completion done);
  // JS thread. Drops queued jobs (they are destroyed unfinished) and joins the thread.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // JS thread. Queues jobs; jobs run in submission order. Once the worker has stopped they are
  // cancelled at once.
  void Submit(std::unique_ptr<Job> job);
  void SubmitAll(std::vector<std::unique_ptr<Job>> jobs);
  // JS thread. Stops after the job that is running now, dropping queued jobs, and joins.
  void Abandon();

 private:
  void Loop();         // worker thread
  void SpinForWork();  // worker thread
  // Worker thread, when it stops: marks the worker stopped and cancels what is queued.
  void FinishLeftovers(std::deque<std::unique_ptr<Job>>& jobs);
  // The one cancel policy, for jobs queued when the worker stopped and jobs submitted after: they
  // finish with ECANCELED (a close job just finishes), so no promise waits forever.
  void Cancel(std::vector<std::unique_ptr<Job>> jobs);
  // Worker thread: runs one group of pipelined jobs taken from the front of `jobs`.
  void RunPipelined(std::deque<std::unique_ptr<Job>>& jobs);

  Completion done_;
  Context context_;  // worker thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;  // guarded by mutex_
  // Jobs taken from the queue but not run when the worker was abandoned; the thread's last
  // write, read after it is joined.
  std::deque<std::unique_ptr<Job>> leftovers_;
  std::atomic<bool> abandoned_{false};
  bool stopped_ = false;  // guarded by mutex_: the thread left its loop (closed, or not entered)
  std::atomic<size_t> queued_{0};  // queue_.size(), readable without the lock (for spinning)
  unsigned spin_skip_ = 0;         // worker thread: idle periods left without spinning
  std::thread thread_;
};

}  // namespace ns
