#include "storage/rocks.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace samrad::storage {

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  std::string text = absl::StrCat(ToAbsl(what), ": ", status.ToString());
  if (status.IsNoSpace()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("disk full: ", text, "; free space on the store's volume and retry"));
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
  if (env != nullptr) db_options.env = env;

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
