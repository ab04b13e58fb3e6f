// The ack log keeps every line whole under concurrent appends.
#include "tests/bench/ack_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/bench/test_pki.h"

namespace samrad::bench {
namespace {

TEST(AckLogTest, ConcurrentAppendsProduceWholeDistinctLines) {
  const std::string dir = testing::MakeTempDir("ack-log-test");
  ASSERT_FALSE(dir.empty());
  const std::string path = dir + "/acks";
  {
    absl::StatusOr<std::unique_ptr<AckLog>> log = AckLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 2000; ++i) {
          ASSERT_TRUE((*log)->Append(absl::StrCat(std::string(24, 'a' + t), i)).ok());
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  std::ifstream in(path);
  std::set<std::string> lines;
  std::string line;
  size_t count = 0;
  while (std::getline(in, line)) {
    ++count;
    ASSERT_GE(line.size(), 25u) << "torn line: " << line;
    lines.insert(line);
  }
  EXPECT_EQ(count, 8000u);
  EXPECT_EQ(lines.size(), 8000u);
  testing::RemoveTree(dir);
}

TEST(AckLogTest, UnwritablePathIsNamed) {
  absl::StatusOr<std::unique_ptr<AckLog>> log = AckLog::Open("/nonexistent-dir/acks");
  EXPECT_EQ(log.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(log.status().message().find("/nonexistent-dir/acks"), std::string::npos);
}

}  // namespace
}  // namespace samrad::bench
