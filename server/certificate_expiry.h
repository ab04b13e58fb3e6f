// CertificateExpiry: calls back once per certificate when the clock reaches
// its notAfter, on one thread of its own, so the relay can end the streams
// of a certificate that expires while they are open. No gRPC type.
//
// Thread-safety: Watch and Stop may be called from any thread. The callback
// runs on the expiry thread, never under the internal lock.
// Lifetime: the callback must stay callable until Stop returns (the
// destructor calls Stop).
#ifndef SAMRAD_SERVER_CERTIFICATE_EXPIRY_H_
#define SAMRAD_SERVER_CERTIFICATE_EXPIRY_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"

namespace samrad::server {

class CertificateExpiry {
 public:
  using OnExpired = std::function<void(const std::string& serial, int64_t not_after_unix_ms)>;
  // `clock`: Unix ms; followed even when it jumps (the thread wakes at least
  // every second). Starts the expiry thread.
  CertificateExpiry(std::function<int64_t()> clock, OnExpired on_expired);
  ~CertificateExpiry();
  CertificateExpiry(const CertificateExpiry&) = delete;
  CertificateExpiry& operator=(const CertificateExpiry&) = delete;

  // Calls on_expired(serial, not_after) once the clock reaches `not_after`
  // (at once when it has already). One deadline per serial: a second Watch
  // of a serial still waiting is ignored. No-op for not_after <= 0 or after
  // Stop.
  void Watch(const std::string& serial, int64_t not_after_unix_ms);

  // Stops the thread after the callback it may be running. Idempotent.
  void Stop();

 private:
  void Loop();

  const std::function<int64_t()> clock_;
  const OnExpired on_expired_;
  Mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::multimap<int64_t, std::string> deadlines_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> by_serial_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_CERTIFICATE_EXPIRY_H_
