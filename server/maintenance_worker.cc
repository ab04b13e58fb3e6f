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
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  jobs_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

void MaintenanceWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void MaintenanceWorker::Run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(interval_ms_ > 0 ? interval_ms_ : 0);
  auto next_periodic = Clock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (interval_ms_ > 0) {
      cv_.wait_until(lock, next_periodic, [&] { return stopping_ || !jobs_.empty(); });
    } else {
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    }
    if (!jobs_.empty()) {
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
      continue;
    }
    if (stopping_) return;
    if (interval_ms_ > 0 && Clock::now() >= next_periodic) {
      lock.unlock();
      periodic_();
      lock.lock();
      next_periodic = Clock::now() + interval;
    }
  }
}

}  // namespace samrad::server
