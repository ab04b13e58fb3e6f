// Tests of storage/fsck.cc: a clean store passes; each kind of damage that
// fsck promises to find is reported.
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace samrad::storage {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace samrad::storage::testing;  // NOLINT: test helpers

class FsckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kek_ = RandomKek();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
    ASSERT_TRUE(store.ok()) << store.status();
    for (const char* id : {"t1", "t2"}) {
      ASSERT_TRUE(CreateThreadSync(**store, MakeThread(id, "unit-a"),
                                   ProfessionalMessage(id, std::string(id) + "-1", 1))
                      .ok());
      ASSERT_TRUE(AppendSync(**store, ProfessionalMessage(id, std::string(id) + "-2", 2)).ok());
    }
    ASSERT_TRUE(Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
                  (*store)->AppendAudit(AuditDraft{"admin", "a", "x", "", ""}, std::move(done));
                }).ok());
  }

  StoreOptions Options() {
    StoreOptions options;
    options.data_dir = dir_.path() + "/db";
    options.kek = kek_.Clone();
    return options;
  }

  FsckReport Check(const std::string& expect_ids = "") {
    absl::StatusOr<FsckReport> report = Fsck(Options(), expect_ids);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : FsckReport();
  }

  void DeleteRaw(int cf, const std::string& key) {
    absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(Options(), false);
    ASSERT_TRUE(rocks.ok());
    ASSERT_TRUE(
        (*rocks)
            ->db()
            ->Delete(rocksdb::WriteOptions(), (*rocks)->cf(static_cast<schema::CfId>(cf)), key)
            .ok());
  }

  TempDir dir_;
  crypto::SecretBytes kek_;
};

TEST_F(FsckTest, CleanStorePasses) {
  FsckReport report = Check();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.threads, 2u);
  EXPECT_EQ(report.messages, 4u);
  EXPECT_EQ(report.index_entries, 4u + 2u + 2u);  // message ids, queue, expiry
  EXPECT_EQ(report.audit_entries, 1u);
}

TEST_F(FsckTest, ReportsMissingExpectedIds) {
  std::string path = dir_.path() + "/ids";
  std::ofstream(path) << "t1-1\n\n  t2-2  \nlost-1\n";
  FsckReport report = Check(path);
  EXPECT_EQ(report.expected_ids, 3u);
  EXPECT_THAT(report.missing_ids, ElementsAre("lost-1"));
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(Fsck(Options(), dir_.path() + "/absent").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FsckTest, ReportsSequenceGapAndDanglingIndexEntry) {
  DeleteRaw(schema::kMessages, schema::MessageKey("t1", 1));
  FsckReport report = Check();
  EXPECT_THAT(report.problems, Contains(HasSubstr("thread t1: message sequence 1 is missing")));
  EXPECT_THAT(report.problems, Contains(HasSubstr("message-id index entry t1-1")));
}

TEST_F(FsckTest, ReportsMissingQueueEntry) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
  ASSERT_TRUE(store.ok());
  v1::ThreadRecord thread = *(*store)->GetThread("t2");
  store->reset();
  DeleteRaw(schema::kQueueIndex, schema::QueueKey(thread));
  EXPECT_THAT(Check().problems, Contains(HasSubstr("thread t2: queue index entry")));
}

TEST_F(FsckTest, ReportsOrphanMessagesAndStaleIndexEntries) {
  DeleteRaw(schema::kThreads, "t2");
  FsckReport report = Check();
  EXPECT_THAT(report.problems, Contains(HasSubstr("of thread t2 has no thread")));
  EXPECT_THAT(report.problems,
              Contains(HasSubstr("queue index entry for thread t2 does not match")));
  EXPECT_THAT(report.problems,
              Contains(HasSubstr("expiry index entry for thread t2 does not match")));
}

TEST_F(FsckTest, ReportsBrokenAuditChain) {
  DeleteRaw(schema::kAudit, schema::AuditKey(1));
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
  ASSERT_TRUE(store.ok());
  store->reset();
  EXPECT_TRUE(Check().ok());  // an empty log is a valid chain
  // Entry 2 without entry 1.
  {
    absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(Options());
    ASSERT_TRUE(reopened.ok());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(
          Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
            (*reopened)->AppendAudit(AuditDraft{"admin", "a", "y", "", ""}, std::move(done));
          }).ok());
    }
  }
  DeleteRaw(schema::kAudit, schema::AuditKey(1));
  EXPECT_THAT(Check().problems, Contains(HasSubstr("audit entry 1")));
}

TEST_F(FsckTest, WrongKekIsRefused) {
  StoreOptions options = Options();
  options.kek = RandomKek();
  EXPECT_EQ(Fsck(std::move(options), "").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FsckTest, RunsReadOnlyBesideAnOpenStore) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
  ASSERT_TRUE(store.ok());
  // Fsck opens RocksDB read-only (no lock), so it can run beside a live
  // relay; it is meant for a closed store, where its view is final.
  absl::StatusOr<FsckReport> report = Fsck(Options(), "");
  EXPECT_TRUE(report.ok()) << report.status();
}

TEST(FsckOfInterruptedCreationTest, StoreWithoutAllColumnFamiliesIsEmptyNotCorrupt) {
  TempDir dir;
  const std::string data_dir = dir.path() + "/db";
  {
    // What a kill during the first Store::Open can leave: some families.
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, data_dir, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* threads = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "threads", &threads).ok());
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(threads).ok());
  }
  const std::string ids = dir.path() + "/ids";
  std::ofstream(ids) << "m1\n";
  crypto::SecretBytes kek = RandomKek();
  auto options = [&] {
    StoreOptions out;
    out.data_dir = data_dir;
    out.kek = kek.Clone();
    return out;
  };
  absl::StatusOr<FsckReport> report = Fsck(options(), ids);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->problems.empty());
  EXPECT_EQ(report->threads, 0u);
  EXPECT_THAT(report->missing_ids, ElementsAre("m1"));
  // The next Store::Open completes the creation.
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options());
  ASSERT_TRUE(store.ok()) << store.status();
  store->reset();
  report = Fsck(options(), "");
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST(FsckOfMissingStoreTest, IsNotFound) {
  TempDir dir;
  StoreOptions options;
  options.data_dir = dir.path() + "/nothing-here";
  options.kek = RandomKek();
  EXPECT_EQ(Fsck(std::move(options), "").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad::storage
