#include "tests/bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace samrad::bench {

int LatencyHistogram::BucketIndex(int64_t nanos) {
  if (nanos < kSubBuckets) return nanos < 0 ? 0 : static_cast<int>(nanos);
  const auto value = static_cast<uint64_t>(nanos);
  const int exponent = std::bit_width(value) - 1;  // >= kSubBucketBits
  if (exponent > kMaxExponent) return kBucketCount - 1;
  const int mantissa = static_cast<int>((value >> (exponent - kSubBucketBits)) & (kSubBuckets - 1));
  return kSubBuckets + (exponent - kSubBucketBits) * kSubBuckets + mantissa;
}

int64_t LatencyHistogram::BucketLow(int index) {
  if (index < kSubBuckets) return index;
  const int exponent = (index - kSubBuckets) / kSubBuckets + kSubBucketBits;
  const int mantissa = (index - kSubBuckets) % kSubBuckets;
  return (int64_t{1} << exponent) + (int64_t{mantissa} << (exponent - kSubBucketBits));
}

int64_t LatencyHistogram::BucketHigh(int index) {
  if (index < kSubBuckets) return index + 1;
  const int exponent = (index - kSubBuckets) / kSubBuckets + kSubBucketBits;
  return BucketLow(index) + (int64_t{1} << (exponent - kSubBucketBits));
}

void LatencyHistogram::Record(int64_t nanos) {
  if (nanos < 0) nanos = 0;
  buckets_[BucketIndex(nanos)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  int64_t seen = max_.load(std::memory_order_relaxed);
  while (nanos > seen && !max_.compare_exchange_weak(seen, nanos, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i) {
    const uint64_t n = other.buckets_[i].load(std::memory_order_relaxed);
    if (n != 0) buckets_[i].fetch_add(n, std::memory_order_relaxed);
  }
  count_.fetch_add(other.Count(), std::memory_order_relaxed);
  int64_t seen = max_.load(std::memory_order_relaxed);
  const int64_t theirs = other.Max();
  while (theirs > seen && !max_.compare_exchange_weak(seen, theirs, std::memory_order_relaxed)) {
  }
}

int64_t LatencyHistogram::Percentile(double fraction) const {
  uint64_t total = 0;
  for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(fraction * total)));
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      if (i == kBucketCount - 1) return Max();  // the open-ended overflow bucket
      const int64_t mid = BucketLow(i) + (BucketHigh(i) - BucketLow(i) - 1) / 2;
      return std::min(mid, Max());
    }
  }
  return Max();
}

}  // namespace samrad::bench
