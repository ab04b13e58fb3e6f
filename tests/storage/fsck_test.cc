// Tests of storage/fsck.cc: a clean store passes; each kind of damage that
// fsck promises to find is reported.
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/sealing.h"
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

  // Seals `plaintext` for (cf, key) with the store's data key and writes it:
  // damage that authenticates, as a bug (not a bit flip) would leave.
  void WriteSealed(int cf, const std::string& key, const std::string& plaintext) {
    absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(Options(), false);
    ASSERT_TRUE(rocks.ok());
    absl::StatusOr<std::unique_ptr<Keyring>> keyring = LoadKeyring(**rocks, kek_);
    ASSERT_TRUE(keyring.ok());
    absl::StatusOr<std::string> sealed = (*keyring)->Seal(schema::kCfNames[cf], key, plaintext);
    ASSERT_TRUE(sealed.ok());
    ASSERT_TRUE((*rocks)
                    ->db()
                    ->Put(rocksdb::WriteOptions(), (*rocks)->cf(static_cast<schema::CfId>(cf)), key,
                          *sealed)
                    .ok());
  }

  v1::ThreadRecord Thread(const std::string& id) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
    EXPECT_TRUE(store.ok());
    return store.ok() ? *(*store)->GetThread(id) : v1::ThreadRecord();
  }

  // The problems of a store the fast check must find inconsistent.
  std::vector<std::string> Problems() {
    FsckReport report = Check();
    EXPECT_FALSE(report.ok());
    return report.problems;
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

TEST_F(FsckTest, ExpectedIdsAreFoundInAnyOrderNearAndFar) {
  // Enough ids that the one pass over the index both steps (ids close
  // together) and seeks (ids far apart).
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
    ASSERT_TRUE(store.ok());
    for (int i = 10; i < 40; ++i) {
      const std::string id = "u" + std::to_string(i);
      ASSERT_TRUE(
          CreateThreadSync(**store, MakeThread(id, "unit-a"), ProfessionalMessage(id, id + "-1", 1))
              .ok());
    }
  }
  std::string path = dir_.path() + "/ids";
  std::ofstream(path) << "u39-1\nu10-1\nlost-b\nu11-1\nu25-1\nlost-a\nu10-1\nt2-2\nzz\nu38-1\n"
                         "lost-b\n";
  FsckReport report = Check(path);
  EXPECT_EQ(report.expected_ids, 11u);
  EXPECT_THAT(report.missing_ids, ElementsAre("lost-b", "lost-a", "zz", "lost-b"));
  EXPECT_TRUE(report.problems.empty());
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

// Each inconsistency below is one the fast check (one scan per column
// family, relations compared as digests) has to notice on its own: if it
// passed the store, Fsck would report it clean.

TEST_F(FsckTest, FastCheckFindsMessagesBeforeTheFirstThread) {
  DeleteRaw(schema::kThreads, "t1");  // t1's messages now sort before any thread
  EXPECT_THAT(Problems(), Contains(HasSubstr("of thread t1 has no thread")));
}

TEST_F(FsckTest, FastCheckFindsAMissingLastMessage) {
  DeleteRaw(schema::kMessages, schema::MessageKey("t2", 2));
  EXPECT_THAT(Problems(),
              Contains(HasSubstr("thread t2: has messages up to 1 but last_sequence 2")));
}

TEST_F(FsckTest, FastCheckFindsAValueMovedToAnotherKey) {
  absl::StatusOr<std::string> sealed =
      ReadRaw(Options(), schema::kMessages, schema::MessageKey("t1", 1));
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(WriteRaw(Options(), schema::kMessages, schema::MessageKey("t1", 2), *sealed).ok());
  EXPECT_THAT(Problems(), Contains(HasSubstr("thread t1 message 2: value does not decrypt")));
}

TEST_F(FsckTest, FastCheckFindsAMessageThatDoesNotMatchItsKey) {
  v1::StoredMessage message = ProfessionalMessage("t1", "t1-2", 3);  // stored at sequence 2
  WriteSealed(schema::kMessages, schema::MessageKey("t1", 2), message.SerializeAsString());
  EXPECT_THAT(Problems(), Contains(HasSubstr("thread t1 message 2: record does not parse or "
                                             "does not match its key")));
}

TEST_F(FsckTest, FastCheckFindsAMalformedMessageKey) {
  WriteSealed(schema::kMessages, std::string("t1\0abc", 6), "x");
  EXPECT_THAT(Problems(), Contains(HasSubstr("malformed")));
}

TEST_F(FsckTest, FastCheckFindsAMessageIdIndexPointingElsewhere) {
  WriteSealed(schema::kMessageIds, "t1-1", schema::MessageLocation("t2", 1));
  std::vector<std::string> problems = Problems();
  EXPECT_THAT(
      problems,
      Contains(HasSubstr("thread t1 message 1: message-id index entry is missing or wrong")));
  EXPECT_THAT(problems, Contains(HasSubstr("message-id index entry t1-1: points to a missing or "
                                           "different message")));
}

TEST_F(FsckTest, FastCheckFindsAMissingMessageIdIndexEntry) {
  DeleteRaw(schema::kMessageIds, "t2-2");
  EXPECT_THAT(
      Problems(),
      Contains(HasSubstr("thread t2 message 2: message-id index entry is missing or wrong")));
}

TEST_F(FsckTest, FastCheckFindsAnExtraMessageIdIndexEntry) {
  WriteSealed(schema::kMessageIds, "ghost", schema::MessageLocation("t1", 1));
  EXPECT_THAT(Problems(), Contains(HasSubstr("message-id index entry ghost: points to a missing "
                                             "or different message")));
}

TEST_F(FsckTest, FastCheckFindsAWrongQueueValue) {
  v1::ThreadRecord thread = Thread("t1");
  WriteSealed(schema::kQueueIndex, schema::QueueKey(thread),
              std::string(1, static_cast<char>(v1::CATEGORY_OTHER + 1)));
  EXPECT_THAT(Problems(), Contains(HasSubstr("thread t1: queue index entry is missing or wrong")));
}

TEST_F(FsckTest, FastCheckFindsAStaleQueueEntryOfALiveThread) {
  v1::ThreadRecord thread = Thread("t1");
  const std::string value = schema::QueueValue(thread);
  thread.set_created_at_unix_ms(thread.created_at_unix_ms() + 1);
  WriteSealed(schema::kQueueIndex, schema::QueueKey(thread), value);
  EXPECT_THAT(Problems(),
              Contains(HasSubstr("queue index entry for thread t1 does not match a thread")));
}

TEST_F(FsckTest, FastCheckFindsAMissingExpiryEntry) {
  DeleteRaw(schema::kExpiryIndex, schema::ExpiryKey(Thread("t2")));
  EXPECT_THAT(Problems(), Contains(HasSubstr("thread t2: expiry index entry is missing")));
}

TEST_F(FsckTest, FastCheckFindsAStaleExpiryEntryOfALiveThread) {
  v1::ThreadRecord thread = Thread("t2");
  thread.set_last_activity_unix_ms(thread.last_activity_unix_ms() - 1);
  WriteSealed(schema::kExpiryIndex, schema::ExpiryKey(thread), "");
  EXPECT_THAT(Problems(),
              Contains(HasSubstr("expiry index entry for thread t2 does not match a thread")));
}

TEST_F(FsckTest, FastCheckFindsAThreadRecordUnderAnotherKey) {
  WriteSealed(schema::kThreads, "t3", Thread("t1").SerializeAsString());
  EXPECT_THAT(Problems(),
              Contains(HasSubstr("thread t3: record is stored under another thread's key")));
}

TEST_F(FsckTest, FastCheckFindsAnUndecryptableValueInTheSmallFamilies) {
  ASSERT_TRUE(WriteRaw(Options(), schema::kRevocations, "00ff", "not sealed").ok());
  EXPECT_THAT(Problems(), Contains(HasSubstr("revocations: value does not decrypt")));
}

TEST_F(FsckTest, FastCheckFindsAnUndecryptableIndexValue) {
  ASSERT_TRUE(
      WriteRaw(Options(), schema::kExpiryIndex, schema::ExpiryKey(Thread("t1")), "garbage").ok());
  EXPECT_THAT(Problems(), Contains(HasSubstr("expiry index entry: value does not decrypt")));
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
