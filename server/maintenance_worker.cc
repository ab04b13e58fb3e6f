#include "server/maintenance_worker.h"

#include <chrono>
#include <utility>

namespace samrad::server {

MaintenanceWorker::MaintenanceWorker(int64_t interval_ms, std::function<void()> periodic)
    : interval_ms_(interval_ms), periodic_(std::move(periodic)) {
  thread_ = std::thread([this] { Run(); });
}

MaintenanceWorker::~MaintenanceWorker() { Stop(); }

bool MaintenanceWorker::Post(std::function<void()> job) {
  MutexLock lock(mu_);
  if (stopping_) return false;
  jobs_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

void MaintenanceWorker::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void MaintenanceWorker::Run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(interval_ms_ > 0 ? interval_ms_ : 0);
  auto next_periodic = Clock::now() + interval;
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(mu_);
      while (!stopping_ && jobs_.empty() && (interval_ms_ <= 0 || Clock::now() < next_periodic)) {
        if (interval_ms_ > 0) {
          lock.WaitUntil(cv_, next_periodic);
        } else {
          lock.Wait(cv_);
        }
      }
      if (!jobs_.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      } else if (stopping_) {
        return;
      }
    }
    if (job) {
      job();
      continue;
    }
    // No job, not stopping: the interval has passed.
    periodic_();
    next_periodic = Clock::now() + interval;
  }
}

}  // namespace samrad::server
