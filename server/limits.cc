#include "server/limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace samrad::server {

RateLimiter::RateLimiter(double rate_per_second, double burst)
    : rate_per_ms_(rate_per_second / 1000.0), burst_(burst) {}

absl::Status RateLimiter::Acquire(absl::string_view key, int64_t now_ms) {
  MutexLock lock(mu_);
  // Forget buckets that have refilled completely (bounded memory).
  const int64_t full_after_ms = static_cast<int64_t>(std::ceil(burst_ / rate_per_ms_));
  if (now_ms - last_prune_ms_ > std::max<int64_t>(full_after_ms, 60000)) {
    last_prune_ms_ = now_ms;
    absl::erase_if(buckets_,
                   [&](const auto& kv) { return now_ms - kv.second.updated_ms > full_after_ms; });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
  Bucket& bucket = it->second;
  if (!inserted && now_ms > bucket.updated_ms) {
    bucket.tokens = std::min(
        burst_, bucket.tokens + static_cast<double>(now_ms - bucket.updated_ms) * rate_per_ms_);
    bucket.updated_ms = now_ms;
  }
  if (bucket.tokens < 1.0) {
    const double wait_ms = (1.0 - bucket.tokens) / rate_per_ms_;
    return absl::ResourceExhaustedError(
        absl::StrCat("rate limit reached for this certificate; retry in ",
                     static_cast<int64_t>(std::ceil(wait_ms)), " ms"));
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
    return absl::UnauthenticatedError(
        "this ownership proof was already used; sign a fresh proof (new nonce) for every call");
  }
  if (seen_.size() >= max_entries_) PruneLocked(now_ms);
  if (seen_.size() >= max_entries_) {
    return absl::ResourceExhaustedError("too many recent ownership proofs; retry shortly");
  }
  // After timestamp + window the proof is refused by the window check anyway.
  seen_[std::move(key)] = proof_timestamp_ms + window_ms_;
  return absl::OkStatus();
}

StreamBudget::StreamBudget(uint32_t max_total, uint32_t max_per_identity)
    : max_total_(max_total), max_per_identity_(max_per_identity) {}

absl::Status StreamBudget::Acquire(const std::string& identity_key) {
  MutexLock lock(mu_);
  if (total_ >= max_total_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the relay has ", total_, " open streams, its limit; retry later"));
  }
  uint32_t& mine = per_identity_[identity_key];
  if (mine >= max_per_identity_) {
    return absl::ResourceExhaustedError(absl::StrCat("this certificate already has ", mine,
                                                     " open streams (limit ", max_per_identity_,
                                                     "); close one first"));
  }
  ++mine;
  ++total_;
  return absl::OkStatus();
}

void StreamBudget::Release(const std::string& identity_key) {
  MutexLock lock(mu_);
  auto it = per_identity_.find(identity_key);
  if (it == per_identity_.end() || it->second == 0 || total_ == 0) return;
  if (--it->second == 0) per_identity_.erase(it);
  --total_;
}

uint32_t StreamBudget::open() const {
  MutexLock lock(mu_);
  return total_;
}

}  // namespace samrad::server
