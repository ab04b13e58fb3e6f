// Power-loss durability of the store: "OK means the change is on disk"
// (store.h). A SIGKILL cannot test that promise (the page cache outlives the
// process), so each round runs the store on storage::PowerLossFileSystem,
// acknowledges writes from eight concurrent writers (so group commit batches
// them), cuts the power at a random acknowledgement count, drops everything
// no fsync made durable (ApplyPowerLossLedger), and runs fsck over every id
// acknowledged in any round so far: each must be present, and nothing may be
// half-written (indexes, audit chain, DEK rotation in some rounds).
//
// The same source is built a second time against a store whose commit
// pipeline does not sync (tests/storage/unsynced_store.cmake makes that
// one-line change from storage/store.cc at build time): that build defines
// SAMRAD_POWER_LOSS_EXPECT_LOSS and must see acknowledged ids lost, which
// proves this test can fail.
//
// SAMRAD_POWER_LOSS_SEED repeats a run (the seed is printed).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "storage/power_loss_fs.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "tests/storage/test_util.h"

namespace samrad::storage {
namespace {

using namespace samrad::storage::testing;  // NOLINT: test helpers

#ifdef SAMRAD_POWER_LOSS_EXPECT_LOSS
constexpr bool kExpectLoss = true;
#define SAMRAD_POWER_LOSS_TEST WithoutTheSyncedCommitAcknowledgedWritesAreLost
#else
constexpr bool kExpectLoss = false;
#define SAMRAD_POWER_LOSS_TEST EveryAcknowledgedWriteSurvivesLosingUnsyncedData
#endif

constexpr int kRounds = 16;
constexpr int kWriters = 8;
constexpr int kMaxAcksBeforeCut = 300;
// Hang guard only (a round acknowledges its writes in well under a second);
// well under the test's ctest timeout, so a hang reports itself.
constexpr auto kRoundDeadline = std::chrono::seconds(60);

// Ids acknowledged by the store, in the order the callbacks ran.
class AckLog {
 public:
  void Add(std::string id) {
    std::lock_guard lock(mu_);
    ids_.push_back(std::move(id));
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return ids_.size();
  }
  std::vector<std::string> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> ids_;
};

// Creates threads of eight messages with an audit entry each until a write
// fails (the power went out). Only acknowledged ids are logged.
void Writer(Store& store, AckLog& acks, const std::string& prefix) {
  for (int thread_number = 0;; ++thread_number) {
    std::string thread_id = absl::StrCat(prefix, "-t", thread_number);
    std::string first_id = thread_id + "-1";
    if (!CreateThreadSync(store, MakeThread(thread_id, "unit-a"),
                          ProfessionalMessage(thread_id, first_id, 1, std::string(300, 'e')))
             .ok()) {
      return;
    }
    acks.Add(first_id);
    if (!Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
           store.AppendAudit(AuditDraft{"relay", "", "power-loss-test", thread_id, ""},
                             std::move(done));
         }).ok()) {
      return;
    }
    for (int sequence = 2; sequence <= 8; ++sequence) {
      std::string id = absl::StrCat(thread_id, "-", sequence);
      if (!AppendSync(store, ProfessionalMessage(thread_id, id, sequence, std::string(300, 'f')))
               .ok()) {
        return;
      }
      acks.Add(id);
    }
  }
}

uint64_t SeedFromEnvironment() {
  uint64_t seed = 0;
  const char* text = std::getenv("SAMRAD_POWER_LOSS_SEED");
  if (text != nullptr && absl::SimpleAtoi(text, &seed)) return seed;
  return std::random_device{}();
}

struct RoundResult {
  size_t acked = 0;
  PowerLossReport cut;
  absl::StatusOr<FsckReport> fsck = FsckReport{};
};

class PowerLossTest : public ::testing::Test {
 protected:
  StoreOptions Options() const {
    StoreOptions options;
    options.data_dir = dir_.path() + "/db";
    options.kek = kek_.Clone();
    return options;
  }

