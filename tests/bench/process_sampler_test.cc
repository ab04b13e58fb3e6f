// Sampling this very process through /proc.
#include "tests/bench/process_sampler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace samrad::bench {
namespace {

TEST(ProcessSamplerTest, ReadsOwnMemoryAndCpu) {
  absl::StatusOr<ProcessSnapshot> snap = ReadProcess(getpid());
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_GT(snap->rss_kib, 0);
  EXPECT_GE(snap->hwm_kib, snap->rss_kib);
  EXPECT_GE(snap->cpu_seconds, 0);
}

// Functional, not timed: the test works until /proc shows the CPU it spent
// and the sampler has taken its samples, then checks that the summary saw
// both. The two-minute limit is only a hang guard.
TEST(ProcessSamplerTest, SeesMemoryGrowthAndCpuSpentDuringTheRun) {
  constexpr double kCpuSeconds = 0.1;
  constexpr int kSamples = 6;
  ProcessSampler sampler(getpid(), std::chrono::milliseconds(10));
  sampler.Start();
  absl::StatusOr<ProcessSnapshot> before = ReadProcess(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  std::vector<char> block(64 << 20, 1);  // 64 MiB, touched
  volatile uint64_t sink = 0;
  double spent = 0;
  const auto hang_guard = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (spent < kCpuSeconds || sampler.samples_so_far() < kSamples) {
    ASSERT_LT(std::chrono::steady_clock::now(), hang_guard)
        << "hang guard: cpu " << spent << " s, samples " << sampler.samples_so_far();
    for (size_t i = 0; i < block.size(); i += 4096) sink = sink + block[i];
    absl::StatusOr<ProcessSnapshot> now = ReadProcess(getpid());
    ASSERT_TRUE(now.ok()) << now.status();
    spent = now->cpu_seconds - before->cpu_seconds;
  }
  const ProcessSampler::Summary s = sampler.Stop();
  ASSERT_TRUE(s.ok);
  EXPECT_GE(s.max_rss_kib, 64 * 1024);
  // The sampler's first reading precedes `before` and its last follows the
  // loop, on the same /proc counters.
  EXPECT_GE(s.cpu_seconds + 1e-9, spent);
  EXPECT_GE(s.samples, kSamples + 1);  // plus the one Stop() takes
  EXPECT_NE(FormatProcessSummary(s, 1000).find("cpu_us_per_call="), std::string::npos);
}

TEST(ProcessSamplerTest, MissingProcessIsNotFound) {
  // PIDs above pid_max (at most 2^22) never exist.
  EXPECT_EQ(ReadProcess(1 << 23).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad::bench
