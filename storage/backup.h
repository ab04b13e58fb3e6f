// Online backups of a store (internal to samrad_storage; the public entry
// points are Store::Backup, ListBackups and RestoreBackup in store.h, whose
// contracts these implement). RocksDB's BackupEngine: a backup holds sealed
// values and the wrapped DEK, never plaintext.
#ifndef SAMRAD_STORAGE_BACKUP_H_
#define SAMRAD_STORAGE_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "storage/rocks.h"
#include "storage/store.h"

namespace samrad::storage {

// Store::Backup: a new backup of the open `rocks` into `backup_dir` while
// writes go on, then PurgeOldBackups(keep). Thread-safe with the store's
// writes; one backup at a time is the caller's rule.
absl::StatusOr<BackupResult> CreateBackup(const RocksHandle& rocks, const std::string& backup_dir,
                                          uint32_t keep);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_BACKUP_H_
