#include "storage/backup.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "rocksdb/utilities/backup_engine.h"

namespace samrad::storage {

namespace {

BackupInfo ToBackupInfo(const std::string& backup_dir, const rocksdb::BackupInfo& rocks) {
  BackupInfo info;
  info.backup_dir = backup_dir;
  info.backup_id = rocks.backup_id;
  info.size_bytes = rocks.size;
  info.created_unix_ms = rocks.timestamp * 1000;
  info.num_files = rocks.number_files;
  return info;
}

std::vector<uint32_t> BackupIds(const std::vector<rocksdb::BackupInfo>& backups) {
  std::vector<uint32_t> ids;
  for (const rocksdb::BackupInfo& b : backups) ids.push_back(b.backup_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

absl::StatusOr<BackupResult> CreateBackup(const RocksHandle& rocks, const std::string& backup_dir,
                                          uint32_t keep) {
  if (backup_dir.empty()) return absl::InvalidArgumentError("backup_dir is empty");
  if (keep == 0) {
    return absl::InvalidArgumentError(
        "backup_keep is 0; keep at least 1 backup (the one just taken)");
  }
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::Status status = rocksdb::BackupEngine::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  if (!status.ok()) return FromRocks(status, absl::StrCat("open backup dir ", backup_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = true;
  status = engine->CreateNewBackup(create, rocks.db());
  if (!status.ok()) return FromRocks(status, absl::StrCat("backup into ", backup_dir));
  rocksdb::BackupInfo latest;
  status = engine->GetLatestBackupInfo(&latest);
  if (!status.ok()) return FromRocks(status, "read backup info");
  BackupResult result;
  result.created = ToBackupInfo(backup_dir, latest);
  std::vector<rocksdb::BackupInfo> before;
  engine->GetBackupInfo(&before);
  // RocksDB's own purge: drops the oldest backups and every file that no
  // remaining backup references.
  status = engine->PurgeOldBackups(keep);
  if (!status.ok()) {
    return FromRocks(status, absl::StrCat("backup ", latest.backup_id,
                                          " was written, but purging older backups of ", backup_dir,
                                          " failed (the next backup retries)"));
  }
  std::vector<rocksdb::BackupInfo> after;
  engine->GetBackupInfo(&after);
  const std::vector<uint32_t> kept = BackupIds(after);
  for (uint32_t id : BackupIds(before)) {
    if (!std::binary_search(kept.begin(), kept.end(), id)) result.purged_ids.push_back(id);
  }
  return result;
}

namespace {

// The backups in `backup_dir`, opened read-only.
absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenBackupsReadOnly(
    const std::string& backup_dir) {
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::Status status = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  if (!status.ok()) return FromRocks(status, absl::StrCat("open backup dir ", backup_dir));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

}  // namespace

absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir) {
  std::vector<BackupInfo> out;
  std::error_code error;
  if (!std::filesystem::exists(backup_dir, error)) return out;  // none taken yet
  SAMRAD_ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine,
                          OpenBackupsReadOnly(backup_dir));
  std::vector<rocksdb::BackupInfo> backups;
  engine->GetBackupInfo(&backups);
  std::sort(backups.begin(), backups.end(),
            [](const auto& a, const auto& b) { return a.backup_id < b.backup_id; });
  for (const rocksdb::BackupInfo& b : backups) out.push_back(ToBackupInfo(backup_dir, b));
  return out;
}

absl::Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                           std::optional<uint32_t> backup_id) {
  std::error_code error;
  if (std::filesystem::exists(data_dir, error) && !std::filesystem::is_empty(data_dir, error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "restore target ", data_dir, " is not empty; restore into an empty directory"));
  }
  SAMRAD_ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine,
                          OpenBackupsReadOnly(backup_dir));
  std::vector<rocksdb::BackupInfo> backups;
  engine->GetBackupInfo(&backups);
  if (backups.empty()) return absl::NotFoundError(absl::StrCat("no backup in ", backup_dir));
  if (!backup_id.has_value()) {
    return FromRocks(engine->RestoreDBFromLatestBackup(data_dir, data_dir),
                     absl::StrCat("restore into ", data_dir));
  }
  const std::vector<uint32_t> ids = BackupIds(backups);
  if (!std::binary_search(ids.begin(), ids.end(), *backup_id)) {
    return absl::NotFoundError(absl::StrCat("there is no backup ", *backup_id, " in ", backup_dir,
                                            "; the backups there are ", absl::StrJoin(ids, ", ")));
  }
  return FromRocks(engine->RestoreDBFromBackup(*backup_id, data_dir, data_dir),
                   absl::StrCat("restore backup ", *backup_id, " into ", data_dir));
}

}  // namespace samrad::storage
