// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace roentgen {

// A background thread that calls `tick` every `interval` until Stop(): the owners of periodic
// jobs (metric rollups, alarm evaluation, trace-metric flushes, analysis rules, insights) share
// it. Waits use the steady clock; a job that schedules by an injected Clock ticks at a short
// interval and decides itself whether its period has passed.
//
// Thread-safety: Start and Stop may be called from any thread; `tick` runs on the job's thread
// only, never concurrently with itself. Stop wakes the wait at once, lets a running tick
// finish, and joins; after Stop, Start may run the job again.
class PeriodicThread {
 public:
  enum class FirstTick { kAfterInterval, kImmediately };

  PeriodicThread() = default;
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Does nothing if the job is already running.
  void Start(std::chrono::milliseconds interval, std::function<void()> tick,
             FirstTick first = FirstTick::kAfterInterval) {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this, interval, tick = std::move(tick), first] {
      std::unique_lock job_lock(mu_);
      bool wait = first == FirstTick::kAfterInterval;
      while (!stopping_) {
        if (wait && wake_.wait_for(job_lock, interval, [this] { return stopping_; })) break;
        wait = true;
        job_lock.unlock();
        tick();
        job_lock.lock();
      }
    });
  }

  void Stop() {
    std::thread thread;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      thread = std::move(thread_);
    }
    wake_.notify_all();
    if (thread.joinable()) thread.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // guarded by mu_ (moved out by Stop)
};

}  // namespace roentgen
