// Tests of server/progress.h: the figures and text of a progress line, and
// when ProgressLine draws, with an injected clock.
#include "server/progress.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace samrad::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

TEST(ComputeProgressTest, RateIsTheAverageAndEtaRoundsUp) {
  ProgressFigures f = ComputeProgress(250, 1000, 5.0);
  EXPECT_EQ(f.percent, 25);
  EXPECT_DOUBLE_EQ(f.rate_per_s, 50.0);
  EXPECT_EQ(f.eta_s, 15);
  f = ComputeProgress(300, 1000, 7.0);  // 700 / 42.86 = 16.33 -> 17
  EXPECT_EQ(f.eta_s, 17);
}

TEST(ComputeProgressTest, NoTimeNoRateNoEta) {
  ProgressFigures f = ComputeProgress(10, 100, 0.0);
  EXPECT_EQ(f.percent, 10);
  EXPECT_EQ(f.rate_per_s, 0.0);
  EXPECT_FALSE(f.eta_s.has_value());
}

TEST(ComputeProgressTest, UnknownTotalHasNoPercentOrEta) {
  ProgressFigures f = ComputeProgress(10, 0, 2.0);
  EXPECT_FALSE(f.percent.has_value());
  EXPECT_FALSE(f.eta_s.has_value());
  EXPECT_DOUBLE_EQ(f.rate_per_s, 5.0);
}

TEST(ComputeProgressTest, PastAnEstimatedTotalIsCappedAtDone) {
  ProgressFigures f = ComputeProgress(1200, 1000, 1.0);
  EXPECT_EQ(f.percent, 100);
  EXPECT_EQ(f.eta_s, 0);
}

TEST(FormatProgressLineTest, Entries) {
  EXPECT_EQ(FormatProgressLine("fsck", ProgressUnit::kEntries, 420000, 1000000, 7.0),
            "fsck: 42% 420,000/1,000,000 entries, 60,000/s, ETA 0:10");
  EXPECT_EQ(FormatProgressLine("fsck", ProgressUnit::kEntries, 999, 0, 1.0),
            "fsck: 999 entries, 999/s");
  EXPECT_EQ(FormatProgressLine("fsck", ProgressUnit::kEntries, 1, 10000, 1.0),
            "fsck: 0% 1/10,000 entries, 1/s, ETA 2:46:39");
}

TEST(FormatProgressLineTest, Bytes) {
  constexpr uint64_t kMiB = 1 << 20;
  EXPECT_EQ(FormatProgressLine("restore", ProgressUnit::kBytes, 100 * kMiB, 400 * kMiB, 2.0),
            "restore: 25% 100.0/400.0 MiB, 50.0 MiB/s, ETA 0:06");
  EXPECT_EQ(FormatProgressLine("restore", ProgressUnit::kBytes, 1024 * kMiB, 3 * 1024 * kMiB, 8.0),
            "restore: 33% 1.0/3.0 GiB, 128.0 MiB/s, ETA 0:16");
}

// A clock the test moves by hand.
struct FakeClock {
  TimePoint now{};
  ProgressLine::Clock Fn() {
    return [this] { return now; };
  }
};

// What was written to a temporary file.
std::string Contents(FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  for (int c; (c = std::fgetc(file)) != EOF;) out.push_back(static_cast<char>(c));
  return out;
}

TEST(ProgressLineTest, DrawsInPlaceAtMostOncePerInterval) {
  FakeClock clock;
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressLine line(out, true, "fsck", ProgressUnit::kEntries, clock.Fn(), milliseconds(250));
  clock.now += seconds(1);
  line.Update(100, 1000);  // first call draws
  clock.now += milliseconds(100);
  line.Update(150, 1000);  // too soon
  EXPECT_EQ(Contents(out), "\rfsck: 10% 100/1,000 entries, 100/s, ETA 0:09");
  clock.now += milliseconds(150);
  line.Update(250, 1000);
  clock.now += seconds(1);
  line.Finish();
  EXPECT_EQ(Contents(out),
            "\rfsck: 10% 100/1,000 entries, 100/s, ETA 0:09"
            "\rfsck: 25% 250/1,000 entries, 200/s, ETA 0:04"
            "\rfsck: 25% 250/1,000 entries, 111/s, ETA 0:07\n");
  std::fclose(out);
}

TEST(ProgressLineTest, BlanksWhatALongerLineLeft) {
  FakeClock clock;
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressLine line(out, true, "x", ProgressUnit::kEntries, clock.Fn(), milliseconds(0));
  clock.now += seconds(1);
  line.Update(1000, 0);  // "x: 1,000 entries, 1,000/s"
  line.Update(1, 0);     // "x: 1 entries, 1/s" + 8 spaces
  EXPECT_EQ(Contents(out), "\rx: 1,000 entries, 1,000/s\rx: 1 entries, 1/s        ");
  std::fclose(out);
}

TEST(ProgressLineTest, DisabledWritesNothing) {
  FakeClock clock;
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressLine line(out, false, "fsck", ProgressUnit::kEntries, clock.Fn());
  clock.now += seconds(1);
  line.Update(1, 2);
  line.Finish();
  EXPECT_EQ(Contents(out), "");
  std::fclose(out);
}

TEST(ProgressLineTest, FinishWithoutUpdateWritesNothing) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressLine line(out, true, "fsck", ProgressUnit::kEntries);
  line.Finish();
  EXPECT_EQ(Contents(out), "");
  std::fclose(out);
}

TEST(DirectoryBytesTest, SumsRegularFilesBelow) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("progress-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "a") << std::string(100, 'a');
  std::ofstream(dir / "sub" / "b") << std::string(23, 'b');
  EXPECT_EQ(DirectoryBytes(dir.string()), 123u);
  EXPECT_EQ(DirectoryBytes((dir / "absent").string()), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace samrad::server
