// The RocksDB-backed Store (see store.h for the contract): the Store
// interface over its parts. Writes are closures over a Txn running the write
// operations (write_ops.h) in the commit pipeline (commit_pipeline.h); reads
// go to StoreReader (queries.h); maintenance is retention (retention.h),
// backup (backup.h) and key rotation (key_rotation.h). Opening a store and
// loading a KEK are here.
#include "storage/store.h"

#include <errno.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "crypto/random.h"
#include "storage/audit_chain.h"
#include "storage/backup.h"
#include "storage/commit_pipeline.h"
#include "storage/key_rotation.h"
#include "storage/queries.h"
#include "storage/retention.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/sealing.h"
#include "storage/store_internal.h"
#include "storage/write_ops.h"

namespace samrad::storage {
namespace {

using crypto::SecretBytes;

// Owns the RocksDB handle and the keyring; every other part borrows them.
// Members are destroyed in reverse order: rotation, pipeline, reader, then
// the keyring and the handle (closed explicitly first).
class StoreImpl final : public Store {
 public:
  StoreImpl(StoreOptions options, std::unique_ptr<RocksHandle> rocks,
            std::unique_ptr<Keyring> keyring, AuditHead audit_head)
      : clock_(options.clock ? std::move(options.clock) : SystemNowUnixMs),
        rocks_(std::move(rocks)),
        keyring_(std::move(keyring)),
        reader_(*rocks_, *keyring_),
        pipeline_(
            *rocks_, *keyring_,
            CommitPipeline::Options{options.data_dir, clock_, std::move(options.on_group_written)},
            std::move(audit_head)),
        rotation_(*rocks_, *keyring_, pipeline_, std::move(options.kek)) {}

  ~StoreImpl() override {
    rotation_.Stop();
    pipeline_.Stop();
    rocks_->Close().IgnoreError();
  }

  // Starts the commit pipeline and resumes an interrupted DEK rotation.
  void Start() {
    pipeline_.Start();
    rotation_.ResumeIfInterrupted();
  }

  // ---- Writes: each an op of write_ops.h in the pipeline ----

  void CreateThread(v1::ThreadRecord thread, v1::StoredMessage first,
                    Callback<Appended> done) override {
    pipeline_.Submit<Appended>(
        [thread = std::move(thread), first = std::move(first)](Txn& txn) mutable {
          return ApplyCreateThread(txn, std::move(thread), std::move(first));
        },
        std::move(done));
  }

  void AppendMessage(v1::StoredMessage message, std::optional<AuditDraft> audit,
                     Callback<Appended> done) override {
    pipeline_.Submit<Appended>(
        [message = std::move(message), audit = std::move(audit)](Txn& txn) mutable {
          return ApplyAppend(txn, std::move(message), audit);
        },
        std::move(done));
  }

  void Claim(std::string thread_id, std::string unit, std::string adviser_id,
             std::optional<AuditDraft> audit, Callback<v1::ThreadRecord> done) override {
    pipeline_.Submit<v1::ThreadRecord>(
        [thread_id = std::move(thread_id), unit = std::move(unit),
         adviser_id = std::move(adviser_id), audit = std::move(audit)](Txn& txn) {
          return ApplyClaim(txn, thread_id, unit, adviser_id, audit);
        },
        std::move(done));
  }

  void Release(std::string thread_id, std::string unit, std::string adviser_id,
               std::optional<AuditDraft> audit, Callback<v1::ThreadRecord> done) override {
    pipeline_.Submit<v1::ThreadRecord>(
        [thread_id = std::move(thread_id), unit = std::move(unit),
         adviser_id = std::move(adviser_id), audit = std::move(audit)](Txn& txn) {
          return ApplyRelease(txn, thread_id, unit, adviser_id, audit);
        },
        std::move(done));
  }

  void AppendTakingOver(v1::StoredMessage message, std::optional<AuditDraft> audit,
                        AuditDraft take_over_audit, Callback<Appended> done) override {
    pipeline_.Submit<Appended>(
        [message = std::move(message), audit = std::move(audit),
         take_over_audit = std::move(take_over_audit)](Txn& txn) mutable {
          return ApplyAppendTakingOver(txn, std::move(message), audit, take_over_audit);
        },
        std::move(done));
  }

