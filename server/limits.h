// In-memory guards of the relay: per-identity rate limits, the ownership-proof
// replay cache and the concurrent-stream budget. All thread-safe; time is
// passed in (Unix milliseconds) so tests are deterministic.
#ifndef SAMRAD_SERVER_LIMITS_H_
#define SAMRAD_SERVER_LIMITS_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"

namespace samrad::server {

// A token bucket per key (the client certificate serial): `burst` tokens, refilled
// at `rate_per_second`. Keys idle long enough to be full again are forgotten.
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst);
  // Takes one token. RESOURCE_EXHAUSTED (saying when to retry) when empty.
  absl::Status Acquire(absl::string_view key, int64_t now_ms);

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  const double rate_per_ms_;
  const double burst_;
  Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  int64_t last_prune_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

// Remembers (thread id, nonce) of accepted ownership proofs for as long as
// their timestamp is inside the window, so a captured proof cannot be replayed.
class ReplayCache {
 public:
  // `max_entries` bounds memory; when full of live entries, new proofs are
  // refused with RESOURCE_EXHAUSTED rather than forgetting live ones.
  ReplayCache(int64_t window_ms, size_t max_entries);
  // OK and remembers the pair; UNAUTHENTICATED when it was seen before.
  absl::Status CheckAndRemember(absl::string_view thread_id, absl::string_view nonce,
                                int64_t proof_timestamp_ms, int64_t now_ms);

 private:
  void PruneLocked(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const int64_t window_ms_;
  const size_t max_entries_;
  Mutex mu_;
  // thread_id || nonce -> expiry
  absl::flat_hash_map<std::string, int64_t> seen_ ABSL_GUARDED_BY(mu_);
};

// Counts open streams overall and per identity.
class StreamBudget {
 public:
  StreamBudget(uint32_t max_total, uint32_t max_per_identity);
  // RESOURCE_EXHAUSTED when either cap is reached; else counts one stream
  // that the caller must Release exactly once.
  absl::Status Acquire(const std::string& identity_key);
  void Release(const std::string& identity_key);
  uint32_t open() const;

 private:
  const uint32_t max_total_;
  const uint32_t max_per_identity_;
  mutable Mutex mu_;
  uint32_t total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, uint32_t> per_identity_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_LIMITS_H_
