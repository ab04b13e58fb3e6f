// Fault injection for storage/store.cc: RocksDB runs on a file system whose
// writes fail with "no space" on demand. A failed group commit must fail
// exactly its callers with RESOURCE_EXHAUSTED ("disk full"), leave nothing
// visible, and the store must recover once writes succeed again.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "tests/storage/test_util.h"

namespace samrad::storage {
namespace {

using ::testing::HasSubstr;
using namespace samrad::storage::testing;  // NOLINT: test helpers

class FailingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>* fail)
      : FSWritableFileOwnerWrapper(std::move(file)), fail_(fail) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (*fail_) return NoSpace();
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (*fail_) return NoSpace();
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (*fail_) return NoSpace();
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (*fail_) return NoSpace();
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }

 private:
  static rocksdb::IOStatus NoSpace() {
    return rocksdb::IOStatus::NoSpace("injected: no space left on device");
  }
  const std::atomic<bool>* fail_;
};

class FailingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingFileSystem(const std::atomic<bool>* fail)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), fail_(fail) {}
  const char* Name() const override { return "FailingFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus status = target()->NewWritableFile(name, options, &file, dbg);
    if (status.ok()) *result = std::make_unique<FailingFile>(std::move(file), fail_);
    return status;
  }

 private:
  const std::atomic<bool>* fail_;
};

TEST(StoreFaultTest, FailedGroupFailsItsCallersAndTheStoreRecovers) {
  TempDir dir;
  crypto::SecretBytes kek = RandomKek();
  std::atomic<bool> fail{false};
  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(std::make_shared<FailingFileSystem>(&fail));
  StoreOptions options;
  options.data_dir = dir.path() + "/db";
  options.kek = kek.Clone();
  absl::StatusOr<std::unique_ptr<Store>> opened = OpenStoreWithEnv(std::move(options), env.get());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;

  constexpr int kThreads = 8;
  for (int i = 0; i < kThreads; ++i) {
    std::string id = absl::StrCat("t", i);
    ASSERT_TRUE(
        CreateThreadSync(store, MakeThread(id, "unit-a"), ProfessionalMessage(id, id + "-1", 1))
            .ok());
  }
  ASSERT_TRUE(Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
                store.AppendAudit(AuditDraft{"admin", "a", "before", "", ""}, std::move(done));
              }).ok());

  // The disk fills up: every caller of the failing groups hears about it.
  fail = true;
  std::mutex mu;
  std::condition_variable cv;
  int pending = kThreads;
  std::vector<absl::Status> outcomes;
  for (int i = 0; i < kThreads; ++i) {
    std::string id = absl::StrCat("t", i);
    store.AppendMessage(ProfessionalMessage(id, id + "-2", 2),
                        AuditDraft{"professional", "", "append", id, ""},
                        [&](absl::StatusOr<Appended> result) {
                          std::lock_guard lock(mu);
                          outcomes.push_back(result.status());
                          if (--pending == 0) cv.notify_all();
                        });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }
  for (const absl::Status& outcome : outcomes) {
    EXPECT_EQ(outcome.code(), absl::StatusCode::kResourceExhausted) << outcome;
    EXPECT_THAT(outcome.message(), HasSubstr("disk full"));
  }
  // Nothing of the failed groups is visible.
  EXPECT_EQ(store.GetThread("t3")->last_sequence(), 1u);
  EXPECT_EQ(store.FindMessage("t3-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.ReadAudit(0, 0, 100)->size(), 1u);

  // While the disk stays full, later writes fail with the same cause.
  EXPECT_EQ(AppendSync(store, ProfessionalMessage("t3", "t3-2", 2)).status().code(),
            absl::StatusCode::kResourceExhausted);

  // Space is freed: RocksDB recovers in the background (writes meanwhile may
  // still report the cause), then writes succeed again.
  fail = false;
  absl::StatusOr<Appended> after = AppendSync(store, ProfessionalMessage("t3", "t3-2", 2));
  for (int i = 0; i < 300 && !after.ok(); ++i) {
    EXPECT_EQ(after.status().code(), absl::StatusCode::kResourceExhausted) << after.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = AppendSync(store, ProfessionalMessage("t3", "t3-2", 2));
  }
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->thread.last_sequence(), 2u);
  absl::StatusOr<v1::AuditEntry> entry = Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
    store.AppendAudit(AuditDraft{"admin", "a", "after", "", ""}, std::move(done));
  });
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->index(), 2u);  // the failed entries used no index
  EXPECT_TRUE(store.VerifyAuditChain().ok());
  opened->reset();

  StoreOptions check;
  check.data_dir = dir.path() + "/db";
  check.kek = kek.Clone();
  absl::StatusOr<FsckReport> report = Fsck(std::move(check), "");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
}

// The first write after an open fails: RocksDB's recovery at open flushed
// every memtable, so only the store's WAL anchor (store.cc, ArmWalAnchor)
// gives Resume() a memtable to flush and thereby a fresh WAL. Without it the
// WAL writer that saw the failure would be written to again (an assertion in
// Debian's librocksdb, an error in others) and the store would not recover.
TEST(StoreFaultTest, FailureOfTheFirstWriteAfterOpenRecoversOnAFreshWal) {
  TempDir dir;
  crypto::SecretBytes kek = RandomKek();
  std::atomic<bool> fail{false};
  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(std::make_shared<FailingFileSystem>(&fail));
  auto open = [&](rocksdb::Env* with) {
    StoreOptions options;
    options.data_dir = dir.path() + "/db";
    options.kek = kek.Clone();
    return with != nullptr ? OpenStoreWithEnv(std::move(options), with)
                           : Store::Open(std::move(options));
  };
  {
    absl::StatusOr<std::unique_ptr<Store>> first = open(env.get());
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(
        CreateThreadSync(**first, MakeThread("t0", "unit-a"), ProfessionalMessage("t0", "m1", 1))
            .ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> opened = open(env.get());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  fail = true;
  EXPECT_EQ(AppendSync(store, ProfessionalMessage("t0", "m2", 2)).status().code(),
            absl::StatusCode::kResourceExhausted);
  fail = false;
  absl::StatusOr<Appended> after = AppendSync(store, ProfessionalMessage("t0", "m2", 2));
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE(AppendSync(store, ProfessionalMessage("t0", "m3", 3)).ok());
  opened->reset();

  // Reopened on the plain file system: the WAL replays everything acknowledged.
  absl::StatusOr<std::unique_ptr<Store>> reopened = open(nullptr);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->GetThread("t0")->last_sequence(), 3u);
  EXPECT_TRUE((*reopened)->FindMessage("m3").ok());
  reopened->reset();
  StoreOptions check;
  check.data_dir = dir.path() + "/db";
  check.kek = kek.Clone();
  absl::StatusOr<FsckReport> report = Fsck(std::move(check), "");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
}

}  // namespace
}  // namespace samrad::storage