  void Handover(std::string thread_id, std::string unit, std::string from_adviser_id,
                std::string to_adviser_id, std::optional<AuditDraft> audit,
                Callback<v1::ThreadRecord> done) override {
    pipeline_.Submit<v1::ThreadRecord>(
        [thread_id = std::move(thread_id), unit = std::move(unit),
         from = std::move(from_adviser_id), to = std::move(to_adviser_id),
         audit = std::move(audit)](Txn& txn) {
          return ApplyHandover(txn, thread_id, unit, from, to, audit);
        },
        std::move(done));
  }

  void ForceRelease(std::string thread_id, std::string unit, std::optional<AuditDraft> audit,
                    Callback<v1::ThreadRecord> done) override {
    pipeline_.Submit<v1::ThreadRecord>(
        [thread_id = std::move(thread_id), unit = std::move(unit), audit = std::move(audit)](
            Txn& txn) { return ApplyForceRelease(txn, thread_id, unit, audit); },
        std::move(done));
  }

  void RevokeAndReleaseClaims(v1::RevocationRecord record, std::optional<AuditDraft> audit,
                              std::string unit, std::string adviser_id, AuditDraft release_audit,
                              Callback<std::vector<v1::ThreadRecord>> done) override {
    pipeline_.Submit<std::vector<v1::ThreadRecord>>(
        [record = std::move(record), audit = std::move(audit), unit = std::move(unit),
         adviser_id = std::move(adviser_id), release_audit = std::move(release_audit)](Txn& txn) {
          return ApplyRevokeAndReleaseClaims(txn, record, audit, unit, adviser_id, release_audit);
        },
        std::move(done));
  }

  void Refer(std::string thread_id, std::string from_unit, std::string to_unit,
             std::map<std::string, std::vector<v1::WrappedKey>> rewraps,
             std::optional<v1::StoredMessage> note, std::optional<AuditDraft> audit,
             Callback<v1::ThreadRecord> done) override {
    pipeline_.Submit<v1::ThreadRecord>(
        [thread_id = std::move(thread_id), from_unit = std::move(from_unit),
         to_unit = std::move(to_unit), rewraps = std::move(rewraps), note = std::move(note),
         audit = std::move(audit)](Txn& txn) {
          return ApplyRefer(txn, thread_id, from_unit, to_unit, rewraps, note, audit);
        },
        std::move(done));
  }

  void Close(std::string thread_id, std::string unit, std::optional<AuditDraft> audit,
             Callback<v1::ThreadRecord> done) override {
    pipeline_.Submit<v1::ThreadRecord>(
        [thread_id = std::move(thread_id), unit = std::move(unit),
         audit = std::move(audit)](Txn& txn) { return ApplyClose(txn, thread_id, unit, audit); },
        std::move(done));
  }

  void PutDirectory(v1::SignedDirectory directory, uint64_t epoch, std::optional<AuditDraft> audit,
                    DoneCallback done) override {
    pipeline_.SubmitDone([directory = std::move(directory), epoch, audit = std::move(audit)](
                             Txn& txn) { return ApplyPutDirectory(txn, directory, epoch, audit); },
                         std::move(done));
  }

  void Revoke(v1::RevocationRecord record, std::optional<AuditDraft> audit,
              DoneCallback done) override {
    pipeline_.SubmitDone([record = std::move(record), audit = std::move(audit)](
                             Txn& txn) { return ApplyRevoke(txn, record, audit); },
                         std::move(done));
  }

  void Unrevoke(std::vector<std::string> stored_serials, std::optional<AuditDraft> audit,
                Callback<v1::RevocationRecord> done) override {
    pipeline_.Submit<v1::RevocationRecord>(
        [stored_serials = std::move(stored_serials), audit = std::move(audit)](Txn& txn) {
          return ApplyUnrevoke(txn, stored_serials, audit);
        },
        std::move(done));
  }

  void AppendAudit(AuditDraft audit, Callback<v1::AuditEntry> done) override {
    pipeline_.Submit<v1::AuditEntry>(
        [audit = std::move(audit)](Txn& txn) { return AppendAuditEntry(txn, audit); },
        std::move(done));
  }

