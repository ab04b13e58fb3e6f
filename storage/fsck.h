// Offline tools' extras beside store.h: fsck and restore with progress.
#ifndef SAMRAD_STORAGE_FSCK_H_
#define SAMRAD_STORAGE_FSCK_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace samrad::storage {

// Called now and then during a long operation with the work done so far and
// an estimate of the total (0 when unknown; `done` may pass it). Never
// called from two threads at once.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Fsck (store.h), telling `progress` the entries checked so far against
// RocksDB's estimate of the entries to check.
absl::StatusOr<FsckReport> Fsck(StoreOptions options, const std::string& expect_ids_file,
                                const ProgressFn& progress);


}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_FSCK_H_
