// A fixed set of worker threads running tasks in submission order. Fixed, so each
// thread keeps its thread-local state (decoders, parsers, allocator caches) from
// task to task. The destructor runs every task already submitted, then joins.
//
// Used by the verifier (chunks checked in parallel) and by boaid (the parts of
// callback writes that may block on a disk).

#ifndef BOAI_LEDGER_THREAD_POOL_H_
#define BOAI_LEDGER_THREAD_POOL_H_

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace boai::ledger {

class ThreadPool {
 public:
  // `name` (at most 15 characters) names the threads for ps, top and perf.
  ThreadPool(int threads, std::string name) : name_(std::move(name)) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), name_.c_str());
        while (true) {
          std::packaged_task<void()> task;
          {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty()) return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
          }
          task();
        }
      });
    }
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // Queues `f`; the future is ready once it has run.
  std::future<void> Submit(std::function<void()> f) {
    std::packaged_task<void()> task(std::move(f));
    std::future<void> done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return done;
  }

 private:
  const std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_THREAD_POOL_H_
