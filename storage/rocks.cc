#include "storage/rocks.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/table.h"

namespace samrad::storage {
namespace {

constexpr char kDiskFullPayload[] = "type.samrad.dev/storage.disk_full";

// Keeps RocksDB from starting its own recovery after a write-stopping error
// (for "no space" its SstFileManager polls free space in a background thread
// and, while that is pending, DB::Resume() answers Busy). The Store resumes
// itself on the next write attempt instead (store.cc, ResumeAfterWriteError),
// so recovery happens exactly when a caller wants to write and the caller
// learns the outcome.
class NoAutoRecovery : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

// RocksDB's info log (LOG in the data directory) written with plain write(2)
// calls whose failures are ignored. RocksDB's own file logger keeps a
// WritableFileWriter that, after one failed append, asserts on the next one,
// and Debian's librocksdb is built with assertions: on a full volume the relay
// would abort on the log line after the first that did not fit. Lines that do
// not fit are lost; everything else about the LOG (name, rotation to
// LOG.old.*, purging beyond keep_log_file_num) stays as RocksDB does it.
class PlainFileLogger : public rocksdb::Logger {
 public:
  // Renames an existing LOG to LOG.old.<micros> and opens a fresh one; null
  // when it cannot be created (RocksDB then runs without an info log).
  static std::shared_ptr<rocksdb::Logger> Open(const std::string& data_dir) {
    const std::string path = data_dir + "/LOG";
    std::error_code ignored;
    if (std::filesystem::exists(path, ignored)) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      std::filesystem::rename(path, absl::StrCat(path, ".old.", micros), ignored);
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return nullptr;
    return std::make_shared<PlainFileLogger>(fd);
  }

  explicit PlainFileLogger(int fd) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), fd_(fd) {}
  ~PlainFileLogger() override { CloseImpl().PermitUncheckedError(); }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[8192];
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const long micros = static_cast<long>(
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1000000);
    std::tm tm{};
    localtime_r(&seconds, &tm);
    int n =
        std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    const int body =
        std::vsnprintf(line + n, sizeof(line) - static_cast<size_t>(n) - 1, format, ap);
    if (body > 0) n = std::min<int>(n + body, static_cast<int>(sizeof(line)) - 2);
    if (line[n - 1] != '\n') line[n++] = '\n';
    const ssize_t written = ::write(fd_, line, static_cast<size_t>(n));
    (void)written;  // a full disk loses the line, nothing else
  }

 protected:
  rocksdb::Status CloseImpl() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return rocksdb::Status::OK();
  }

 private:
  int fd_;
};

}  // namespace

bool IsDiskFull(const absl::Status& status) {
  return absl::IsResourceExhausted(status) && status.GetPayload(kDiskFullPayload).has_value();
}

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  std::string text = absl::StrCat(ToAbsl(what), ": ", status.ToString());
  if (status.IsNoSpace()) {
    absl::Status full = absl::ResourceExhaustedError(
        absl::StrCat("disk full: ", text, "; free space on the store's volume and retry"));
    full.SetPayload(kDiskFullPayload, absl::Cord("1"));
    return full;
  }
  if (status.IsIOError() && absl::StrContains(status.ToString(), "Permission denied")) {
    return absl::PermissionDeniedError(absl::StrCat(
        text, "; the relay's user needs to own the directory (chown -R USER DIR; chmod 700 DIR)"));
  }
  if (status.IsNotFound()) return absl::NotFoundError(text);
  if (status.IsCorruption()) return absl::DataLossError(text);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(text);
  if (status.IsBusy() || status.IsTimedOut() || status.IsTryAgain() ||
      status.IsShutdownInProgress()) {
    return absl::UnavailableError(text);
  }
  if (status.IsIOError() && absl::StrContains(status.ToString(), "lock")) {
    return absl::UnavailableError(
        absl::StrCat(text, " (is another relay or fsck using this data directory?)"));
  }
  if (status.IsAborted()) return absl::AbortedError(text);
  if (status.IsNotSupported()) return absl::UnimplementedError(text);
  return absl::InternalError(text);
}

RocksHandle::~RocksHandle() { Close().IgnoreError(); }

absl::Status RocksHandle::Close() {
  if (!db_) return absl::OkStatus();
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  handles_.clear();
  cfs_.clear();
  rocksdb::Status status = db_->Close();
  db_.reset();
  return FromRocks(status, "close store");
}

