// The samrad-bench binary as a user runs it: flags, exit status and the exact
// closing line, against its own echo baseline over mutual TLS (no relay).
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/bench/test_pki.h"

namespace samrad::bench {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

Outcome RunBench(const std::string& args) {
  const std::string command = absl::StrCat(SAMRAD_BINARY_DIR, "/samrad-bench ", args, " 2>&1");
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    outcome.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

TEST(SamradBenchToolTest, BaselineOnlyPrintsTheClosingLine) {
  const std::string dir = testing::MakeTempDir("bench-tool-test");
  absl::StatusOr<testing::TestPki> pki = testing::MakeTestPki(dir);
  ASSERT_TRUE(pki.ok()) << pki.status();
  const Outcome o = RunBench(
      absl::StrCat("--baseline-only --ca ", pki->ca_cert, " --cert ", pki->client_cert, " --key ",
                   pki->client_key, " --baseline-cert ", pki->server_cert, " --baseline-key ",
                   pki->server_key, " --channels 2 --inflight 4 --seconds 1 --warmup 0.2"));
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_TRUE(
      RE2::PartialMatch(o.out, R"((?m)^baseline qps=\d+\.\d p50_us=\d+ p99_us=\d+ errors=0$)"))
      << o.out;
  EXPECT_TRUE(RE2::PartialMatch(o.out, "errors by code: none")) << o.out;
  testing::RemoveTree(dir);
}

TEST(SamradBenchToolTest, BadFlagExitsTwoWithTheReason) {
  const Outcome o = RunBench("--target 127.0.0.1:1 --inflight=0");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.out.find("--inflight=0 is out of range"), std::string::npos) << o.out;
}

TEST(SamradBenchToolTest, UnreachableRelayIsASetupFailure) {
  const std::string dir = testing::MakeTempDir("bench-tool-test");
  absl::StatusOr<testing::TestPki> pki = testing::MakeTestPki(dir);
  ASSERT_TRUE(pki.ok()) << pki.status();
  // Port 1 on loopback: nothing listens there.
  const std::string key_file = dir + "/dir.pub";
  ASSERT_EQ(std::system(absl::StrCat("printf '%064d' 0 > ", key_file).c_str()), 0);
  const Outcome o = RunBench(absl::StrCat(
      "--target 127.0.0.1:1 --ca ", pki->ca_cert, " --cert ", pki->client_cert, " --key ",
      pki->client_key, " --directory-key ", key_file, " --connect-timeout-ms 500"));
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_NE(o.out.find("no TLS connection to 127.0.0.1:1"), std::string::npos) << o.out;
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace samrad::bench
