// ns::Worker with jobs made for the test: submission order across exclusive and pipelined jobs,
// pipelining, pieces delivered ahead of their job, the cancel policy once the worker stops, and
// Abandon. Pipelined jobs ask the
// kernel for lo, so this runs inside test/in-private-netns.sh (label netns).
#include "../../native/ns/worker.h"

#include <errno.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "check.h"

namespace {

// What the worker hands back, collected for the test thread.
struct Finished {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::vector<std::string>> groups;  // names, one vector per completion call
  std::vector<int> errors;                       // in finishing order

  ns::Worker::Completion Callback();
  bool WaitFor(size_t jobs) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), [&] { return errors.size() >= jobs; });
  }
};

class Step : public ns::Job {
 public:
  Step(std::string name, bool exclusive, int* destroyed = nullptr)
      : name_(std::move(name)), exclusive_(exclusive), destroyed_(destroyed) {}
  ~Step() override {
    if (destroyed_) (*destroyed_)++;
    if (destroyed_on) *destroyed_on = std::this_thread::get_id();
  }
  bool exclusive() const override { return exclusive_; }
  void Prepare(ns::Context& context) override {
    nl::Error e;
    requests.emplace_back(nl::BuildGetLink(nl::LinkRef{nl::kLoopbackIndex, {}}, context, &e));
  }
  void Finish(ns::Context&) override { error = requests[0].error; }
  void Run(ns::Context& context) override {
    for (int i = 1; i <= pieces; i++) {
      context.DeliverPiece(std::make_unique<Step>(name_ + "." + std::to_string(i), false));
    }
    if (sleep_ms) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  }
  const std::string& name() const { return name_; }
  int sleep_ms = 0;
  int pieces = 0;                           // delivered by Run, ahead of the job
  std::thread::id* destroyed_on = nullptr;  // where the job was destroyed

 private:
  std::string name_;
  bool exclusive_;
  int* destroyed_;
};

ns::Worker::Completion Finished::Callback() {
  return [this](std::vector<std::unique_ptr<ns::Job>> jobs) {
    std::lock_guard<std::mutex> lock(mutex);
    groups.emplace_back();
    for (auto& job : jobs) {
      groups.back().push_back(static_cast<Step&>(*job).name());
      errors.push_back(job->error.code);
    }
    changed.notify_all();
  };
}

std::unique_ptr<Step> Stopping(std::string name) {
  auto job = std::make_unique<Step>(std::move(name), true);
  job->stops_worker = true;
  return job;
}

}  // namespace

TEST(JobsFinishInSubmissionOrderAndPipelinedOnesTogether) {
  Finished finished;
  ns::Worker worker(finished.Callback());
  std::vector<std::unique_ptr<ns::Job>> jobs;
  jobs.push_back(std::make_unique<Step>("a", true));
  jobs.push_back(std::make_unique<Step>("b", false));
  jobs.push_back(std::make_unique<Step>("c", false));
  jobs.push_back(std::make_unique<Step>("d", true));
  jobs.push_back(std::make_unique<Step>("e", false));
  worker.SubmitAll(std::move(jobs));
  CHECK(finished.WaitFor(5));
  std::vector<std::string> order;
  for (auto& group : finished.groups) order.insert(order.end(), group.begin(), group.end());
  REQUIRE(order.size() == 5);
  CHECK_EQ(order[0] + order[1] + order[2] + order[3] + order[4], std::string("abcde"));
  bool together = false;
  for (auto& group : finished.groups) together |= group == std::vector<std::string>{"b", "c"};
  CHECK(together);
  for (int code : finished.errors) CHECK_EQ(code, 0);
}

TEST(PiecesArriveAfterEarlierJobsAndBeforeTheirOwnJob) {
  Finished finished;
  ns::Worker worker(finished.Callback());
  std::vector<std::unique_ptr<ns::Job>> jobs;
  jobs.push_back(std::make_unique<Step>("a", false));
  auto dump = std::make_unique<Step>("d", true);
  dump->pieces = 2;
  jobs.push_back(std::move(dump));
  jobs.push_back(std::make_unique<Step>("e", false));
  worker.SubmitAll(std::move(jobs));
  CHECK(finished.WaitFor(5));
  std::lock_guard<std::mutex> lock(finished.mutex);
  std::vector<std::string> order;
  for (auto& group : finished.groups) order.insert(order.end(), group.begin(), group.end());
  CHECK(order == (std::vector<std::string>{"a", "d.1", "d.2", "d", "e"}));
  // Each piece is a delivery of its own.
  CHECK(finished.groups[1] == std::vector<std::string>{"d.1"});
}

TEST(AStoppedWorkerCancelsQueuedAndLaterJobs) {
  Finished finished;
  ns::Worker worker(finished.Callback());
  std::vector<std::unique_ptr<ns::Job>> jobs;
  jobs.push_back(Stopping("stop"));
  jobs.push_back(std::make_unique<Step>("queued", false));
  worker.SubmitAll(std::move(jobs));
  CHECK(finished.WaitFor(2));
  // After the stop: a request is cancelled at once, a close just finishes.
  worker.Submit(std::make_unique<Step>("late", false));
  worker.Submit(Stopping("close"));
  CHECK(finished.WaitFor(4));
  std::lock_guard<std::mutex> lock(finished.mutex);
  REQUIRE(finished.errors.size() == 4);
  CHECK_EQ(finished.errors[0], 0);
  CHECK_EQ(finished.errors[1], ECANCELED);
  CHECK_EQ(finished.errors[2], ECANCELED);
  CHECK_EQ(finished.errors[3], 0);
}

TEST(AbandonDropsQueuedJobsUnfinished) {
  Finished finished;
  int destroyed = 0;
  {
    ns::Worker worker(finished.Callback());
    auto slow = std::make_unique<Step>("slow", true, &destroyed);
    slow->sleep_ms = 50;
    worker.Submit(std::move(slow));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // let it start
    for (int i = 0; i < 3; i++) worker.Submit(std::make_unique<Step>("dropped", false, &destroyed));
    worker.Abandon();
  }
  std::lock_guard<std::mutex> lock(finished.mutex);
  CHECK_EQ(destroyed, 4);
  for (auto& group : finished.groups) {
    for (auto& name : group) CHECK(name != "dropped");
  }
}

// Jobs submitted together are taken from the queue together: those the worker holds but has not
// run when it is abandoned are destroyed on the thread that abandons it (a job may hold JS
// references), never on the worker.
TEST(AbandonDestroysJobsTheWorkerTookButDidNotRunOnTheCallingThread) {
  Finished finished;
  std::thread::id destroyed_on;
  {
    ns::Worker worker(finished.Callback());
    std::vector<std::unique_ptr<ns::Job>> jobs;
    auto slow = std::make_unique<Step>("slow", true);
    slow->sleep_ms = 50;
    jobs.push_back(std::move(slow));
    auto taken = std::make_unique<Step>("taken", true);
    taken->destroyed_on = &destroyed_on;
    jobs.push_back(std::move(taken));
    worker.SubmitAll(std::move(jobs));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // "slow" runs, "taken" waits
    worker.Abandon();
  }
  CHECK(destroyed_on == std::this_thread::get_id());
}
