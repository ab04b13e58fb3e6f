// In-memory guards of the relay: per-identity rate limits, the ownership-proof
// replay cache and the concurrent-stream budget. All thread-safe; time is
// passed in (Unix milliseconds) so tests are deterministic.
#ifndef SAMRAD_SERVER_LIMITS_H_
#define SAMRAD_SERVER_LIMITS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"

namespace samrad::server {

// The limits a reload (SIGHUP) may change while the relay runs: the rate
// limit's rate and burst and the two stream caps. One LiveLimits is shared by
// the RateLimiter and StreamBudget of one relay; Set takes effect at their
// next Acquire (open streams and stored tokens are kept; tokens above a
// smaller burst are dropped). Thread-safe.
class LiveLimits {
 public:
  struct Values {
    double rate_per_second = 0;
    double rate_burst = 0;
    uint32_t max_concurrent_streams = 0;
    uint32_t max_streams_per_identity = 0;
  };
  explicit LiveLimits(const Values& values) : values_(values) {}
  Values Get() const;
  void Set(const Values& values);

  // While a Binding lives, every RateLimiter and StreamBudget constructed on
  // the same thread (the binding is thread-local) shares `limits` (shared
  // ownership) and ignores the values passed to its constructor. This lets RelayServer retune the
  // guards that RelayService builds and owns. Bindings do not nest.
  class Binding {
   public:
    explicit Binding(std::shared_ptr<LiveLimits> limits);
    ~Binding();
    Binding(const Binding&) = delete;
    Binding& operator=(const Binding&) = delete;
  };
  // The limits bound on this thread, or null.
  static std::shared_ptr<LiveLimits> Bound();

 private:
  mutable Mutex mu_;
  Values values_ ABSL_GUARDED_BY(mu_);
};

// A token bucket per key (the client certificate serial): `burst` tokens, refilled
// at `rate_per_second` (or those of the bound LiveLimits). Keys idle long
// enough to be full again are forgotten.
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst);
  // Takes one token. RESOURCE_EXHAUSTED (saying when to retry) when empty.
  [[nodiscard]] absl::Status Acquire(absl::string_view key, int64_t now_ms);

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  const std::shared_ptr<LiveLimits> limits_;
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
  [[nodiscard]] absl::Status CheckAndRemember(absl::string_view thread_id, absl::string_view nonce,
                                              int64_t proof_timestamp_ms, int64_t now_ms);

 private:
  void PruneLocked(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const int64_t window_ms_;
  const size_t max_entries_;
  Mutex mu_;
  // thread_id || nonce -> expiry
  absl::flat_hash_map<std::string, int64_t> seen_ ABSL_GUARDED_BY(mu_);
};

// Who a stream is charged to: professionals share what advisers (and
// admins) do not have reserved.
enum class StreamClass { kProfessional, kReserved };

// Counts open streams overall and per identity, against `max_total` and
// `max_per_identity` (or the caps of the bound LiveLimits). Professionals together hold
// at most max_total * (100 - reserve_percent) / 100 of them, so the rest
// stays open to advisers whatever professionals do.
class StreamBudget {
 public:
  StreamBudget(uint32_t max_total, uint32_t max_per_identity, uint32_t reserve_percent = 0);
  // RESOURCE_EXHAUSTED (saying which cap) when a cap is reached; else counts
  // one stream that the caller must Release exactly once with the same class.
  [[nodiscard]] absl::Status Acquire(const std::string& identity_key,
                                     StreamClass stream_class = StreamClass::kReserved);
  // Returns one stream counted by a successful Acquire with the same key and
  // class (a Release without one is a bug: counts never go below zero).
  void Release(const std::string& identity_key, StreamClass stream_class = StreamClass::kReserved);
  // Streams counted now.
  uint32_t open() const;

 private:
  const std::shared_ptr<LiveLimits> limits_;
  const uint32_t reserve_percent_;  // of max_concurrent_streams, kept from professionals
  mutable Mutex mu_;
  uint32_t total_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t professional_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, uint32_t> per_identity_ ABSL_GUARDED_BY(mu_);
};

// The bytes of events queued in all streams together: `budget_bytes`, of
// which professionals' streams hold at most (100 - reserve_percent) percent.
class StreamMemory {
 public:
  StreamMemory(uint64_t budget_bytes, uint32_t reserve_percent);
  // True and counts `bytes` when they fit both the total and the class's
  // share; false (nothing counted) otherwise.
  bool TryCharge(StreamClass stream_class, uint64_t bytes);
  // Counts `bytes` even past the budget: only for bytes a reservation taken
  // with TryCharge just covered (see EventStream's backlog pages).
  void ForceCharge(StreamClass stream_class, uint64_t bytes);
  // Returns bytes taken by TryCharge or ForceCharge with the same class.
  void Release(StreamClass stream_class, uint64_t bytes);
  uint64_t used() const;
  uint64_t budget() const { return budget_; }

 private:
  const uint64_t budget_;
  const uint64_t professional_budget_;
  mutable Mutex mu_;
  uint64_t used_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t professional_used_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_LIMITS_H_
