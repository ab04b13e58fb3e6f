// Retention's named steps (storage/retention.h) one at a time, against a
// real RocksDB store: the cutoffs, the expiry index scan, closing and purging
// one thread inside a Txn, and the key ranges compacted afterwards.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/audit_chain.h"
#include "storage/compaction.h"
#include "storage/retention.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/store.h"
#include "storage/txn.h"
#include "tests/storage/test_util.h"

namespace samrad::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace samrad::storage::testing;  // NOLINT: test helpers

constexpr int64_t kT0 = 1'700'000'000'000;

TEST(RetentionCutoffsTest, AreNowMinusTheDaysAndRefuseNegativeDays) {
  absl::StatusOr<RetentionCutoffs> cutoffs = RetentionCutoffsAt({90, 30, false}, kT0);
  ASSERT_TRUE(cutoffs.ok()) << cutoffs.status();
  EXPECT_EQ(cutoffs->closed_before, kT0 - 90 * kDayMs);
  EXPECT_EQ(cutoffs->inactive_before, kT0 - 30 * kDayMs);
  EXPECT_EQ(RetentionCutoffsAt({-1, 30, false}, kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RetentionCutoffsAt({90, -1, false}, kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyRangesTest, KeepTheSmallestAndLargestKeyPerFamilyInFamilyOrder) {
  KeyRanges ranges;
  EXPECT_TRUE(ranges.empty());
  ranges.Touch(schema::kMessages, "m5");
  ranges.Touch(schema::kThreads, "t2");
  ranges.Touch(schema::kMessages, "m1");
  ranges.Touch(schema::kMessages, "m9");
  ranges.Touch(schema::kMessages, "m3");
  EXPECT_FALSE(ranges.empty());
  std::vector<CompactionRange> out = ranges.ToCompactionRanges();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].cf, schema::kThreads);
  EXPECT_EQ(out[0].bounds, std::make_pair(std::string("t2"), std::string("t2")));
  EXPECT_EQ(out[1].cf, schema::kMessages);
  EXPECT_EQ(out[1].bounds, std::make_pair(std::string("m1"), std::string("m9")));
}

// A store with "old" (created at kT0, closed at kT0 + 1 day, two messages),
// "idle" (last activity kT0 + 2 days) and "busy" (kT0 + 20 days), then
// closed, so the steps run on its RocksDB directly.
class RetentionStepsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_.File("store");
    options_.kek = RandomKek();
    options_.clock = [this] { return now_; };
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(CopyOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    Create(**store, "old", kT0);
    ASSERT_TRUE(AppendSync(**store, ProfessionalMessage("old", "old-2", 2)).ok());
    now_ = kT0 + kDayMs;
    ASSERT_TRUE(AwaitClose(**store, "old").ok());
    Create(**store, "idle", kT0 + 2 * kDayMs);
    Create(**store, "busy", kT0 + 20 * kDayMs);
  }

  StoreOptions CopyOptions() {
    StoreOptions copy;
    copy.data_dir = options_.data_dir;
    copy.kek = options_.kek.Clone();
    copy.clock = options_.clock;
    return copy;
  }

  void Create(Store& store, const std::string& id, int64_t at) {
    now_ = at;
    ASSERT_TRUE(
        CreateThreadSync(store, MakeThread(id, "unit-a"), ProfessionalMessage(id, id + "-1", 1))
            .ok());
  }

  static absl::Status AwaitClose(Store& store, const std::string& id) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
             store.Close(id, "", std::nullopt, std::move(done));
           })
        .status();
  }

  // Opens the closed store's RocksDB for the steps.
  void OpenRaw() {
    absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(options_, false);
    ASSERT_TRUE(rocks.ok()) << rocks.status();
    rocks_ = *std::move(rocks);
    absl::StatusOr<std::unique_ptr<Keyring>> keyring = LoadKeyring(*rocks_, options_.kek);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    absl::StatusOr<AuditHead> head = LoadAuditHead(*rocks_, *keyring_);
    ASSERT_TRUE(head.ok()) << head.status();
    head_ = *head;
  }

  absl::Status WriteAndClose(Txn& txn) {
    rocksdb::WriteOptions write;
    write.sync = true;
    absl::Status status = FromRocks(rocks_->db()->Write(write, txn.write_batch()), "test write");
    keyring_.reset();
    absl::Status closed = rocks_->Close();
    rocks_.reset();
    return status.ok() ? closed : status;
  }

  TempDir dir_;
  StoreOptions options_;
  int64_t now_ = kT0;
  std::unique_ptr<RocksHandle> rocks_;
  std::unique_ptr<Keyring> keyring_;
  AuditHead head_;
};

TEST_F(RetentionStepsTest, ThreadsDueAreThoseBeforeTheCutoffOldestFirst) {
  ASSERT_NO_FATAL_FAILURE(OpenRaw());
  absl::StatusOr<std::vector<std::string>> active =
      ThreadsDue(*rocks_, schema::kExpiryActive, kT0 + 10 * kDayMs);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_THAT(*active, ElementsAre("idle"));
  active = ThreadsDue(*rocks_, schema::kExpiryActive, kT0 + 30 * kDayMs);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_THAT(*active, ElementsAre("idle", "busy"));
  absl::StatusOr<std::vector<std::string>> closed =
      ThreadsDue(*rocks_, schema::kExpiryClosed, kT0 + kDayMs);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_THAT(*closed, IsEmpty());  // closed at the cutoff, not before it
  closed = ThreadsDue(*rocks_, schema::kExpiryClosed, kT0 + kDayMs + 1);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_THAT(*closed, ElementsAre("old"));
}

