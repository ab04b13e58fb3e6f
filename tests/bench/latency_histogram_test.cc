// The histogram's percentiles against exact order statistics.
#include "tests/bench/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace samrad::bench {
namespace {

int64_t ExactPercentile(std::vector<int64_t> values, double fraction) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(std::ceil(fraction * values.size()));
  return values[std::max<size_t>(rank, 1) - 1];
}

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.Percentile(0.99), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 0; v < 64; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(0.5), 31);
  EXPECT_EQ(h.Percentile(1.0), 63);
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGaps) {
  for (int i = 0; i + 1 < LatencyHistogram::kBucketCount; ++i) {
    ASSERT_EQ(LatencyHistogram::BucketHigh(i), LatencyHistogram::BucketLow(i + 1)) << i;
    ASSERT_EQ(LatencyHistogram::BucketIndex(LatencyHistogram::BucketLow(i)), i);
    ASSERT_EQ(LatencyHistogram::BucketIndex(LatencyHistogram::BucketHigh(i) - 1), i);
  }
}

TEST(LatencyHistogramTest, PercentilesWithinOnePercentOfExact) {
  std::mt19937_64 rng(42);
  // Log-normal around 1 ms with a heavy tail, like RPC latencies.
  std::lognormal_distribution<double> dist(std::log(1e6), 0.8);
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  for (double p : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = ExactPercentile(values, p);
    EXPECT_NEAR(h.Percentile(p), exact, exact * 0.01) << "p=" << p;
  }
  EXPECT_EQ(h.Count(), values.size());
  EXPECT_EQ(h.Max(), *std::max_element(values.begin(), values.end()));
}

TEST(LatencyHistogramTest, TailIsNotHiddenByTheBody) {
  LatencyHistogram h;
  for (int i = 0; i < 980; ++i) h.Record(1'000'000);  // 1 ms
  for (int i = 0; i < 20; ++i) h.Record(50'000'000);  // 50 ms: 2 % of calls
  EXPECT_NEAR(h.Percentile(0.5), 1'000'000, 10'000);
  EXPECT_NEAR(h.Percentile(0.99), 50'000'000, 500'000);
}

TEST(LatencyHistogramTest, ConcurrentRecordsAreAllCounted) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 50000; ++i) h.Record(1000 * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.Count(), 200000u);
  EXPECT_EQ(h.Max(), 4000);
}

TEST(LatencyHistogramTest, MergeAddsCountsAndMax) {
  LatencyHistogram a, b;
  a.Record(100);
  b.Record(5'000'000);
  b.Record(7);
  a.Merge(b);
  EXPECT_EQ(a.Count(), 3u);
  EXPECT_EQ(a.Max(), 5'000'000);
  EXPECT_EQ(a.Percentile(0.33), 7);
  EXPECT_EQ(a.Percentile(0.34), 100);
}

TEST(LatencyHistogramTest, HugeAndNegativeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(int64_t{1} << 60);
  EXPECT_EQ(h.Count(), 2u);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.Percentile(1.0), int64_t{1} << 60);
}

}  // namespace
}  // namespace samrad::bench
