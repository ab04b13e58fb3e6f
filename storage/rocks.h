// RocksDB plumbing shared by the Store, Fsck and tests (internal to
// samrad_storage): opening a store directory with its column families,
// loading the keyring, and the one place rocksdb::Status becomes absl::Status.
#ifndef SAMRAD_STORAGE_ROCKS_H_
#define SAMRAD_STORAGE_ROCKS_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "storage/options.h"
#include "storage/schema.h"
#include "storage/sealing.h"

namespace samrad::storage {

// Translates a RocksDB status; `what` says what was being done ("commit",
// "open /path"). NoSpace -> RESOURCE_EXHAUSTED ("disk full"), lock held ->
// UNAVAILABLE, Corruption -> DATA_LOSS, NotFound -> NOT_FOUND, Busy/TimedOut/
// TryAgain/ShutdownInProgress -> UNAVAILABLE, InvalidArgument ->
// INVALID_ARGUMENT, other I/O errors -> INTERNAL. Always keeps RocksDB's text.
// The NoSpace status carries a payload that IsDiskFull() (options.h) detects.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view what);

// An open RocksDB with the store's column families. Not copyable; closing
// (destruction) releases the handles, then the DB.
class RocksHandle {
 public:
  ~RocksHandle();
  RocksHandle(const RocksHandle&) = delete;
  RocksHandle& operator=(const RocksHandle&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  // Null only in a read-only handle whose store lacks that family (see
  // complete()).
  rocksdb::ColumnFamilyHandle* cf(schema::CfId id) const { return cfs_[id]; }
  // False when a read-only open found a store whose creation was cut short
  // before every column family existed (such a store holds no records).
  bool complete() const { return complete_; }
  // Every open handle (the store's, "default" and any unknown ones).
  const std::vector<rocksdb::ColumnFamilyHandle*>& all_handles() const { return handles_; }
  // Closes without flushing memtables (avoid_flush_during_shutdown: the WAL
  // holds every acknowledged write); returns the close status. Idempotent.
  absl::Status Close();

 private:
  friend absl::StatusOr<std::unique_ptr<RocksHandle>> OpenRocks(const StoreOptions&, bool,
                                                                rocksdb::Env*);
  RocksHandle() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  bool complete_ = true;
};

// Opens `options.data_dir` with every column family it has plus the store's
// (created when missing unless read_only). Memory is bounded by the options:
// one shared LRU block cache (index and filter blocks charged to it), memtables
// of write_buffer_bytes per column family, all memtables together capped at
// write_buffer_bytes * max_write_buffer_number * 2, 10-bit bloom filters,
// max_open_files 512. RocksDB never recovers from a write-stopping error on
// its own (no auto-resume): the owner calls DB::Resume(). NOT_FOUND when the store is missing and
// may not be created. A read-only open of a store whose creation was interrupted succeeds with
// complete() false; a writable open creates what is missing. `env`, when not null, replaces the
// default environment (fault-injection tests); it must outlive the handle.
absl::StatusOr<std::unique_ptr<RocksHandle>> OpenRocks(const StoreOptions& options, bool read_only,
                                                       rocksdb::Env* env = nullptr);

// Loads every DEK generation from meta, unwrapping with `kek`.
// FAILED_PRECONDITION "wrong KEK" when the KEK does not fit; NOT_FOUND when
// the store has no data key yet (a fresh store).
absl::StatusOr<std::unique_ptr<Keyring>> LoadKeyring(const RocksHandle& rocks,
                                                     const crypto::SecretBytes& kek);

// FAILED_PRECONDITION when meta records a schema newer than kSchemaVersion;
// DATA_LOSS when the version is missing or unreadable.
absl::Status CheckSchemaVersion(const RocksHandle& rocks, const Keyring& keyring);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_ROCKS_H_
