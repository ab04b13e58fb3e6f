// A RocksDB file system that models a machine losing power, for tests.
//
// PowerLossFileSystem passes every call to the real (POSIX) file system and
// keeps a ledger of what an fsync made durable, the way LevelDB's
// fault_injection_test and RocksDB's FaultInjectionTestFS do:
//   - a file's contents are durable up to the length it had at its last
//     successful Sync/Fsync (RangeSync promises nothing and counts for nothing);
//   - a file's creation, and a rename, are durable only once the directory
//     that holds it has been fsync'd afterwards.
// ApplyPowerLossLedger() then makes the disk look as it would after the power
// went out: every tracked file is cut back to its durable length, files whose
// creation was never made durable are deleted, and renames that were never
// made durable are undone (the overwritten target comes back).
//
// The ledger is a text file (one event a line, appended with write(2) before
// the call that made the change durable returns), so it also survives a
// SIGKILL of the process that wrote it: a harness can kill a relay running on
// this file system, apply the ledger from another process, and restart.
//
// What it does not model (documented limits): deletions are taken as durable
// at once (a real crash may bring an unsynced deletion back); files that
// existed before the file system was created, and files RocksDB writes
// without this file system (its info LOG), are left as they are; a torn
// write inside the synced length cannot happen here.
//
// It can also simulate a full volume: while a marker file exists, every
// append fails with NoSpace, as ENOSPC would (a harness in another process
// "fills the disk" by creating the marker and "frees space" by removing it).
//
// Thread-safety: every method may be called from any thread.
#ifndef SAMRAD_STORAGE_POWER_LOSS_FS_H_
#define SAMRAD_STORAGE_POWER_LOSS_FS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/file_system.h"

namespace samrad::storage {

// What ApplyPowerLossLedger changed on disk.
struct PowerLossReport {
  uint64_t files_truncated = 0;
  uint64_t bytes_dropped = 0;  // cut from the ends of files
  uint64_t files_deleted = 0;  // creations that were never made durable
  uint64_t renames_undone = 0;
};

class PowerLossFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // `ledger_path` is created (truncated if present); its directory must
  // exist. Renamed-over files are saved beside it as `<ledger_path>.old.N`.
  // An empty `ledger_path` records nothing (a full-disk simulation only).
  // `full_marker_path`, if not empty, names the marker of a full volume.
  static absl::StatusOr<std::shared_ptr<PowerLossFileSystem>> New(
      const std::string& ledger_path, const std::string& full_marker_path = "");
  ~PowerLossFileSystem() override;

  const char* Name() const override { return "PowerLossFileSystem"; }

  // From now on every call that would change the disk (append, sync, create,
  // rename, delete, truncate) fails with an IOError and nothing more becomes
  // durable: the power is off. Used in-process, before closing the store and
  // applying the ledger; a SIGKILLed process needs no call.
  void CutPower();

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& target,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& name, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;

  class Ledger;  // the shared, locked state behind the files (power_loss_fs.cc)

 private:
  explicit PowerLossFileSystem(std::shared_ptr<Ledger> ledger);
  std::shared_ptr<Ledger> ledger_;
};

// Replays the ledger written by a PowerLossFileSystem (whose process must
// have stopped or cut the power) and changes the disk as a power loss would
// have. Calling it twice on the same ledger is an error (FAILED_PRECONDITION),
// so a harness cannot cut a store back twice by mistake.
absl::StatusOr<PowerLossReport> ApplyPowerLossLedger(const std::string& ledger_path);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_POWER_LOSS_FS_H_
