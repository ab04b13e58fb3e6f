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
  MutexLock lock(mu_);
  if (stopping_) return;
  if (!by_serial_.try_emplace(serial, not_after_unix_ms).second) return;
  deadlines_.emplace(not_after_unix_ms, serial);
  cv_.notify_one();
}

void CertificateExpiry::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CertificateExpiry::Loop() {
  for (;;) {
    std::string serial;
    int64_t not_after = 0;
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      if (deadlines_.empty()) {
        lock.Wait(cv_);
        continue;
      }
      const int64_t now = clock_();
      auto first = deadlines_.begin();
      if (first->first > now) {
        lock.WaitUntil(cv_,
                       std::chrono::steady_clock::now() +
                           std::chrono::milliseconds(std::min<int64_t>(first->first - now, 1000)));
        continue;
      }
      not_after = first->first;
      serial = first->second;
      deadlines_.erase(first);
      by_serial_.erase(serial);
    }
    // Outside the lock: the callback may call Watch.
    on_expired_(serial, not_after);
  }
}

}  // namespace samrad::server
