// storage's public headers name no RocksDB type: they compile on their own
// and pull in no RocksDB header (every RocksDB header defines
// ROCKSDB_NAMESPACE), so samrad_storage can link RocksDB PRIVATE.
#include "storage/fsck.h"
#include "storage/options.h"
#include "storage/simulated_disk.h"
#include "storage/stats.h"
#include "storage/store.h"

#ifdef ROCKSDB_NAMESPACE
#error "a public storage header includes a RocksDB header; keep RocksDB in internal headers"
#endif

#include "gtest/gtest.h"

namespace samrad::storage {
namespace {

// The compile-time check above is the test; this names what it guards.
TEST(StoragePublicHeadersTest, IncludeNoRocksDbHeader) {
  StoreOptions options;
  StatsQuery query;
  EXPECT_EQ(options.data_dir, "");
  EXPECT_EQ(query.period, StatsPeriod::kUnspecified);
}

}  // namespace
}  // namespace samrad::storage
