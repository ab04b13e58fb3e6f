// Crash test of storage/store.cc: a child process appends under concurrency
// and reports every acknowledged message id through a pipe; the parent
// SIGKILLs it at a random moment, then checks with Fsck that every
// acknowledged id is on disk and the store is consistent. 20+ cycles.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

// Runs one child until `kill_after`, SIGKILLs it and returns the ids it
// acknowledged (complete lines only).
std::vector<std::string> RunAndKill(const std::string& data_dir, const std::string& kek_hex,
                                    int cycle, std::chrono::milliseconds kill_after) {
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
  std::thread reader([&] {
    char buffer[4096];
    ssize_t n;
    while ((n = read(fds[0], buffer, sizeof buffer)) > 0) received.append(buffer, n);
  });
  std::this_thread::sleep_for(kill_after);
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
  std::uniform_int_distribution<int> delay_ms(30, 400);
  size_t total_acked = 0;
  std::ofstream expect(expect_path);
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::vector<std::string> acked =
        RunAndKill(data_dir, kek_hex, cycle, std::chrono::milliseconds(delay_ms(rng)));
    for (const std::string& id : acked) expect << id << "\n";
    expect.flush();
    total_acked += acked.size();

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
  EXPECT_GT(total_acked, static_cast<size_t>(kCycles));  // the children did work
  std::printf("crash test: %d cycles, %zu acknowledged ids, all present\n", kCycles, total_acked);
}

}  // namespace
}  // namespace samrad::storage
