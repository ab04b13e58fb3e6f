// StoreWriteHealth (server/write_health.h): which store write outcomes turn
// the relay's health NOT_SERVING and back.
#include "server/write_health.h"

#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/status.h"
#include "storage/rocks.h"
#include "storage/store.h"

namespace samrad::server {
namespace {

// The status the store returns for a write that found its volume full.
absl::Status DiskFull() {
  absl::Status full = storage::FromRocks(rocksdb::Status::NoSpace("injected"), "commit");
  EXPECT_TRUE(storage::IsDiskFull(full)) << full;
  return full;
}

TEST(StoreWriteHealthTest, FullVolumeMakesItUnwritableUntilAWriteSucceeds) {
  std::vector<bool> changes;
  StoreWriteHealth health([&](bool writable) { changes.push_back(writable); });
  EXPECT_TRUE(health.writable());
  health.Record(absl::OkStatus());
  EXPECT_TRUE(changes.empty()) << "no change, no call";

  health.Record(DiskFull());
  EXPECT_FALSE(health.writable());
  health.Record(DiskFull());
  health.Record(absl::InternalError("io error"));
  EXPECT_EQ(changes, std::vector<bool>({false})) << "one call per transition";

  health.Record(absl::OkStatus());
  EXPECT_TRUE(health.writable());
  EXPECT_EQ(changes, std::vector<bool>({false, true}));
}

TEST(StoreWriteHealthTest, StoreFailuresOtherThanSpaceCountToo) {
  for (const absl::Status& failure : {absl::InternalError("io"), absl::UnavailableError("busy"),
                                      absl::DataLossError("torn"), absl::UnknownError("?")}) {
    StoreWriteHealth health(nullptr);
    health.Record(failure);
    EXPECT_FALSE(health.writable()) << failure;
  }
}

TEST(StoreWriteHealthTest, RefusedRequestsSayNothingAboutTheDisk) {
  StoreWriteHealth health(nullptr);
  for (const absl::Status& refusal :
       {absl::NotFoundError("no thread"), absl::FailedPreconditionError("claimed"),
        absl::AlreadyExistsError("id"), absl::InvalidArgumentError("rewraps"),
        absl::ResourceExhaustedError("rate limited, not the disk")}) {
    health.Record(refusal);
    EXPECT_TRUE(health.writable()) << refusal;
  }
  health.Record(DiskFull());
  health.Record(absl::FailedPreconditionError("claimed"));
  EXPECT_FALSE(health.writable()) << "a refusal does not prove the disk writable";
}

}  // namespace
}  // namespace samrad::server