TEST_F(RetentionStepsTest, CloseIfInactiveClosesOnlyAThreadIdleSinceTheCutoff) {
  ASSERT_NO_FATAL_FAILURE(OpenRaw());
  Txn txn(*rocks_, *keyring_, head_);
  txn.BeginOp(kT0 + 30 * kDayMs);
  const int64_t cutoff = kT0 + 10 * kDayMs;
  for (const char* untouched : {"busy", "old", "gone"}) {
    absl::StatusOr<bool> closed = CloseIfInactive(txn, untouched, cutoff);
    ASSERT_TRUE(closed.ok()) << untouched << ": " << closed.status();
    EXPECT_FALSE(*closed) << untouched;
  }
  EXPECT_EQ(txn.pending_writes(), 0u);
  absl::StatusOr<bool> closed = CloseIfInactive(txn, "idle", cutoff);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(*closed);
  txn.EndOp(true);
  ASSERT_TRUE(WriteAndClose(txn).ok());

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(CopyOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->GetThread("idle")->state(), v1::THREAD_STATE_CLOSED);
  EXPECT_EQ((*store)->GetThread("busy")->state(), v1::THREAD_STATE_OPEN);
  ASSERT_TRUE((*store)->VerifyAuditChain().ok());
  absl::StatusOr<std::vector<v1::AuditEntry>> audit = (*store)->ReadAudit(0, 0, 0);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->back().action(), "retention-close");
  EXPECT_EQ(audit->back().thread_id(), "idle");
}

TEST_F(RetentionStepsTest, PurgeIfExpiredDeletesEveryKeyOfTheThreadAndNamesTheirRanges) {
  ASSERT_NO_FATAL_FAILURE(OpenRaw());
  Txn txn(*rocks_, *keyring_, head_);
  txn.BeginOp(kT0 + 100 * kDayMs);
  KeyRanges touched;
  const int64_t cutoff = kT0 + 2 * kDayMs;
  for (const char* untouched : {"idle", "busy", "gone"}) {
    absl::StatusOr<std::optional<uint64_t>> purged =
        PurgeIfExpired(txn, untouched, cutoff, touched);
    ASSERT_TRUE(purged.ok()) << untouched << ": " << purged.status();
    EXPECT_FALSE(purged->has_value()) << untouched;
  }
  EXPECT_TRUE(touched.empty());
  // Closed at kT0 + 1 day: not yet past a cutoff at that very time.
  absl::StatusOr<std::optional<uint64_t>> purged =
      PurgeIfExpired(txn, "old", kT0 + kDayMs, touched);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_FALSE(purged->has_value());
  EXPECT_EQ(txn.pending_writes(), 0u);

  purged = PurgeIfExpired(txn, "old", cutoff, touched);
  ASSERT_TRUE(purged.ok()) << purged.status();
  ASSERT_TRUE(purged->has_value());
  EXPECT_EQ(**purged, 2u);
  std::vector<schema::CfId> families;
  for (const CompactionRange& range : touched.ToCompactionRanges()) families.push_back(range.cf);
  EXPECT_THAT(families, ::testing::UnorderedElementsAre(schema::kThreads, schema::kMessages,
                                                        schema::kQueueIndex, schema::kExpiryIndex,
                                                        schema::kMessageIds));
  txn.EndOp(true);
  ASSERT_TRUE(WriteAndClose(txn).ok());

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(CopyOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->GetThread("old").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->FindMessage("old-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->FindMessage("old-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*store)->GetThread("idle").ok());
  ASSERT_TRUE((*store)->VerifyAuditChain().ok());
  absl::StatusOr<std::vector<v1::AuditEntry>> audit = (*store)->ReadAudit(0, 0, 0);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->back().action(), "purge");
  EXPECT_EQ(audit->back().thread_id(), "old");
  // The expiry index no longer names it.
  store->reset();
  ASSERT_NO_FATAL_FAILURE(OpenRaw());
  absl::StatusOr<std::vector<std::string>> closed =
      ThreadsDue(*rocks_, schema::kExpiryClosed, kT0 + 100 * kDayMs);
  ASSERT_TRUE(closed.ok());
  EXPECT_THAT(*closed, IsEmpty());
}

TEST_F(RetentionStepsTest, AFailedOpLeavesNeitherItsWritesNorItsAuditEntry) {
  ASSERT_NO_FATAL_FAILURE(OpenRaw());
  const AuditHead before = head_;
  Txn txn(*rocks_, *keyring_, head_);
  txn.BeginOp(kT0 + 30 * kDayMs);
  absl::StatusOr<bool> closed = CloseIfInactive(txn, "idle", kT0 + 10 * kDayMs);
  ASSERT_TRUE(closed.ok() && *closed);
  EXPECT_GT(txn.pending_writes(), 0u);
  EXPECT_EQ(head_.index, before.index + 1);
  txn.EndOp(false);  // as the pipeline does when the op returns an error
  EXPECT_EQ(txn.pending_writes(), 0u);
  EXPECT_EQ(head_.index, before.index);
  EXPECT_EQ(head_.hash, before.hash);
}

}  // namespace
}  // namespace samrad::storage