  // One round: run writers on the power-loss file system, cut the power
  // after `cut_after` acknowledgements, apply the loss, fsck everything
  // acknowledged so far.
  RoundResult RunRound(int round, size_t cut_after) {
    RoundResult result;
    std::string ledger = absl::StrCat(dir_.path(), "/ledger-", round);
    absl::StatusOr<std::shared_ptr<PowerLossFileSystem>> fs = PowerLossFileSystem::New(ledger);
    EXPECT_TRUE(fs.ok()) << fs.status();
    if (!fs.ok()) return result;
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(*fs);
    {
      absl::StatusOr<std::unique_ptr<Store>> store = OpenStoreWithEnv(Options(), env.get());
      if (!store.ok()) {
        result.fsck = store.status();
        return result;
      }
      if (round % 4 == 1) {
        // Cuts land in the middle of a data-key rotation too (it resumes on open).
        absl::Status rotation = (*store)->StartDekRotation();
        EXPECT_TRUE(rotation.ok() || absl::IsFailedPrecondition(rotation)) << rotation;
      }
      AckLog acks;
      std::vector<std::thread> writers;
      for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back(Writer, std::ref(**store), std::ref(acks),
                             absl::StrCat("r", round, "-w", w));
      }
      auto deadline = std::chrono::steady_clock::now() + kRoundDeadline;
      while (acks.size() < cut_after && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      EXPECT_GE(acks.size(), cut_after) << "hang guard: the writers stopped acknowledging";
      (*fs)->CutPower();
      for (std::thread& writer : writers) writer.join();
      std::vector<std::string> ids = acks.ids();
      acknowledged_.insert(acknowledged_.end(), ids.begin(), ids.end());
      result.acked = ids.size();
    }  // the store closes with the power off: nothing more reaches the disk
    env.reset();
    absl::StatusOr<PowerLossReport> cut = ApplyPowerLossLedger(ledger);
    EXPECT_TRUE(cut.ok()) << cut.status();
    if (cut.ok()) result.cut = *cut;

    std::string expect_file = dir_.path() + "/acknowledged-ids";
    {
      std::ofstream out(expect_file, std::ios::trunc);
      for (const std::string& id : acknowledged_) out << id << "\n";
    }
    result.fsck = Fsck(Options(), expect_file);
    return result;
  }

  TempDir dir_;
  crypto::SecretBytes kek_ = RandomKek();
  std::vector<std::string> acknowledged_;
};

TEST_F(PowerLossTest, SAMRAD_POWER_LOSS_TEST) {
  uint64_t seed = SeedFromEnvironment();
  std::printf("power-loss seed %llu (SAMRAD_POWER_LOSS_SEED repeats it)\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<size_t> cut_point(1, kMaxAcksBeforeCut);

  uint64_t bytes_dropped = 0, files_deleted = 0, lost_ids = 0, broken_rounds = 0;
  for (int round = 0; round < kRounds; ++round) {
    size_t cut_after = cut_point(random);
    RoundResult result = RunRound(round, cut_after);
    bytes_dropped += result.cut.bytes_dropped;
    files_deleted += result.cut.files_deleted;
    std::printf(
        "round %d: cut after %zu acks (%zu acked), dropped %llu bytes in %llu files, deleted "
        "%llu files, undid %llu renames; ",
        round, cut_after, result.acked, static_cast<unsigned long long>(result.cut.bytes_dropped),
        static_cast<unsigned long long>(result.cut.files_truncated),
        static_cast<unsigned long long>(result.cut.files_deleted),
        static_cast<unsigned long long>(result.cut.renames_undone));
    if (!result.fsck.ok()) {
      std::printf("store unusable: %s\n", result.fsck.status().ToString().c_str());
      ++broken_rounds;
    } else {
      std::printf(
          "fsck: %llu messages, %zu of %llu acknowledged ids missing, %zu problems\n",
          static_cast<unsigned long long>(result.fsck->messages), result.fsck->missing_ids.size(),
          static_cast<unsigned long long>(result.fsck->expected_ids), result.fsck->problems.size());
      lost_ids += result.fsck->missing_ids.size();
      if (!result.fsck->problems.empty()) ++broken_rounds;
      if (!kExpectLoss) {
        EXPECT_TRUE(result.fsck->missing_ids.empty())
            << "acknowledged but lost: "
            << absl::StrJoin(result.fsck->missing_ids.begin(),
                             result.fsck->missing_ids.begin() +
                                 std::min<size_t>(10, result.fsck->missing_ids.size()),
                             ", ");
        EXPECT_TRUE(result.fsck->problems.empty()) << absl::StrJoin(result.fsck->problems, "\n");
      }
    }
    if (kExpectLoss && lost_ids > 0) break;  // shown: it can fail
    if (!kExpectLoss) {
      ASSERT_TRUE(result.fsck.ok()) << result.fsck.status();
    }
  }
  if (kExpectLoss) {
    // Lost acknowledged ids, not merely a broken store (which a bug in the
    // model itself could cause).
    EXPECT_GT(lost_ids, 0u)
        << "with the commit pipeline's synced write removed, a power loss must lose "
           "acknowledged writes; this test could not tell";
  } else {
    // The model really cut unsynced data: the test is not vacuous.
    EXPECT_GT(bytes_dropped + files_deleted, 0u);
  }
}

}  // namespace
}  // namespace samrad::storage
