#include "server/limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/reasons.h"

namespace samrad::server {
namespace {

// The LiveLimits of the Binding alive on this thread.
thread_local std::shared_ptr<LiveLimits> bound_limits;

// The bound limits, or fresh ones holding `values`.
std::shared_ptr<LiveLimits> BoundOr(const LiveLimits::Values& values) {
  std::shared_ptr<LiveLimits> bound = LiveLimits::Bound();
  return bound ? bound : std::make_shared<LiveLimits>(values);
}

}  // namespace

LiveLimits::Values LiveLimits::Get() const {
  MutexLock lock(mu_);
  return values_;
}

void LiveLimits::Set(const Values& values) {
  MutexLock lock(mu_);
  values_ = values;
}

LiveLimits::Binding::Binding(std::shared_ptr<LiveLimits> limits) {
  bound_limits = std::move(limits);
}

LiveLimits::Binding::~Binding() { bound_limits.reset(); }

std::shared_ptr<LiveLimits> LiveLimits::Bound() { return bound_limits; }

RateLimiter::RateLimiter(double rate_per_second, double burst)
    : limits_(BoundOr({.rate_per_second = rate_per_second, .rate_burst = burst})) {}

absl::Status RateLimiter::Acquire(absl::string_view key, int64_t now_ms) {
  const LiveLimits::Values limits = limits_->Get();
  const double rate_per_ms = limits.rate_per_second / 1000.0;
  const double burst = limits.rate_burst;
  MutexLock lock(mu_);
  // Forget buckets that have refilled completely (bounded memory).
  const int64_t full_after_ms = static_cast<int64_t>(std::ceil(burst / rate_per_ms));
  if (now_ms - last_prune_ms_ > std::max<int64_t>(full_after_ms, 60000)) {
    last_prune_ms_ = now_ms;
    absl::erase_if(buckets_,
                   [&](const auto& kv) { return now_ms - kv.second.updated_ms > full_after_ms; });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst, now_ms});
  Bucket& bucket = it->second;
  if (!inserted && now_ms > bucket.updated_ms) {
    bucket.tokens = std::min(
        burst, bucket.tokens + static_cast<double>(now_ms - bucket.updated_ms) * rate_per_ms);
    bucket.updated_ms = now_ms;
  }
  bucket.tokens = std::min(bucket.tokens, burst);  // the burst may have shrunk (reload)
  if (bucket.tokens < 1.0) {
    const double wait_ms = (1.0 - bucket.tokens) / rate_per_ms;
    return reasons::Error(absl::StatusCode::kResourceExhausted, reasons::Reason::kRateLimited,
                          {absl::StrCat(static_cast<int64_t>(std::ceil(wait_ms)))});
  }
  bucket.tokens -= 1.0;
  return absl::OkStatus();
}

ReplayCache::ReplayCache(int64_t window_ms, size_t max_entries)
    : window_ms_(window_ms), max_entries_(max_entries) {}

void ReplayCache::PruneLocked(int64_t now_ms) {
  absl::erase_if(seen_, [&](const auto& kv) { return kv.second < now_ms; });
}

absl::Status ReplayCache::CheckAndRemember(absl::string_view thread_id, absl::string_view nonce,
                                           int64_t proof_timestamp_ms, int64_t now_ms) {
  std::string key = absl::StrCat(thread_id, "/", nonce);
  MutexLock lock(mu_);
  auto it = seen_.find(key);
  if (it != seen_.end() && it->second >= now_ms) {
    return reasons::Error(absl::StatusCode::kUnauthenticated, reasons::Reason::kProofReused, {});
  }
  if (seen_.size() >= max_entries_) PruneLocked(now_ms);
  if (seen_.size() >= max_entries_) {
    return reasons::Error(absl::StatusCode::kResourceExhausted, reasons::Reason::kTooManyProofs,
                          {});
  }
  // After timestamp + window the proof is refused by the window check anyway.
  seen_[std::move(key)] = proof_timestamp_ms + window_ms_;
  return absl::OkStatus();
}

StreamBudget::StreamBudget(uint32_t max_total, uint32_t max_per_identity, uint32_t reserve_percent)
    : limits_(BoundOr(
          {.max_concurrent_streams = max_total, .max_streams_per_identity = max_per_identity})),
      reserve_percent_(std::min(reserve_percent, 100u)) {}

absl::Status StreamBudget::Acquire(const std::string& identity_key, StreamClass stream_class) {
  const LiveLimits::Values limits = limits_->Get();
  const uint32_t max_total = limits.max_concurrent_streams;
  const uint32_t max_per_identity = limits.max_streams_per_identity;
  const uint32_t max_professional =
      static_cast<uint32_t>(uint64_t{max_total} * (100 - reserve_percent_) / 100);
  MutexLock lock(mu_);
  if (total_ >= max_total) {
    return reasons::Error(absl::StatusCode::kResourceExhausted, reasons::Reason::kStreamsFull,
                          {absl::StrCat(total_)});
  }
  const bool professional = stream_class == StreamClass::kProfessional;
  if (professional && professional_ >= max_professional) {
    return reasons::Error(absl::StatusCode::kResourceExhausted,
                          reasons::Reason::kStreamsProfessionalShare,
                          {absl::StrCat(professional_)});
  }
  auto it = per_identity_.find(identity_key);
  const uint32_t mine = it == per_identity_.end() ? 0 : it->second;
  if (mine >= max_per_identity) {
    return reasons::Error(absl::StatusCode::kResourceExhausted,
                          reasons::Reason::kStreamsPerCertificate,
                          {absl::StrCat(mine), absl::StrCat(max_per_identity)});
  }
  ++per_identity_[identity_key];
  ++total_;
  if (professional) ++professional_;
  return absl::OkStatus();
}

void StreamBudget::Release(const std::string& identity_key, StreamClass stream_class) {
  MutexLock lock(mu_);
  auto it = per_identity_.find(identity_key);
  if (it == per_identity_.end() || it->second == 0 || total_ == 0) return;
  if (--it->second == 0) per_identity_.erase(it);
  --total_;
  if (stream_class == StreamClass::kProfessional && professional_ > 0) --professional_;
}

uint32_t StreamBudget::open() const {
  MutexLock lock(mu_);
  return total_;
}

StreamMemory::StreamMemory(uint64_t budget_bytes, uint32_t reserve_percent)
    : budget_(budget_bytes),
      professional_budget_(budget_bytes / 100 * (100 - std::min(reserve_percent, 100u))) {}

bool StreamMemory::TryCharge(StreamClass stream_class, uint64_t bytes) {
  MutexLock lock(mu_);
  if (used_ + bytes > budget_) return false;
  if (stream_class == StreamClass::kProfessional) {
    if (professional_used_ + bytes > professional_budget_) return false;
    professional_used_ += bytes;
  }
  used_ += bytes;
  return true;
}

void StreamMemory::ForceCharge(StreamClass stream_class, uint64_t bytes) {
  MutexLock lock(mu_);
  used_ += bytes;
  if (stream_class == StreamClass::kProfessional) professional_used_ += bytes;
}

void StreamMemory::Release(StreamClass stream_class, uint64_t bytes) {
  MutexLock lock(mu_);
  used_ -= std::min(used_, bytes);
  if (stream_class == StreamClass::kProfessional) {
    professional_used_ -= std::min(professional_used_, bytes);
  }
}

uint64_t StreamMemory::used() const {
  MutexLock lock(mu_);
  return used_;
}

}  // namespace samrad::server
