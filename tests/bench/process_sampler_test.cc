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

TEST(ProcessSamplerTest, SeesMemoryGrowthAndCpuSpentDuringTheRun) {
  ProcessSampler sampler(getpid(), std::chrono::milliseconds(10));
  sampler.Start();
  std::vector<char> block(64 << 20, 1);  // 64 MiB, touched
  volatile uint64_t sink = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) {
    for (size_t i = 0; i < block.size(); i += 4096) sink = sink + block[i];
  }
  const ProcessSampler::Summary s = sampler.Stop();
  ASSERT_TRUE(s.ok);
  EXPECT_GE(s.max_rss_kib, 64 * 1024);
  EXPECT_GT(s.cpu_seconds, 0.1);
  EXPECT_GT(s.samples, 5);
  EXPECT_NE(FormatProcessSummary(s, 1000).find("cpu_us_per_call="), std::string::npos);
}

TEST(ProcessSamplerTest, MissingProcessIsNotFound) {
  // PIDs above pid_max (at most 2^22) never exist.
  EXPECT_EQ(ReadProcess(1 << 23).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad::bench
