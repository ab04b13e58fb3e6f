// Pieces of the Store that Fsck and tests share (internal to samrad_storage).
#ifndef SAMRAD_STORAGE_STORE_INTERNAL_H_
#define SAMRAD_STORAGE_STORE_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/records.pb.h"
#include "storage/rocks.h"
#include "storage/sealing.h"
#include "storage/store.h"

namespace samrad::storage {

// hash = SHA-256("samrad-audit-v1" || prev_hash || entry with hash cleared).
absl::StatusOr<std::string> ComputeAuditHash(const v1::AuditEntry& entry);

// DATA_LOSS naming `expected_index` when the entry's index, link or hash is
// wrong.
absl::Status VerifyAuditEntry(const v1::AuditEntry& entry, uint64_t expected_index,
                              std::string_view expected_prev_hash);

// Walks the whole audit log: OK, or DATA_LOSS naming the first broken entry
// (undecryptable, unparsable, missing, mislinked or with a wrong hash).
// `entries`, when not null, receives the number of entries checked.
absl::Status VerifyAuditChainOf(const RocksHandle& rocks, const Keyring& keyring,
                                uint64_t* entries);

// Store::Open with RocksDB on `env` (not owned; must outlive the store), for
// fault-injection tests. Store::Open is OpenStoreWithEnv(options, nullptr).
absl::StatusOr<std::unique_ptr<Store>> OpenStoreWithEnv(StoreOptions options, rocksdb::Env* env);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_STORE_INTERNAL_H_