absl::StatusOr<std::unique_ptr<RocksHandle>> OpenRocks(const StoreOptions& options, bool read_only,
                                                       rocksdb::Env* env) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir is empty");
  std::error_code error;
  bool exists = std::filesystem::exists(std::filesystem::path(options.data_dir) / "CURRENT", error);
  if (!exists && (read_only || !options.create_if_missing)) {
    return absl::NotFoundError(absl::StrCat("no store in ", options.data_dir));
  }
  if (!exists) {
    std::filesystem::create_directories(options.data_dir, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create data directory ", options.data_dir, ": ", error.message()));
    }
  }

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.cache_index_and_filter_blocks = true;
  // Filter and index blocks are touched by every lookup; keep them ahead of data blocks.
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.format_version = 5;

  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = options.write_buffer_bytes;
  cf_options.max_write_buffer_number = options.max_write_buffer_number;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.level_compaction_dynamic_level_bytes = true;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = !read_only;
  db_options.max_open_files = 512;
  db_options.db_write_buffer_size =
      options.write_buffer_bytes * static_cast<size_t>(options.max_write_buffer_number) * 2;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  db_options.max_manifest_file_size = 64u << 20;
  // After a write-stopping error (e.g. disk full) the Store calls Resume()
  // itself on the next write; RocksDB must not retry or poll on its own.
  db_options.max_bgerror_resume_count = 0;
  db_options.listeners.push_back(std::make_shared<NoAutoRecovery>());
  // Every record is in the synced WAL before it is acknowledged, so a flush
  // at close adds no durability; on a full disk it could only fail or stall
  // the shutdown. (The WAL-less anchor of store.cc is the one write this
  // skips, and it carries nothing.)
  db_options.avoid_flush_during_shutdown = true;
  // The WAL anchor (store.cc) keeps the default family's memtable non-empty,
  // which pins WAL files until that memtable is flushed; bound the WAL so it
  // is, like any other rarely written family.
  db_options.max_total_wal_size = db_options.db_write_buffer_size;
  if (env != nullptr) db_options.env = env;
  // A real file system only: injected environments keep RocksDB's logger.
  if (env == nullptr) db_options.info_log = PlainFileLogger::Open(options.data_dir);

  std::vector<std::string> existing;
  if (exists) {
    rocksdb::Status listed =
        rocksdb::DB::ListColumnFamilies(db_options, options.data_dir, &existing);
    if (!listed.ok()) return FromRocks(listed, absl::StrCat("open ", options.data_dir));
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (std::string_view name : schema::kCfNames) {
    descriptors.emplace_back(std::string(name), cf_options);
  }
  for (const std::string& name : existing) {
    bool known = name == rocksdb::kDefaultColumnFamilyName;
    for (std::string_view ours : schema::kCfNames) known = known || name == ours;
    if (!known) descriptors.emplace_back(name, cf_options);
  }
  if (read_only) {
    // A read-only open cannot create families; open only those that exist.
    std::vector<rocksdb::ColumnFamilyDescriptor> present;
    for (auto& descriptor : descriptors) {
      for (const std::string& name : existing) {
        if (name == descriptor.name) present.push_back(descriptor);
      }
    }
    descriptors = std::move(present);
  }

  auto handle = std::unique_ptr<RocksHandle>(new RocksHandle());
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, options.data_dir, descriptors,
                                         &handle->handles_, &raw)
          : rocksdb::DB::Open(db_options, options.data_dir, descriptors, &handle->handles_, &raw);
  if (!status.ok()) return FromRocks(status, absl::StrCat("open ", options.data_dir));
  handle->db_.reset(raw);
  handle->cfs_.assign(schema::kNumCfs, nullptr);
  for (rocksdb::ColumnFamilyHandle* cf : handle->handles_) {
    for (int id = 0; id < schema::kNumCfs; ++id) {
      if (cf->GetName() == schema::kCfNames[id]) handle->cfs_[id] = cf;
    }
  }
  for (int id = 0; id < schema::kNumCfs; ++id) {
    if (handle->cfs_[id] != nullptr) continue;
    if (!read_only) {
      return absl::DataLossError(absl::StrCat("the store in ", options.data_dir,
                                              " has no column family '",
                                              ToAbsl(schema::kCfNames[id]), "'"));
    }
    handle->complete_ = false;
  }
  return handle;
}

absl::StatusOr<std::unique_ptr<Keyring>> LoadKeyring(const RocksHandle& rocks,
                                                     const crypto::SecretBytes& kek) {
  auto keyring = std::make_unique<Keyring>();
  std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(rocksdb::ReadOptions(), rocks.cf(schema::kMeta)));
  bool any = false;
  for (it->Seek(schema::kDekKeyPrefix); it->Valid() && it->key().starts_with(schema::kDekKeyPrefix);
       it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.size() != schema::kDekKeyPrefix.size() + 4) {
      return absl::DataLossError("meta holds a malformed data-key entry");
    }
    uint32_t generation = schema::ReadU32(key.substr(schema::kDekKeyPrefix.size()));
    absl::StatusOr<crypto::SecretBytes> dek =
        UnwrapDek(kek, generation, std::string_view(it->value().data(), it->value().size()));
    if (!dek.ok()) return dek.status();
    keyring->Add(generation, *std::move(dek));
    any = true;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read data keys");
  if (!any) return absl::NotFoundError("the store has no data key");
  return keyring;
}

absl::Status CheckSchemaVersion(const RocksHandle& rocks, const Keyring& keyring) {
  std::string sealed;
  rocksdb::Status status = rocks.db()->Get(rocksdb::ReadOptions(), rocks.cf(schema::kMeta),
                                           schema::kSchemaVersionKey, &sealed);
  if (status.IsNotFound()) return absl::DataLossError("the store records no schema version");
  if (!status.ok()) return FromRocks(status, "read schema version");
  absl::StatusOr<std::string> plain =
      keyring.Open(schema::kCfNames[schema::kMeta], schema::kSchemaVersionKey, sealed);
  if (!plain.ok()) return plain.status();
  if (plain->size() != 4) return absl::DataLossError("the stored schema version is malformed");
  uint32_t version = schema::ReadU32(*plain);
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the store has schema version ", version, " but this relay understands only up to ",
        kSchemaVersion, "; run a newer relay (downgrades are not supported)"));
  }
  return absl::OkStatus();
}

}  // namespace samrad::storage
