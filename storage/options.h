// What opening a Store takes (StoreOptions), the schema version this code
// writes, and the one predicate on the store's statuses callers need.
// Included by store.h and by storage's internal headers (rocks.h), so the
// RocksDB plumbing does not depend on the Store interface.
#ifndef SAMRAD_STORAGE_OPTIONS_H_
#define SAMRAD_STORAGE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "crypto/secret_bytes.h"

namespace samrad::storage {

// The schema version this code writes and understands. Opening a store with a
// higher version is refused with FAILED_PRECONDITION.
inline constexpr uint32_t kSchemaVersion = 1;

struct StoreOptions {
  // Directory of the RocksDB store. Created (with its parents) when missing
  // and create_if_missing.
  std::string data_dir;
  bool create_if_missing = true;
  // Key-encryption key, exactly 32 bytes. A store created under one KEK
  // refuses to open under another (FAILED_PRECONDITION, "wrong KEK").
  crypto::SecretBytes kek;
  // Memory bounds. Defaults keep the relay well under 256 MiB resident.
  size_t block_cache_bytes =
      128u << 20;  // shared LRU block cache (filters + index pinned at high priority)
  size_t write_buffer_bytes = 16u << 20;  // per column family memtable
  int max_write_buffer_number = 2;
  // Wall clock in Unix milliseconds; injected for tests. Default: system clock.
  std::function<int64_t()> clock;
  // Statistics hook (the relay's metrics): called on the commit thread after
  // each group's synced write with the number of queued writes in the group
  // and the microseconds the write took (WAL append plus fsync), whether or
  // not it succeeded. Not called for a group with nothing to write. Must be
  // cheap and must not block or call into the store. Optional.
  std::function<void(size_t ops, int64_t write_micros)> on_group_written;
};

// True when `status` is the RESOURCE_EXHAUSTED of a write that failed because
// the store's volume is full. Its message names RocksDB's files, which is for
// the operator's log; an answer to a client should say less (server/status.cc).
bool IsDiskFull(const absl::Status& status);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_OPTIONS_H_
