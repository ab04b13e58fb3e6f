#include "tests/bench/delayer.h"

namespace samrad::bench {

Delayer::Delayer() : thread_([this] { Loop(); }) {}

Delayer::~Delayer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Delayer::RunAfter(std::chrono::steady_clock::duration delay, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push(Item{std::chrono::steady_clock::now() + delay, next_order_++, std::move(fn)});
  }
  cv_.notify_all();
}

void Delayer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (items_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto at = items_.top().at;
    if (std::chrono::steady_clock::now() < at) {
      cv_.wait_until(lock, at);
      continue;
    }
    std::function<void()> fn = items_.top().fn;
    items_.pop();
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace samrad::bench
