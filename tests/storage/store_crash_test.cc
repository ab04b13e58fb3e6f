// Crash test of storage/store.cc: a child process appends under concurrency
// and reports every acknowledged message id through a pipe; the parent
// SIGKILLs it at a random moment, then checks with Fsck that every
// acknowledged id is on disk and the store is consistent. 20+ cycles.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "storage/schema.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"

#ifndef SAMRAD_CRASH_CHILD
#error "SAMRAD_CRASH_CHILD must name the storage_crash_child executable"
#endif

namespace samrad::storage {
namespace {

using namespace samrad::storage::testing;  // NOLINT: test helpers

constexpr int kCycles = 24;
constexpr int kWriters = 16;

// When a cycle's SIGKILL lands, counted from the child's start or from its
// first acknowledgement.
struct KillPlan {
  bool after_first_ack = false;
  std::chrono::milliseconds delay{0};
};

// Runs one child, SIGKILLs it as planned and returns the ids it acknowledged
// (complete lines only). `made_progress` tells whether the first ack came.
std::vector<std::string> RunAndKill(const std::string& data_dir, const std::string& kek_hex,
                                    int cycle, KillPlan plan, bool* made_progress) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::string cycle_arg = absl::StrCat(cycle);
  std::string writers_arg = absl::StrCat(kWriters);
  std::string fd_arg = absl::StrCat(fds[1]);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    execl(SAMRAD_CRASH_CHILD, SAMRAD_CRASH_CHILD, data_dir.c_str(), kek_hex.c_str(),
          cycle_arg.c_str(), writers_arg.c_str(), fd_arg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string received;
  std::atomic<bool> first_ack{false};
  std::thread reader([&] {
    char buffer[4096];
    ssize_t n;
    while ((n = read(fds[0], buffer, sizeof buffer)) > 0) {
      received.append(buffer, n);
      first_ack = true;
    }
  });
  if (plan.after_first_ack) {
    // Bounded: a child that acknowledges nothing in 10 s fails the test.
    for (int i = 0; i < 10'000 && !first_ack; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  *made_progress = first_ack;
  std::this_thread::sleep_for(plan.delay);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  reader.join();  // EOF once the child is gone
  close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited early with status " << status;
  std::vector<std::string> ids;
  size_t end = received.rfind('\n');
  if (end == std::string::npos) return ids;
  for (absl::string_view id : absl::StrSplit(received.substr(0, end), '\n')) {
    ids.emplace_back(id);
  }
  return ids;
}

TEST(StoreCrashTest, EveryAcknowledgedIdSurvivesSigkill) {
  TempDir dir;
  crypto::SecretBytes kek = RandomKek();
  const std::string kek_hex = absl::BytesToHexString(ToAbsl(kek.view()));
  const std::string data_dir = dir.path() + "/db";
  const std::string expect_path = dir.path() + "/acked";
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay_ms(0, 300);
  std::uniform_int_distribution<int> early_delay_ms(0, 400);
  size_t total_acked = 0;
  std::ofstream expect(expect_path);
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    // Three cycles in four kill a working child; every fourth kills at a
    // random moment from its start (during open, recovery or a rotation).
    KillPlan plan;
    plan.after_first_ack = cycle % 4 != 3;
    plan.delay =
        std::chrono::milliseconds(plan.after_first_ack ? delay_ms(rng) : early_delay_ms(rng));
    bool made_progress = false;
    std::vector<std::string> acked = RunAndKill(data_dir, kek_hex, cycle, plan, &made_progress);
    if (plan.after_first_ack) {
      ASSERT_TRUE(made_progress) << "cycle " << cycle << ": no acknowledgement within 10 s";
    }
    for (const std::string& id : acked) expect << id << "\n";
    expect.flush();
    total_acked += acked.size();

    if (total_acked == 0 && !std::filesystem::exists(data_dir + "/CURRENT")) {
      continue;  // killed before RocksDB created anything: nothing to check
    }
    StoreOptions options;
    options.data_dir = data_dir;
    options.kek = kek.Clone();
    absl::StatusOr<FsckReport> report = Fsck(std::move(options), expect_path);
    ASSERT_TRUE(report.ok()) << "cycle " << cycle << ": " << report.status();
    ASSERT_TRUE(report->problems.empty()) << "cycle " << cycle << ": " << report->problems[0];
    ASSERT_TRUE(report->missing_ids.empty())
        << "cycle " << cycle << ": acknowledged id " << report->missing_ids[0] << " is lost";
    EXPECT_EQ(report->expected_ids, total_acked);
  }
  // Each of the 18 kill-after-first-ack cycles acknowledged something.
  EXPECT_GE(total_acked, static_cast<size_t>(kCycles * 3 / 4));
  std::printf("crash test: %d cycles, %zu acknowledged ids, all present\n", kCycles, total_acked);
}

}  // namespace
}  // namespace samrad::storage
