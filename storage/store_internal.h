// Pieces of the Store that Fsck and tests share (internal to samrad_storage):
// the audit chain's checks (audit_chain.h) and opening on a test Env.
#ifndef SAMRAD_STORAGE_STORE_INTERNAL_H_
#define SAMRAD_STORAGE_STORE_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/records.pb.h"
#include "storage/audit_chain.h"
#include "storage/rocks.h"
#include "storage/sealing.h"
#include "storage/store.h"

namespace samrad::storage {

// Store::Open with RocksDB on `env` (not owned; must outlive the store), for
// fault-injection tests. Store::Open is OpenStoreWithEnv(options, nullptr).
absl::StatusOr<std::unique_ptr<Store>> OpenStoreWithEnv(StoreOptions options, rocksdb::Env* env);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_STORE_INTERNAL_H_