  void AddRecipients(std::string thread_id, std::string unit,
                     std::map<std::string, std::vector<v1::WrappedKey>> wraps,
                     std::optional<AuditDraft> audit, Callback<RecipientsAdded> done) override {
    pipeline_.Submit<RecipientsAdded>(
        [thread_id = std::move(thread_id), unit = std::move(unit), wraps = std::move(wraps),
         audit = std::move(audit)](Txn& txn) {
          return ApplyAddRecipients(txn, thread_id, unit, wraps, audit);
        },
        std::move(done));
  }

  // ---- Reads: StoreReader ----

  absl::StatusOr<v1::ThreadRecord> GetThread(const std::string& thread_id) override {
    return reader_.GetThread(thread_id);
  }
  absl::StatusOr<std::vector<v1::StoredMessage>> ListMessages(const std::string& thread_id,
                                                              uint64_t after_sequence,
                                                              uint32_t limit) override {
    return reader_.ListMessages(thread_id, after_sequence, limit);
  }
  absl::StatusOr<MessagePage> ReadMessagePage(const std::string& thread_id, uint64_t after_sequence,
                                              uint32_t max_count, size_t max_bytes) override {
    return reader_.ReadMessagePage(thread_id, after_sequence, max_count, max_bytes);
  }
  absl::StatusOr<v1::StoredMessage> FindMessage(const std::string& message_id) override {
    return reader_.FindMessage(message_id);
  }
  absl::StatusOr<QueuePageResult> ListQueue(const QueueQuery& query) override {
    return reader_.ListQueue(query);
  }
  absl::StatusOr<v1::SignedDirectory> GetDirectory(uint64_t* epoch) override {
    return reader_.GetDirectory(epoch);
  }
  absl::StatusOr<bool> IsRevoked(const std::string& serial_hex) override {
    return reader_.IsRevoked(serial_hex);
  }
  absl::StatusOr<std::vector<v1::RevocationRecord>> ListRevoked() override {
    return reader_.ListRevoked();
  }
  absl::StatusOr<std::vector<v1::AuditEntry>> ReadAudit(uint64_t after_index, int64_t since_unix_ms,
                                                        uint32_t limit) override {
    return reader_.ReadAudit(after_index, since_unix_ms, limit);
  }
  absl::Status VerifyAuditChain() override {
    return VerifyAuditChainOf(*rocks_, *keyring_, nullptr);
  }
  absl::StatusOr<std::vector<v1::StatsRow>> Stats(const StatsQuery& query) override {
    return reader_.Stats(query, clock_());
  }

  // ---- Maintenance ----

  absl::StatusOr<RetentionReport> RunRetention(const RetentionPolicy& policy) override {
    MutexLock maintenance(maintenance_mu_);
    return storage::RunRetention(*rocks_, reader_, pipeline_, policy, clock_());
  }
  absl::StatusOr<BackupResult> Backup(const std::string& backup_dir, uint32_t keep) override {
    return CreateBackup(*rocks_, backup_dir, keep);
  }
  absl::Status RotateKek(SecretBytes new_kek) override {
    // Serialised with StartDekRotation, so a new generation is never wrapped
    // under the KEK being replaced.
    MutexLock maintenance(maintenance_mu_);
    return rotation_.RotateKek(std::move(new_kek));
  }
  absl::Status StartDekRotation() override {
    MutexLock maintenance(maintenance_mu_);
    return rotation_.StartDekRotation();
  }
  DekRotationProgress GetDekRotationProgress() override { return rotation_.Progress(); }

