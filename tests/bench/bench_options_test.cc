// Flag parsing: defaults, both value forms, and refusals that name the flag.
#include "tests/bench/bench_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace samrad::bench {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Base() {
  return {"samrad-bench", "--target", "127.0.0.1:7443",  "--ca",   "ca.pem", "--cert", "p.pem",
          "--key",        "p.key",    "--directory-key", "dir.pub"};
}

TEST(BenchOptionsTest, DefaultsForAPlainSubmitRun) {
  absl::StatusOr<BenchOptions> o = ParseBenchArgs(Base());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->target, "127.0.0.1:7443");
  EXPECT_EQ(o->channels, 4);
  EXPECT_EQ(o->inflight, 16);
  EXPECT_EQ(o->payload_bytes, 1024);
  EXPECT_EQ(o->county, "07");
  EXPECT_EQ(o->max_errors, -1);
  EXPECT_FALSE(o->baseline);
  EXPECT_FALSE(o->mix);
}

TEST(BenchOptionsTest, AcceptsEqualsAndSpaceForms) {
  auto args = Base();
  args.insert(args.end(), {"--channels=8", "--inflight", "8", "--seconds=2.5", "--payload", "4096",
                           "--county=12", "--ack-log", "/tmp/acks"});
  absl::StatusOr<BenchOptions> o = ParseBenchArgs(args);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->channels, 8);
  EXPECT_EQ(o->inflight, 8);
  EXPECT_DOUBLE_EQ(o->seconds, 2.5);
  EXPECT_EQ(o->payload_bytes, 4096);
  EXPECT_EQ(o->county, "12");
  EXPECT_EQ(o->ack_log, "/tmp/acks");
}

TEST(BenchOptionsTest, UntilErrorMeansOneError) {
  auto args = Base();
  args.push_back("--until-error");
  absl::StatusOr<BenchOptions> o = ParseBenchArgs(args);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->max_errors, 1);
}

TEST(BenchOptionsTest, UnknownFlagIsNamed) {
  auto args = Base();
  args.push_back("--chanels=3");
  absl::StatusOr<BenchOptions> o = ParseBenchArgs(args);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(), HasSubstr("--chanels"));
}

TEST(BenchOptionsTest, OutOfRangeAndMalformedNumbersAreRefused) {
  for (const char* bad : {"--channels=0", "--inflight=abc", "--seconds=-1", "--payload=1e99"}) {
    auto args = Base();
    args.push_back(bad);
    absl::StatusOr<BenchOptions> o = ParseBenchArgs(args);
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(o.status().message(), HasSubstr(std::string(bad).substr(0, 6))) << bad;
  }
}

TEST(BenchOptionsTest, MissingValueIsRefused) {
  auto args = Base();
  args.push_back("--channels");
  EXPECT_THAT(ParseBenchArgs(args).status().message(), HasSubstr("--channels needs a value"));
}

TEST(BenchOptionsTest, CountyMustBeTwoDigits) {
  auto args = Base();
  args.push_back("--county=7");
  EXPECT_THAT(ParseBenchArgs(args).status().message(), HasSubstr("län code"));
}

TEST(BenchOptionsTest, TargetAndIdentityAreRequired) {
  EXPECT_THAT(ParseBenchArgs({"samrad-bench"}).status().message(), HasSubstr("--target"));
  EXPECT_THAT(ParseBenchArgs({"samrad-bench", "--target=x:1"}).status().message(),
              HasSubstr("--cert"));
}

TEST(BenchOptionsTest, BaselineNeedsAServerCertificate) {
  auto args = Base();
  args.push_back("--baseline");
  EXPECT_THAT(ParseBenchArgs(args).status().message(), HasSubstr("--baseline-cert"));
  args.insert(args.end(), {"--baseline-cert=s.pem", "--baseline-key=s.key"});
  EXPECT_TRUE(ParseBenchArgs(args).ok());
}

TEST(BenchOptionsTest, MixNeedsAdviserAndAdminIdentities) {
  auto args = Base();
  args.push_back("--mix");
  EXPECT_THAT(ParseBenchArgs(args).status().message(), HasSubstr("--adviser-cert"));
  args.insert(args.end(), {"--adviser-cert=a.pem", "--adviser-key=a.key", "--adviser-id=a-1"});
  EXPECT_THAT(ParseBenchArgs(args).status().message(), HasSubstr("--directory-signing-key"));
  args.insert(args.end(),
              {"--admin-cert=m.pem", "--admin-key=m.key", "--directory-signing-key=d.seed"});
  absl::StatusOr<BenchOptions> o = ParseBenchArgs(args);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->mix);
  EXPECT_DOUBLE_EQ(o->rate, 500);
}

TEST(BenchOptionsTest, BaselineOnlyNeedsNoRelay) {
  absl::StatusOr<BenchOptions> o =
      ParseBenchArgs({"samrad-bench", "--baseline-only", "--ca=c", "--cert=p", "--key=k",
                      "--baseline-cert=s", "--baseline-key=sk"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->baseline_only);
}

TEST(BenchOptionsTest, SwitchesTakeNoValue) {
  auto args = Base();
  args.push_back("--baseline=yes");
  EXPECT_THAT(ParseBenchArgs(args).status().message(), HasSubstr("takes no value"));
}

}  // namespace
}  // namespace samrad::bench
