// A lock-free latency histogram with bounded relative error, for the load
// tool's p50/p99 figures.
//
// Values are nanoseconds. Buckets are log-linear: exact below 64 ns, then 64
// sub-buckets per power of two, so a reported percentile is within 1/128
// (0.8 %) of a recorded value. Record() is wait-free and may be called from
// any number of threads; Percentile()/Count() read a consistent-enough view
// while recording continues and an exact one after it stops.
#ifndef SAMRAD_TESTS_BENCH_LATENCY_HISTOGRAM_H_
#define SAMRAD_TESTS_BENCH_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace samrad::bench {

class LatencyHistogram {
 public:
  // Largest value kept apart; larger values land in the last bucket.
  static constexpr int kMaxExponent = 42;  // ~73 minutes in ns
  static constexpr int kSubBucketBits = 6;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBucketCount =
      kSubBuckets + (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Adds one sample. Negative values count as 0.
  void Record(int64_t nanos);
  // Adds every sample of `other` (other must not be recording concurrently).
  void Merge(const LatencyHistogram& other);

  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  int64_t Max() const { return max_.load(std::memory_order_relaxed); }
  // The value at or below which `fraction` (0 < fraction <= 1) of the samples
  // lie, in nanoseconds: the midpoint of the bucket holding that rank, clamped
  // to the recorded maximum. 0 when empty.
  int64_t Percentile(double fraction) const;

  // Exposed for tests: the bucket a value lands in and that bucket's range.
  static int BucketIndex(int64_t nanos);
  static int64_t BucketLow(int index);
  static int64_t BucketHigh(int index);  // exclusive

 private:
  std::array<std::atomic<uint64_t>, kBucketCount> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> max_{0};
};

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_LATENCY_HISTOGRAM_H_
