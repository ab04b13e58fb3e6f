#include "server/certificate_expiry.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace samrad::server {

CertificateExpiry::CertificateExpiry(std::function<int64_t()> clock, OnExpired on_expired)
    : clock_(std::move(clock)), on_expired_(std::move(on_expired)) {
  thread_ = std::thread([this] { Loop(); });
}

CertificateExpiry::~CertificateExpiry() { Stop(); }

void CertificateExpiry::Watch(const std::string& serial, int64_t not_after_unix_ms) {
  if (not_after_unix_ms <= 0) return;
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (!by_serial_.try_emplace(serial, not_after_unix_ms).second) return;
  deadlines_.emplace(not_after_unix_ms, serial);
  cv_.notify_one();
}

void CertificateExpiry::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CertificateExpiry::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const int64_t now = clock_();
    auto first = deadlines_.begin();
    if (first->first > now) {
      cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(first->first - now, 1000)));
      continue;
    }
    const int64_t not_after = first->first;
    const std::string serial = first->second;
    deadlines_.erase(first);
    by_serial_.erase(serial);
    lock.unlock();
    on_expired_(serial, not_after);
    lock.lock();
  }
}

}  // namespace samrad::server