 private:
  const std::function<int64_t()> clock_;
  std::unique_ptr<RocksHandle> rocks_;
  std::unique_ptr<Keyring> keyring_;
  StoreReader reader_;
  CommitPipeline pipeline_;
  KeyRotation rotation_;
  // One retention or key rotation at a time. Held while they run; guards no
  // member (the parts serialise their own state).
  Mutex maintenance_mu_;
};

}  // namespace

namespace {

// Creates DEK generation 1 and the schema version in a fresh store.
absl::StatusOr<std::unique_ptr<Keyring>> InitializeStore(const RocksHandle& rocks,
                                                         const SecretBytes& kek) {
  std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(rocksdb::ReadOptions(), rocks.cf(schema::kThreads)));
  it->SeekToFirst();
  if (it->Valid()) {
    return absl::DataLossError("the store holds threads but no data key; restore from backup");
  }
  SecretBytes dek(kDekLen);
  crypto::SystemRandom().Fill(dek.mutable_span());
  absl::StatusOr<std::string> wrapped = WrapDek(kek, 1, dek);
  if (!wrapped.ok()) return wrapped.status();
  auto keyring = std::make_unique<Keyring>();
  keyring->Add(1, std::move(dek));
  std::string version;
  schema::AppendU32(&version, kSchemaVersion);
  absl::StatusOr<std::string> sealed_version =
      keyring->Seal(schema::kCfNames[schema::kMeta], schema::kSchemaVersionKey, version);
  if (!sealed_version.ok()) return sealed_version.status();
  rocksdb::WriteBatch batch;
  batch.Put(rocks.cf(schema::kMeta), schema::DekKey(1), *wrapped).PermitUncheckedError();
  batch.Put(rocks.cf(schema::kMeta), ToSlice(schema::kSchemaVersionKey), *sealed_version)
      .PermitUncheckedError();
  rocksdb::WriteOptions write;
  write.sync = true;
  if (absl::Status s = FromRocks(rocks.db()->Write(write, &batch), "initialize store"); !s.ok()) {
    return s;
  }
  return keyring;
}

absl::StatusOr<SecretBytes> ParseHexKek(std::string_view text, std::string_view source) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (text.size() != 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("the KEK in ", ToAbsl(source), " must be 32 raw bytes or 64 hex characters"));
  }
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("the KEK in ", ToAbsl(source), " is not valid hex"));
    }
  }
  std::string bytes = absl::HexStringToBytes(ToAbsl(text));
  SecretBytes out = SecretBytes::FromString(bytes);
  std::fill(bytes.begin(), bytes.end(), '\0');
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  return OpenStoreWithEnv(std::move(options), nullptr);
}

absl::StatusOr<std::unique_ptr<Store>> OpenStoreWithEnv(StoreOptions options, rocksdb::Env* env) {
  if (options.kek.size() != kDekLen) {
    return absl::InvalidArgumentError("the KEK must be exactly 32 bytes");
  }
  if (options.block_cache_bytes < (1u << 20) || options.write_buffer_bytes < (1u << 20) ||
      options.max_write_buffer_number < 2) {
    return absl::InvalidArgumentError(
        "block_cache_bytes and write_buffer_bytes must be at least 1 MiB, "
        "max_write_buffer_number at least 2");
  }
  absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(options, /*read_only=*/false, env);
  if (!rocks.ok()) return rocks.status();
  absl::StatusOr<std::unique_ptr<Keyring>> keyring = LoadKeyring(**rocks, options.kek);
  if (absl::IsNotFound(keyring.status())) keyring = InitializeStore(**rocks, options.kek);
  if (!keyring.ok()) return keyring.status();
  if (absl::Status s = CheckSchemaVersion(**rocks, **keyring); !s.ok()) return s;
  SAMRAD_ASSIGN_OR_RETURN(AuditHead audit_head, LoadAuditHead(**rocks, **keyring));
  auto store = std::make_unique<StoreImpl>(std::move(options), *std::move(rocks),
                                           *std::move(keyring), std::move(audit_head));
  store->Start();
  return store;
}

absl::StatusOr<SecretBytes> LoadKekFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    // std::ifstream leaves open(2)'s errno in place.
    if (errno == EACCES || errno == EPERM) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot read KEK file ", path,
                       ": permission denied; run as the user that owns it (chmod 600, chown "
                       "that user)"));
    }
    return absl::NotFoundError(absl::StrCat("cannot read KEK file ", path, " (",
                                            errno == ENOENT ? "it does not exist" : "not readable",
                                            "; create one with: samrad-relay gen-kek ", path, ")"));
  }
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (contents.size() == kDekLen) {
    SecretBytes out = SecretBytes::FromString(contents);
    std::fill(contents.begin(), contents.end(), '\0');
    return out;
  }
  absl::StatusOr<SecretBytes> out = ParseHexKek(contents, path);
  std::fill(contents.begin(), contents.end(), '\0');
  return out;
}

absl::StatusOr<SecretBytes> LoadKekEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) {
    return absl::NotFoundError(absl::StrCat("environment variable ", name, " is not set"));
  }
  return ParseHexKek(value, absl::StrCat("environment variable ", name));
}

}  // namespace samrad::storage
