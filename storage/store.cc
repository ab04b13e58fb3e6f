// The RocksDB-backed Store (see store.h for the contract).
//
// Writes: every mutation is a closure queued with its callback. The commit
// thread takes everything queued, runs each closure in order against the
// database plus the group's pending writes (a WriteBatchWithIndex; a
// save point per closure so a failed validation leaves nothing behind),
// writes the whole group once with sync = true, then hands the group's
// callbacks, each with its own outcome, to the completion thread, which runs
// them in commit order while the commit thread already validates and writes
// the next group. Callers never block; one fsync serves the group.
//
// Reads go straight to RocksDB and open values through the keyring.
#include "storage/store.h"

#include <errno.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/reasons.h"
#include "common/status_macros.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "rocksdb/utilities/backup_engine.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/sealing.h"
#include "storage/store_internal.h"

namespace samrad::storage {
namespace {

// FAILED_PRECONDITION "thread … is closed" for a CLOSED thread: nothing may
// change a closed thread (the state machine in docs/DESIGN.md).
absl::Status RefuseIfClosed(const v1::ThreadRecord& thread) {
  if (thread.state() != v1::THREAD_STATE_CLOSED) return absl::OkStatus();
  return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kThreadClosed,
                        {thread.thread_id()});
}

using crypto::SecretBytes;
using schema::CfId;

constexpr size_t kMaxGroupOps = 4096;
constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
// At most this many queue index entries are examined per ListQueue call
// (filters on urgency/category). A page may come back short with a cursor.
constexpr size_t kMaxQueueScan = 5000;
constexpr size_t kDekRewriteBatch = 512;

std::string_view CfName(CfId cf) { return schema::kCfNames[cf]; }
absl::string_view CfLabel(CfId cf) { return ToAbsl(schema::kCfNames[cf]); }

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

class Txn;

// One queued mutation: `apply` runs on the commit thread against the group's
// transaction, `complete` runs after the group's write with its status.
struct PendingOp {
  absl::AnyInvocable<absl::Status(Txn&)> apply;
  absl::AnyInvocable<void(absl::Status)> complete;
};

// ---- Txn: the commit thread's view of the database plus pending writes ----

class Txn {
 public:
  Txn(const RocksHandle& rocks, const Keyring& keyring)
      : rocks_(rocks),
        keyring_(keyring),
        batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true) {}

  int64_t now() const { return now_; }
  void set_now(int64_t now) { now_ = now; }

  // The stored (sealed) bytes, or nullopt when absent.
  absl::StatusOr<std::optional<std::string>> GetRaw(CfId cf, std::string_view key) {
    std::string value;
    rocksdb::Status status = batch_.GetFromBatchAndDB(rocks_.db(), rocksdb::ReadOptions(),
                                                      rocks_.cf(cf), ToSlice(key), &value);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) return FromRocks(status, absl::StrCat("read ", CfLabel(cf)));
    return value;
  }

  absl::StatusOr<std::optional<std::string>> Get(CfId cf, std::string_view key) {
    absl::StatusOr<std::optional<std::string>> raw = GetRaw(cf, key);
    if (!raw.ok() || !raw->has_value()) return raw;
    absl::StatusOr<std::string> plain = keyring_.Open(CfName(cf), key, **raw);
    if (!plain.ok()) return plain.status();
    return *std::move(plain);
  }

  template <typename Proto>
  absl::StatusOr<std::optional<Proto>> GetProto(CfId cf, std::string_view key) {
    absl::StatusOr<std::optional<std::string>> plain = Get(cf, key);
    if (!plain.ok()) return plain.status();
    if (!plain->has_value()) return std::nullopt;
    Proto proto;
    if (!proto.ParseFromString(**plain)) {
      return absl::DataLossError(absl::StrCat("a record in ", CfLabel(cf), " does not parse"));
    }
    return proto;
  }

  absl::Status Put(CfId cf, std::string_view key, std::string_view plaintext) {
    absl::StatusOr<std::string> sealed = keyring_.Seal(CfName(cf), key, plaintext);
    if (!sealed.ok()) return sealed.status();
    PutRaw(cf, key, *sealed);
    return absl::OkStatus();
  }

  absl::Status PutProto(CfId cf, std::string_view key, const google::protobuf::Message& proto) {
    return Put(cf, key, proto.SerializeAsString());
  }

  void PutRaw(CfId cf, std::string_view key, std::string_view value) {
    batch_.Put(rocks_.cf(cf), ToSlice(key), ToSlice(value)).PermitUncheckedError();
  }

  void Delete(CfId cf, std::string_view key) {
    batch_.Delete(rocks_.cf(cf), ToSlice(key)).PermitUncheckedError();
  }

  // Runs after the group is durable (e.g. in-memory state that must follow
  // the disk). Dropped when the op fails or the group's write fails.
  void OnCommit(absl::AnyInvocable<void()> hook) { hooks_.push_back(std::move(hook)); }

  // Iterates `cf` as the database plus this group's pending writes.
  rocksdb::Iterator* NewIterator(CfId cf) {
    return batch_.NewIteratorWithBase(
        rocks_.cf(cf), rocks_.db()->NewIterator(rocksdb::ReadOptions(), rocks_.cf(cf)));
  }

  rocksdb::WriteBatchWithIndex& batch() { return batch_; }
  size_t hook_count() const { return hooks_.size(); }
  void DropHooksFrom(size_t count) { hooks_.resize(count); }
  void RunHooks() {
    for (auto& hook : hooks_) hook();
    hooks_.clear();
  }

 private:
  const RocksHandle& rocks_;
  const Keyring& keyring_;
  rocksdb::WriteBatchWithIndex batch_;
  std::vector<absl::AnyInvocable<void()>> hooks_;
  int64_t now_ = 0;
};

int64_t SystemNowMs() { return absl::ToUnixMillis(absl::Now()); }

bool SameSubmission(const v1::StoredMessage& stored, const v1::StoredMessage& incoming) {
  return stored.thread_id() == incoming.thread_id() && stored.envelope() == incoming.envelope() &&
         stored.sender_role() == incoming.sender_role() &&
         stored.adviser_id() == incoming.adviser_id();
}

absl::Status ValidateMessage(const v1::StoredMessage& message) {
  if (absl::Status s = schema::ValidateKeyPart("thread_id", message.thread_id()); !s.ok()) return s;
  if (absl::Status s = schema::ValidateKeyPart("message_id", message.message_id()); !s.ok()) {
    return s;
  }
  if (message.envelope().empty()) return absl::InvalidArgumentError("message envelope is empty");
  if (message.sender_role() != v1::SENDER_ROLE_PROFESSIONAL &&
      message.sender_role() != v1::SENDER_ROLE_ADVISER) {
    return absl::InvalidArgumentError("message sender_role must be PROFESSIONAL or ADVISER");
  }
  if (message.sender_role() == v1::SENDER_ROLE_ADVISER && message.adviser_id().empty()) {
    return absl::InvalidArgumentError("an adviser message needs adviser_id");
  }
  if (message.sender_role() == v1::SENDER_ROLE_PROFESSIONAL && !message.adviser_id().empty()) {
    return absl::InvalidArgumentError("a professional message must not carry adviser_id");
  }
  return absl::OkStatus();
}

absl::Status ValidateAudit(const AuditDraft& draft) {
  if (draft.actor_role != "professional" && draft.actor_role != "adviser" &&
      draft.actor_role != "admin" && draft.actor_role != "relay") {
    return absl::InvalidArgumentError(
        "audit actor_role must be professional, adviser, admin or relay");
  }
  if (draft.actor_role == "professional" && !draft.actor_id.empty()) {
    return absl::InvalidArgumentError("audit actor_id must be empty for professionals");
  }
  if (draft.action.empty()) return absl::InvalidArgumentError("audit action is empty");
  return absl::OkStatus();
}

absl::StatusOr<std::string> AuditHash(const v1::AuditEntry& entry) {
  v1::AuditEntry cleared = entry;
  cleared.clear_hash();
  std::string input = "samrad-audit-v1";
  input += entry.prev_hash();
  input += cleared.SerializeAsString();
  return crypto::Sha256(input);
}

}  // namespace

absl::StatusOr<std::string> ComputeAuditHash(const v1::AuditEntry& entry) {
  return AuditHash(entry);
}

absl::Status VerifyAuditEntry(const v1::AuditEntry& entry, uint64_t expected_index,
                              std::string_view expected_prev_hash) {
  if (entry.index() != expected_index) {
    return absl::DataLossError(absl::StrCat("audit entry ", expected_index,
                                            " is missing (found index ", entry.index(), ")"));
  }
  if (entry.prev_hash() != expected_prev_hash) {
    return absl::DataLossError(absl::StrCat("audit entry ", expected_index,
                                            ": prev_hash does not match the previous entry"));
  }
  absl::StatusOr<std::string> hash = AuditHash(entry);
  if (!hash.ok()) return hash.status();
  if (!crypto::ConstantTimeEquals(crypto::AsBytes(*hash), crypto::AsBytes(entry.hash()))) {
    return absl::DataLossError(
        absl::StrCat("audit entry ", expected_index, ": hash does not match its contents"));
  }
  return absl::OkStatus();
}

absl::Status VerifyAuditChainOf(const RocksHandle& rocks, const Keyring& keyring,
                                uint64_t* entries) {
  std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(rocksdb::ReadOptions(), rocks.cf(schema::kAudit)));
  uint64_t expected = 1;
  std::string prev_hash(32, '\0');
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    std::string_view key(it->key().data(), it->key().size());
    absl::StatusOr<std::string> plain =
        keyring.Open(schema::kCfNames[schema::kAudit], key,
                     std::string_view(it->value().data(), it->value().size()));
    v1::AuditEntry entry;
    if (!plain.ok() || !entry.ParseFromString(*plain)) {
      return absl::DataLossError(absl::StrCat(
          "audit entry ", expected, " cannot be read: it was corrupted or tampered with"));
    }
    if (key.size() != 8 || schema::ReadU64(key) != entry.index()) {
      return absl::DataLossError(
          absl::StrCat("audit entry ", expected, " is stored under the wrong key"));
    }
    if (absl::Status s = VerifyAuditEntry(entry, expected, prev_hash); !s.ok()) return s;
    prev_hash = entry.hash();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read audit log");
  if (entries != nullptr) *entries = expected - 1;
  return absl::OkStatus();
}

// ---- StoreImpl ----

class StoreImpl final : public Store {
 public:
  StoreImpl(StoreOptions options, std::unique_ptr<RocksHandle> rocks,
            std::unique_ptr<Keyring> keyring)
      : options_(std::move(options)), rocks_(std::move(rocks)), keyring_(std::move(keyring)) {
    kek_ = std::move(options_.kek);
    if (!options_.clock) options_.clock = SystemNowMs;
  }

  ~StoreImpl() override {
    StopDekRotation();
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (commit_thread_.joinable()) commit_thread_.join();
    // The commit thread has handed over its last group; run what is left.
    {
      std::lock_guard lock(completion_mu_);
      completion_stopping_ = true;
    }
    completion_cv_.notify_all();
    if (completion_thread_.joinable()) completion_thread_.join();
    rocks_->Close().IgnoreError();
  }

  // Loads the audit head, starts the commit thread and resumes an
  // interrupted DEK rotation.
  absl::Status Start() {
    if (absl::Status s = LoadAuditHead(); !s.ok()) return s;
    completion_thread_ = std::thread([this] { CompletionLoop(); });
    commit_thread_ = std::thread([this] { CommitLoop(); });
    if (keyring_->generations().size() > 1) {
      StartRewrite(keyring_->current_generation());
    }
    return absl::OkStatus();
  }

  // ---- Writes ----

  void CreateThread(v1::ThreadRecord thread, v1::StoredMessage first,
                    Callback<Appended> done) override {
    Submit<Appended>(
        [this, thread = std::move(thread), first = std::move(first)](Txn& txn) mutable {
          return ApplyCreateThread(txn, std::move(thread), std::move(first));
        },
        std::move(done));
  }

  void AppendMessage(v1::StoredMessage message, std::optional<AuditDraft> audit,
                     Callback<Appended> done) override {
    Submit<Appended>([this, message = std::move(message), audit = std::move(audit)](
                         Txn& txn) mutable { return ApplyAppend(txn, std::move(message), audit); },
                     std::move(done));
  }

  void Claim(std::string thread_id, std::string unit, std::string adviser_id,
             std::optional<AuditDraft> audit, Callback<v1::ThreadRecord> done) override {
    Submit<v1::ThreadRecord>(
        [this, thread_id = std::move(thread_id), unit = std::move(unit),
         adviser_id = std::move(adviser_id), audit = std::move(audit)](Txn& txn) {
          return ApplyClaim(txn, thread_id, unit, adviser_id, audit);
        },
        std::move(done));
  }

  void Release(std::string thread_id, std::string unit, std::string adviser_id,
               std::optional<AuditDraft> audit, Callback<v1::ThreadRecord> done) override {
    Submit<v1::ThreadRecord>(
        [this, thread_id = std::move(thread_id), unit = std::move(unit),
         adviser_id = std::move(adviser_id), audit = std::move(audit)](Txn& txn) {
          return ApplyRelease(txn, thread_id, unit, adviser_id, audit);
        },
        std::move(done));
  }

  void AppendTakingOver(v1::StoredMessage message, std::optional<AuditDraft> audit,
                        AuditDraft take_over_audit, Callback<Appended> done) override {
    Submit<Appended>(
        [this, message = std::move(message), audit = std::move(audit),
         take_over_audit = std::move(take_over_audit)](Txn& txn) mutable {
          if (message.sender_role() != v1::SENDER_ROLE_ADVISER) {
            return absl::StatusOr<Appended>(
                absl::InvalidArgumentError("only an adviser message can take over a claim"));
          }
          return ApplyAppend(txn, std::move(message), audit, &take_over_audit);
        },
        std::move(done));
  }

  void Handover(std::string thread_id, std::string unit, std::string from_adviser_id,
                std::string to_adviser_id, std::optional<AuditDraft> audit,
                Callback<v1::ThreadRecord> done) override {
    Submit<v1::ThreadRecord>(
        [this, thread_id = std::move(thread_id), unit = std::move(unit),
         from = std::move(from_adviser_id), to = std::move(to_adviser_id),
         audit = std::move(audit)](Txn& txn) {
          return ApplyHandover(txn, thread_id, unit, from, to, audit);
        },
        std::move(done));
  }

  void ForceRelease(std::string thread_id, std::string unit, std::optional<AuditDraft> audit,
                    Callback<v1::ThreadRecord> done) override {
    Submit<v1::ThreadRecord>(
        [this, thread_id = std::move(thread_id), unit = std::move(unit), audit = std::move(audit)](
            Txn& txn) { return ApplyForceRelease(txn, thread_id, unit, audit); },
        std::move(done));
  }

  void RevokeAndReleaseClaims(v1::RevocationRecord record, std::optional<AuditDraft> audit,
                              std::string unit, std::string adviser_id, AuditDraft release_audit,
                              Callback<std::vector<v1::ThreadRecord>> done) override {
    Submit<std::vector<v1::ThreadRecord>>(
        [this, record = std::move(record), audit = std::move(audit), unit = std::move(unit),
         adviser_id = std::move(adviser_id), release_audit = std::move(release_audit)](
            Txn& txn) -> absl::StatusOr<std::vector<v1::ThreadRecord>> {
          if (absl::Status s = ApplyRevoke(txn, record, audit); !s.ok()) return s;
          return ReleaseClaimsOf(txn, unit, adviser_id, release_audit);
        },
        std::move(done));
  }

  void Refer(std::string thread_id, std::string from_unit, std::string to_unit,
             std::map<std::string, std::vector<v1::WrappedKey>> rewraps,
             std::optional<v1::StoredMessage> note, std::optional<AuditDraft> audit,
             Callback<v1::ThreadRecord> done) override {
    Submit<v1::ThreadRecord>(
        [this, thread_id = std::move(thread_id), from_unit = std::move(from_unit),
         to_unit = std::move(to_unit), rewraps = std::move(rewraps), note = std::move(note),
         audit = std::move(audit)](Txn& txn) {
          return ApplyRefer(txn, thread_id, from_unit, to_unit, rewraps, note, audit);
        },
        std::move(done));
  }

  void Close(std::string thread_id, std::string unit, std::optional<AuditDraft> audit,
             Callback<v1::ThreadRecord> done) override {
    Submit<v1::ThreadRecord>(
        [this, thread_id = std::move(thread_id), unit = std::move(unit),
         audit = std::move(audit)](Txn& txn) { return ApplyClose(txn, thread_id, unit, audit); },
        std::move(done));
  }

  void PutDirectory(v1::SignedDirectory directory, uint64_t epoch, std::optional<AuditDraft> audit,
                    DoneCallback done) override {
    SubmitDone([this, directory = std::move(directory), epoch, audit = std::move(audit)](
                   Txn& txn) { return ApplyPutDirectory(txn, directory, epoch, audit); },
               std::move(done));
  }

  void Revoke(v1::RevocationRecord record, std::optional<AuditDraft> audit,
              DoneCallback done) override {
    SubmitDone([this, record = std::move(record),
                audit = std::move(audit)](Txn& txn) { return ApplyRevoke(txn, record, audit); },
               std::move(done));
  }

  void Unrevoke(std::vector<std::string> stored_serials, std::optional<AuditDraft> audit,
                Callback<v1::RevocationRecord> done) override {
    Submit<v1::RevocationRecord>(
        [this, stored_serials = std::move(stored_serials), audit = std::move(audit)](Txn& txn) {
          return ApplyUnrevoke(txn, stored_serials, audit);
        },
        std::move(done));
  }

  void AppendAudit(AuditDraft audit, Callback<v1::AuditEntry> done) override {
    Submit<v1::AuditEntry>(
        [this, audit = std::move(audit)](Txn& txn) { return AppendAuditInTxn(txn, audit); },
        std::move(done));
  }

  // ---- Reads ----

  absl::StatusOr<v1::ThreadRecord> GetThread(const std::string& thread_id) override {
    absl::StatusOr<std::optional<v1::ThreadRecord>> thread =
        ReadProto<v1::ThreadRecord>(schema::kThreads, schema::ThreadKey(thread_id));
    if (!thread.ok()) return thread.status();
    if (!thread->has_value()) return ThreadNotFound(thread_id);
    return **thread;
  }

  absl::StatusOr<std::vector<v1::StoredMessage>> ListMessages(const std::string& thread_id,
                                                              uint64_t after_sequence,
                                                              uint32_t limit) override {
    absl::StatusOr<MessagePage> page =
        ReadMessagePage(thread_id, after_sequence, limit, std::numeric_limits<size_t>::max());
    if (!page.ok()) return page.status();
    return std::move(page->messages);
  }

  absl::StatusOr<MessagePage> ReadMessagePage(const std::string& thread_id, uint64_t after_sequence,
                                              uint32_t max_count, size_t max_bytes) override {
    if (max_count == 0) max_count = 1000;
    MessagePage out;
    if (after_sequence == std::numeric_limits<uint64_t>::max()) return out;
    std::string prefix = schema::MessagePrefix(thread_id);
    std::unique_ptr<rocksdb::Iterator> it(
        rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->cf(schema::kMessages)));
    size_t bytes = 0;
    for (it->Seek(schema::MessageKey(thread_id, after_sequence + 1));
         it->Valid() && it->key().starts_with(prefix); it->Next()) {
      // The budget is checked on the sealed value, before it is opened: a
      // page never decrypts what it will not return.
      const size_t sealed = it->value().size();
      if (!out.messages.empty() &&
          (out.messages.size() >= max_count || sealed > max_bytes - std::min(bytes, max_bytes))) {
        out.more = true;
        break;
      }
      absl::StatusOr<v1::StoredMessage> message =
          OpenProto<v1::StoredMessage>(schema::kMessages, it->key(), it->value());
      if (!message.ok()) return message.status();
      bytes += sealed;
      out.messages.push_back(*std::move(message));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "list messages");
    if (out.messages.empty()) {
      // Distinguish "no newer messages" from "no such thread".
      absl::StatusOr<v1::ThreadRecord> thread = GetThread(thread_id);
      if (!thread.ok()) return thread.status();
    }
    return out;
  }

  absl::StatusOr<v1::StoredMessage> FindMessage(const std::string& message_id) override {
    absl::StatusOr<std::optional<std::string>> location =
        ReadValue(schema::kMessageIds, message_id);
    if (!location.ok()) return location.status();
    if (!location->has_value()) {
      return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kNoSuchMessage,
                            {std::string(message_id)});
    }
    std::optional<schema::Location> parsed = schema::ParseMessageLocation(**location);
    if (!parsed) return absl::DataLossError("a message-id index entry is malformed");
    absl::StatusOr<std::optional<v1::StoredMessage>> message = ReadProto<v1::StoredMessage>(
        schema::kMessages, schema::MessageKey(parsed->thread_id, parsed->sequence));
    if (!message.ok()) return message.status();
    if (!message->has_value()) {
      return absl::DataLossError("the message-id index points to a missing message; run fsck");
    }
    return **message;
  }

  absl::StatusOr<QueuePageResult> ListQueue(const QueueQuery& query) override {
    if (absl::Status s = schema::ValidateKeyPart("unit", query.unit); !s.ok()) return s;
    if (query.page_size < 1 || query.page_size > 200) {
      return absl::InvalidArgumentError("page_size must be 1..200");
    }
    std::vector<v1::ThreadState> states = query.states;
    if (states.empty()) {
      states = {v1::THREAD_STATE_OPEN, v1::THREAD_STATE_CLAIMED, v1::THREAD_STATE_ANSWERED};
    }
    std::sort(states.begin(), states.end());
    states.erase(std::unique(states.begin(), states.end()), states.end());
    for (v1::ThreadState state : states) {
      if (state < v1::THREAD_STATE_OPEN || state > v1::THREAD_STATE_CLOSED) {
        return absl::InvalidArgumentError("queue filter names an unknown thread state");
      }
    }
    std::string after;
    if (!query.cursor.empty()) {
      if (!absl::WebSafeBase64Unescape(query.cursor, &after) || after.size() < 9) {
        return absl::InvalidArgumentError("malformed queue cursor");
      }
    }

    const rocksdb::Snapshot* snapshot = rocks_->db()->GetSnapshot();
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    absl::StatusOr<QueuePageResult> result = ScanQueue(query, states, after, read);
    rocks_->db()->ReleaseSnapshot(snapshot);
    return result;
  }

  absl::StatusOr<v1::SignedDirectory> GetDirectory(uint64_t* epoch) override {
    absl::StatusOr<std::optional<std::string>> value =
        ReadValue(schema::kDirectory, schema::kDirectoryKey);
    if (!value.ok()) return value.status();
    if (!value->has_value())
      return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kNoDirectory, {});
    v1::SignedDirectory directory;
    if ((*value)->size() < 8 ||
        !directory.ParseFromArray((*value)->data() + 8, static_cast<int>((*value)->size() - 8))) {
      return absl::DataLossError("the stored key directory is malformed");
    }
    if (epoch != nullptr) *epoch = schema::ReadU64(**value);
    return directory;
  }

  absl::StatusOr<bool> IsRevoked(const std::string& serial_hex) override {
    absl::StatusOr<std::optional<std::string>> value = ReadValue(schema::kRevocations, serial_hex);
    if (!value.ok()) return value.status();
    return value->has_value();
  }

  absl::StatusOr<std::vector<v1::RevocationRecord>> ListRevoked() override {
    std::vector<v1::RevocationRecord> out;
    absl::Status status = ForEach(schema::kRevocations, "", [&](const rocksdb::Iterator& it) {
      absl::StatusOr<v1::RevocationRecord> record =
          OpenProto<v1::RevocationRecord>(schema::kRevocations, it.key(), it.value());
      if (!record.ok()) return record.status();
      out.push_back(*std::move(record));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return out;
  }

  absl::StatusOr<std::vector<v1::AuditEntry>> ReadAudit(uint64_t after_index, int64_t since_unix_ms,
                                                        uint32_t limit) override {
    if (limit == 0) limit = 200;
    limit = std::min<uint32_t>(limit, 1000);
    if (after_index == std::numeric_limits<uint64_t>::max()) return std::vector<v1::AuditEntry>();
    std::vector<v1::AuditEntry> out;
    std::unique_ptr<rocksdb::Iterator> it(
        rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->cf(schema::kAudit)));
    for (it->Seek(schema::AuditKey(after_index + 1)); it->Valid() && out.size() < limit;
         it->Next()) {
      absl::StatusOr<v1::AuditEntry> entry =
          OpenProto<v1::AuditEntry>(schema::kAudit, it->key(), it->value());
      if (!entry.ok()) return entry.status();
      if (entry->at_unix_ms() >= since_unix_ms) out.push_back(*std::move(entry));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "read audit log");
    return out;
  }

  absl::Status VerifyAuditChain() override {
    return VerifyAuditChainOf(*rocks_, *keyring_, nullptr);
  }

  absl::StatusOr<std::vector<v1::StatsRow>> Stats(const StatsQuery& query) override;

  // ---- Maintenance ----

  absl::StatusOr<RetentionReport> RunRetention(const RetentionPolicy& policy) override;
  absl::StatusOr<BackupResult> Backup(const std::string& backup_dir, uint32_t keep) override;
  absl::Status RotateKek(SecretBytes new_kek) override;
  absl::Status StartDekRotation() override;
  DekRotationProgress GetDekRotationProgress() override {
    std::lock_guard lock(rotation_mu_);
    return progress_;
  }

  // ---- Team access ----

  void AddRecipients(std::string thread_id, std::string unit,
                     std::map<std::string, std::vector<v1::WrappedKey>> wraps,
                     std::optional<AuditDraft> audit, Callback<RecipientsAdded> done) override {
    Submit<RecipientsAdded>(
        [this, thread_id = std::move(thread_id), unit = std::move(unit), wraps = std::move(wraps),
         audit = std::move(audit)](Txn& txn) {
          return ApplyAddRecipients(txn, thread_id, unit, wraps, audit);
        },
        std::move(done));
  }

 private:
  struct AuditHead {
    uint64_t index = 0;
    std::string hash = std::string(32, '\0');
  };

  // ---- Commit path ----

  template <typename T>
  void Submit(absl::AnyInvocable<absl::StatusOr<T>(Txn&)> apply, Callback<T> done) {
    auto result = std::make_shared<std::optional<absl::StatusOr<T>>>();
    PendingOp op;
    op.apply = [apply = std::move(apply), result](Txn& txn) mutable {
      *result = apply(txn);
      return (*result)->status();
    };
    op.complete = [done = std::move(done), result](absl::Status commit) mutable {
      if (!result->has_value() || (!commit.ok() && (*result)->ok())) {
        std::move(done)(commit);
      } else {
        std::move(done)(std::move(**result));
      }
    };
    Enqueue(std::move(op));
  }

  void SubmitDone(absl::AnyInvocable<absl::Status(Txn&)> apply, DoneCallback done) {
    Submit<bool>(
        [apply = std::move(apply)](Txn& txn) mutable -> absl::StatusOr<bool> {
          absl::Status status = apply(txn);
          if (!status.ok()) return status;
          return true;
        },
        [done = std::move(done)](absl::StatusOr<bool> result) mutable {
          std::move(done)(result.status());
        });
  }

  // A key range of one column family; without bounds, the whole family.
  struct CompactionRange {
    CfId cf;
    std::optional<std::pair<std::string, std::string>> bounds;
  };

  // Makes overwritten and deleted values physically gone from the data
  // directory: flushes every memtable (so the WAL files holding the old
  // values become obsolete and RocksDB deletes them) and compacts each range
  // down to the bottommost level, where tombstones and the older versions
  // they shadow vanish (their input SST files are deleted). Bytes pinned by a
  // live iterator or snapshot go when it is released. Blocks; maintenance only.
  absl::Status FlushAndCompact(const std::vector<CompactionRange>& ranges) {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    if (absl::Status s = FromRocks(rocks_->db()->Flush(flush, rocks_->all_handles()), "flush");
        !s.ok()) {
      return s;
    }
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (const CompactionRange& range : ranges) {
      std::optional<rocksdb::Slice> begin;
      std::optional<rocksdb::Slice> end;
      if (range.bounds.has_value()) {
        begin.emplace(range.bounds->first);
        end.emplace(range.bounds->second);
      }
      if (absl::Status s = FromRocks(
              rocks_->db()->CompactRange(compact, rocks_->cf(range.cf), begin ? &*begin : nullptr,
                                         end ? &*end : nullptr),
              "compact");
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  // Submits and waits (maintenance only; never from a callback).
  absl::Status RunSync(absl::AnyInvocable<absl::Status(Txn&)> apply) {
    std::promise<absl::Status> promise;
    std::future<absl::Status> future = promise.get_future();
    SubmitDone(std::move(apply),
               [&promise](absl::Status status) mutable { promise.set_value(std::move(status)); });
    return future.get();
  }

  // Submits every op, at most kMaxInFlight queued at a time so they share
  // group commits, and waits for all of them. Returns the first failure.
  // Maintenance only; never from a callback.
  absl::Status RunPipelined(std::vector<absl::AnyInvocable<absl::Status(Txn&)>> ops) {
    constexpr size_t kMaxInFlight = 1024;
    std::mutex mu;
    std::condition_variable cv;
    size_t in_flight = 0;
    absl::Status first_error;
    for (auto& op : ops) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return in_flight < kMaxInFlight; });
        ++in_flight;
      }
      SubmitDone(std::move(op), [&](absl::Status status) {
        std::lock_guard lock(mu);
        if (!status.ok() && first_error.ok()) first_error = std::move(status);
        --in_flight;
        cv.notify_all();  // under the lock: the waiter may return at once
      });
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
    return first_error;
  }

  void Enqueue(PendingOp op) {
    {
      std::unique_lock lock(queue_mu_);
      if (!stopping_) {
        queue_.push_back(std::move(op));
        lock.unlock();
        queue_cv_.notify_one();
        return;
      }
    }
    std::move(op.complete)(absl::UnavailableError("the store is closing"));
  }

  void CommitLoop() {
    std::vector<PendingOp> group;
    while (true) {
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) return;  // stopping and drained
        size_t take = std::min(queue_.size(), kMaxGroupOps);
        std::move(queue_.begin(), queue_.begin() + take, std::back_inserter(group));
        queue_.erase(queue_.begin(), queue_.begin() + take);
      }
      CommitGroup(group);
      group.clear();
    }
  }

  void CommitGroup(std::vector<PendingOp>& group) {
    Txn txn(*rocks_, *keyring_);
    AuditHead group_start = audit_head_;
    for (PendingOp& op : group) {
      txn.batch().SetSavePoint();
      AuditHead before = audit_head_;
      size_t hooks = txn.hook_count();
      txn.set_now(options_.clock());
      absl::Status status = op.apply(txn);
      if (status.ok()) {
        txn.batch().PopSavePoint().PermitUncheckedError();
      } else {
        txn.batch().RollbackToSavePoint().PermitUncheckedError();
        audit_head_ = before;
        txn.DropHooksFrom(hooks);
      }
    }
    absl::Status commit;
    if (txn.batch().GetWriteBatch()->Count() > 0) {
      if (!last_write_error_.ok()) {
        // A failed write leaves RocksDB read-only until it is resumed (e.g.
        // once disk space is freed). Until then the group fails with the
        // original cause, so callers see "disk full" rather than "busy".
        if (ResumeAfterWriteError().ok()) {
          last_write_error_ = absl::OkStatus();
        } else {
          commit = absl::Status(
              last_write_error_.code(),
              absl::StrCat(last_write_error_.message(),
                           " (the store is read-only until this is fixed; it retries on the "
                           "next write)"));
          last_write_error_.ForEachPayload(
              [&commit](absl::string_view url, const absl::Cord& payload) {
                commit.SetPayload(url, payload);
              });
        }
      }
      if (commit.ok()) {
        ArmWalAnchor();
        rocksdb::WriteOptions write;
        write.sync = true;
        const auto started = std::chrono::steady_clock::now();
        commit = FromRocks(rocks_->db()->Write(write, txn.batch().GetWriteBatch()), "commit");
        if (options_.on_group_written) {
          options_.on_group_written(group.size(),
                                    std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - started)
                                        .count());
        }
        last_write_error_ = commit;
      }
    }
    if (commit.ok()) {
      txn.RunHooks();
    } else {
      audit_head_ = group_start;
    }
    CompletedGroup done{std::move(commit), {}};
    done.completions.reserve(group.size());
    for (PendingOp& op : group) done.completions.push_back(std::move(op.complete));
    {
      std::lock_guard lock(completion_mu_);
      completed_.push_back(std::move(done));
    }
    completion_cv_.notify_one();
  }

  // Brings RocksDB back to writable after a write-stopping error (RocksDB
  // does not recover on its own, see OpenRocks). Tried only when the volume
  // has room for every memtable, which Resume() flushes: a resume that runs
  // out of space again only fails again. Commit thread only.
  absl::Status ResumeAfterWriteError() {
    rocksdb::DB* db = rocks_->db();
    uint64_t memtable_bytes = 0;
    db->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &memtable_bytes);
    struct statvfs volume;
    if (::statvfs(options_.data_dir.c_str(), &volume) == 0 &&
        static_cast<uint64_t>(volume.f_bavail) * volume.f_frsize < memtable_bytes + (1u << 20)) {
      return absl::ResourceExhaustedError("the store's volume is still full");
    }
    return FromRocks(db->Resume(), "resume after a failed write");
  }

  // A failed WAL append may leave a torn record at the end of the current
  // WAL, and its writer refuses (in Debian's librocksdb: asserts) any further
  // append. Resume() moves to a fresh WAL only when it flushes a non-empty
  // memtable, which is not the case when nothing was written since the last
  // flush. So the default family (unused otherwise) always holds an anchor
  // entry, written without WAL: whenever its memtable has been flushed, the
  // next commit re-arms it. The anchor carries nothing and is not needed
  // after a crash. Commit thread only.
  void ArmWalAnchor() {
    rocksdb::DB* db = rocks_->db();
    uint64_t entries = 0;
    if (db->GetIntProperty(db->DefaultColumnFamily(), "rocksdb.num-entries-active-mem-table",
                           &entries) &&
        entries > 0) {
      return;
    }
    rocksdb::WriteOptions no_wal;
    no_wal.disableWAL = true;
    db->Put(no_wal, db->DefaultColumnFamily(), "wal-anchor", "").PermitUncheckedError();
  }

  // Runs the callbacks of written groups, oldest group first, so replies go
  // out (gRPC's Finish is most of a callback's cost) while the commit thread
  // writes the next group.
  void CompletionLoop() {
    std::deque<CompletedGroup> batch;
    while (true) {
      {
        std::unique_lock lock(completion_mu_);
        completion_cv_.wait(lock, [this] { return !completed_.empty() || completion_stopping_; });
        if (completed_.empty()) return;  // stopping and drained
        batch.swap(completed_);
      }
      for (CompletedGroup& group : batch) {
        for (auto& complete : group.completions) std::move(complete)(group.commit);
      }
      batch.clear();
    }
  }

  // ---- Ops (commit thread) ----

  absl::Status PutThread(Txn& txn, const v1::ThreadRecord* old, const v1::ThreadRecord& thread) {
    if (old != nullptr) {
      txn.Delete(schema::kQueueIndex, schema::QueueKey(*old));
      txn.Delete(schema::kExpiryIndex, schema::ExpiryKey(*old));
    }
    if (absl::Status s =
            txn.PutProto(schema::kThreads, schema::ThreadKey(thread.thread_id()), thread);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            txn.Put(schema::kQueueIndex, schema::QueueKey(thread), schema::QueueValue(thread));
        !s.ok()) {
      return s;
    }
    return txn.Put(schema::kExpiryIndex, schema::ExpiryKey(thread), "");
  }

  absl::Status PutMessage(Txn& txn, const v1::StoredMessage& message) {
    std::string key = schema::MessageKey(message.thread_id(), message.sequence());
    if (absl::Status s = txn.PutProto(schema::kMessages, key, message); !s.ok()) return s;
    return txn.Put(schema::kMessageIds, message.message_id(), key);
  }

  absl::StatusOr<v1::ThreadRecord> LoadThread(Txn& txn, const std::string& thread_id) {
    absl::StatusOr<std::optional<v1::ThreadRecord>> thread =
        txn.GetProto<v1::ThreadRecord>(schema::kThreads, schema::ThreadKey(thread_id));
    if (!thread.ok()) return thread.status();
    if (!thread->has_value()) return ThreadNotFound(thread_id);
    return **thread;
  }

  // The thread in `unit`; NOT_FOUND also when it lives in another unit, so
  // a unit cannot learn about other units' threads.
  absl::StatusOr<v1::ThreadRecord> LoadThreadInUnit(Txn& txn, const std::string& thread_id,
                                                    const std::string& unit) {
    absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
    if (!thread.ok()) return thread.status();
    if (!unit.empty() && thread->unit() != unit) return ThreadNotFound(thread_id);
    return thread;
  }

  // nullopt when the id is unused; the original when byte-identical;
  // ALREADY_EXISTS when the id holds other bytes.
  absl::StatusOr<std::optional<Appended>> CheckDuplicate(Txn& txn,
                                                         const v1::StoredMessage& message) {
    absl::StatusOr<std::optional<std::string>> location =
        txn.Get(schema::kMessageIds, message.message_id());
    if (!location.ok()) return location.status();
    if (!location->has_value()) return std::nullopt;
    std::optional<schema::Location> parsed = schema::ParseMessageLocation(**location);
    if (!parsed) return absl::DataLossError("a message-id index entry is malformed");
    absl::StatusOr<std::optional<v1::StoredMessage>> stored = txn.GetProto<v1::StoredMessage>(
        schema::kMessages, schema::MessageKey(parsed->thread_id, parsed->sequence));
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) {
      return absl::DataLossError("the message-id index points to a missing message; run fsck");
    }
    if (!SameSubmission(**stored, message)) {
      return reasons::Error(absl::StatusCode::kAlreadyExists,
                            reasons::Reason::kMessageIdUsedDifferently, {message.message_id()});
    }
    absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, parsed->thread_id);
    if (!thread.ok()) return thread.status();
    Appended appended;
    appended.thread = *std::move(thread);
    appended.message = **std::move(stored);
    appended.duplicate = true;
    return appended;
  }

  absl::StatusOr<Appended> ApplyCreateThread(Txn& txn, v1::ThreadRecord thread,
                                             v1::StoredMessage first) {
    if (absl::Status s = schema::ValidateKeyPart("thread_id", thread.thread_id()); !s.ok()) {
      return s;
    }
    if (absl::Status s = schema::ValidateKeyPart("unit", thread.unit()); !s.ok()) return s;
    if (first.thread_id().empty()) first.set_thread_id(thread.thread_id());
    if (first.thread_id() != thread.thread_id()) {
      return absl::InvalidArgumentError("the first message belongs to another thread");
    }
    if (first.sequence() > 1) {
      return absl::FailedPreconditionError("the first message of a thread has sequence 1");
    }
    first.set_sequence(1);
    if (absl::Status s = ValidateMessage(first); !s.ok()) return s;
    if (first.sender_role() != v1::SENDER_ROLE_PROFESSIONAL) {
      return absl::InvalidArgumentError("a thread starts with a professional's message");
    }
    absl::StatusOr<std::optional<Appended>> duplicate = CheckDuplicate(txn, first);
    if (!duplicate.ok()) return duplicate.status();
    if (duplicate->has_value()) return **std::move(duplicate);
    absl::StatusOr<std::optional<std::string>> existing =
        txn.GetRaw(schema::kThreads, schema::ThreadKey(thread.thread_id()));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      return reasons::Error(absl::StatusCode::kAlreadyExists, reasons::Reason::kThreadExists,
                            {thread.thread_id()});
    }
    const int64_t now = txn.now();
    thread.set_state(v1::THREAD_STATE_OPEN);
    thread.clear_claimed_by();
    if (thread.created_at_unix_ms() == 0) thread.set_created_at_unix_ms(now);
    thread.set_last_activity_unix_ms(std::max(now, thread.created_at_unix_ms()));
    thread.set_first_answer_at_unix_ms(0);
    thread.set_closed_at_unix_ms(0);
    thread.set_last_sequence(1);
    thread.set_last_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
    thread.clear_previous_units();
    first.set_accepted_at_unix_ms(now);
    if (absl::Status s = PutThread(txn, nullptr, thread); !s.ok()) return s;
    if (absl::Status s = PutMessage(txn, first); !s.ok()) return s;
    Appended appended;
    appended.thread = std::move(thread);
    appended.message = std::move(first);
    return appended;
  }

  // `take_over_audit` non-null: an adviser message moves another adviser's
  // claim (AppendTakingOver); null: such a message is refused.
  absl::StatusOr<Appended> ApplyAppend(Txn& txn, v1::StoredMessage message,
                                       const std::optional<AuditDraft>& audit,
                                       const AuditDraft* take_over_audit = nullptr) {
    if (absl::Status s = ValidateMessage(message); !s.ok()) return s;
    absl::StatusOr<std::optional<Appended>> duplicate = CheckDuplicate(txn, message);
    if (!duplicate.ok()) return duplicate.status();
    if (duplicate->has_value()) return **std::move(duplicate);
    absl::StatusOr<v1::ThreadRecord> loaded = LoadThread(txn, message.thread_id());
    if (!loaded.ok()) return loaded.status();
    const v1::ThreadRecord old = *loaded;
    v1::ThreadRecord thread = *std::move(loaded);
    if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
    if (message.sequence() != thread.last_sequence() + 1) {
      return reasons::Error(
          absl::StatusCode::kFailedPrecondition, reasons::Reason::kSequenceOutOfOrder,
          {absl::StrCat(message.sequence()), absl::StrCat(thread.last_sequence() + 1)});
    }
    const int64_t now = txn.now();
    std::string taken_from;
    if (message.sender_role() == v1::SENDER_ROLE_ADVISER && !thread.claimed_by().empty() &&
        thread.claimed_by() != message.adviser_id()) {
      if (take_over_audit == nullptr) return ClaimedByOther(thread);
      taken_from = thread.claimed_by();
      thread.set_claimed_by(message.adviser_id());
    }
    if (message.sender_role() == v1::SENDER_ROLE_ADVISER) {
      thread.set_state(v1::THREAD_STATE_ANSWERED);
      if (thread.claimed_by().empty()) thread.set_claimed_by(message.adviser_id());
      if (thread.first_answer_at_unix_ms() == 0) thread.set_first_answer_at_unix_ms(now);
    } else if (thread.state() == v1::THREAD_STATE_ANSWERED) {
      thread.set_state(thread.claimed_by().empty() ? v1::THREAD_STATE_OPEN
                                                   : v1::THREAD_STATE_CLAIMED);
    }
    thread.set_last_sequence(message.sequence());
    thread.set_last_sender_role(message.sender_role());
    thread.set_last_activity_unix_ms(now);
    message.set_accepted_at_unix_ms(now);
    if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
    if (absl::Status s = PutMessage(txn, message); !s.ok()) return s;
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    if (!taken_from.empty()) {
      AuditDraft draft = *take_over_audit;
      draft.thread_id = thread.thread_id();
      AppendDetail(draft, absl::StrCat("from=", taken_from));
      if (absl::Status s = AppendAuditInTxn(txn, draft).status(); !s.ok()) return s;
    }
    Appended appended;
    appended.thread = std::move(thread);
    appended.message = std::move(message);
    appended.taken_from = std::move(taken_from);
    return appended;
  }

  // FAILED_PRECONDITION naming the holder; the relay passes the text on and
  // the client recognises "is claimed by adviser " (client/commands_adviser.cc).
  static absl::Status ClaimedByOther(const v1::ThreadRecord& thread) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kClaimedByOther,
                          {thread.thread_id(), thread.claimed_by()});
  }

  static void AppendDetail(AuditDraft& draft, absl::string_view more) {
    draft.detail = draft.detail.empty() ? std::string(more) : absl::StrCat(draft.detail, " ", more);
  }

  absl::StatusOr<v1::ThreadRecord> ApplyClaim(Txn& txn, const std::string& thread_id,
                                              const std::string& unit,
                                              const std::string& adviser_id,
                                              const std::optional<AuditDraft>& audit) {
    if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
    if (adviser_id.empty()) return absl::InvalidArgumentError("adviser_id is empty");
    absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
    if (!loaded.ok()) return loaded.status();
    const v1::ThreadRecord old = *loaded;
    v1::ThreadRecord thread = *std::move(loaded);
    if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
    if (!thread.claimed_by().empty() && thread.claimed_by() != adviser_id) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kAlreadyClaimed,
                            {thread_id});
    }
    thread.set_claimed_by(adviser_id);
    if (thread.state() == v1::THREAD_STATE_OPEN) thread.set_state(v1::THREAD_STATE_CLAIMED);
    thread.set_last_activity_unix_ms(txn.now());
    if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    return thread;
  }

  absl::StatusOr<v1::ThreadRecord> ApplyRelease(Txn& txn, const std::string& thread_id,
                                                const std::string& unit,
                                                const std::string& adviser_id,
                                                const std::optional<AuditDraft>& audit) {
    absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
    if (!loaded.ok()) return loaded.status();
    v1::ThreadRecord thread = *std::move(loaded);
    if (thread.state() == v1::THREAD_STATE_CLOSED || adviser_id.empty() ||
        thread.claimed_by() != adviser_id) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition,
                            reasons::Reason::kNotClaimedByYou, {thread_id});
    }
    return FreeClaim(txn, std::move(thread), audit);
  }

  absl::StatusOr<v1::ThreadRecord> ApplyHandover(Txn& txn, const std::string& thread_id,
                                                 const std::string& unit, const std::string& from,
                                                 const std::string& to,
                                                 const std::optional<AuditDraft>& audit) {
    if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
    if (to.empty()) return absl::InvalidArgumentError("to_adviser_id is empty");
    if (to == from) {
      return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kHandOverToSelf,
                            {});
    }
    absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
    if (!loaded.ok()) return loaded.status();
    const v1::ThreadRecord old = *loaded;
    v1::ThreadRecord thread = *std::move(loaded);
    if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
    if (thread.claimed_by().empty()) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition,
                            reasons::Reason::kNotClaimedCannotHandOver, {thread_id});
    }
    if (from.empty() || thread.claimed_by() != from) return ClaimedByOther(thread);
    thread.set_claimed_by(to);
    thread.set_last_activity_unix_ms(txn.now());
    if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    return thread;
  }

  absl::StatusOr<v1::ThreadRecord> ApplyForceRelease(Txn& txn, const std::string& thread_id,
                                                     const std::string& unit,
                                                     const std::optional<AuditDraft>& audit) {
    absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
    if (!loaded.ok()) return loaded.status();
    if (absl::Status s = RefuseIfClosed(*loaded); !s.ok()) return s;
    if (loaded->claimed_by().empty()) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition,
                            reasons::Reason::kNotClaimedByAnyone, {thread_id});
    }
    std::optional<AuditDraft> draft = audit;
    if (draft.has_value()) AppendDetail(*draft, absl::StrCat("holder=", loaded->claimed_by()));
    return FreeClaim(txn, *std::move(loaded), draft);
  }

  // The claim of `thread` (claimed, not closed) freed: state OPEN.
  absl::StatusOr<v1::ThreadRecord> FreeClaim(Txn& txn, v1::ThreadRecord thread,
                                             const std::optional<AuditDraft>& audit) {
    const v1::ThreadRecord old = thread;
    thread.clear_claimed_by();
    thread.set_state(v1::THREAD_STATE_OPEN);
    thread.set_last_activity_unix_ms(txn.now());
    if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    return thread;
  }

  // Frees every claim `adviser_id` holds in `unit`: a claim is only ever
  // held while CLAIMED or ANSWERED, so the unit's queue index ranges of
  // those two states (pending writes of this group included) find them all.
  absl::StatusOr<std::vector<v1::ThreadRecord>> ReleaseClaimsOf(Txn& txn, const std::string& unit,
                                                                const std::string& adviser_id,
                                                                const AuditDraft& release_audit) {
    std::vector<v1::ThreadRecord> freed;
    if (unit.empty() || adviser_id.empty()) return freed;
    if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
    std::vector<std::string> thread_ids;
    for (v1::ThreadState state : {v1::THREAD_STATE_CLAIMED, v1::THREAD_STATE_ANSWERED}) {
      const std::string prefix = schema::QueueUnitStatePrefix(unit, state);
      std::unique_ptr<rocksdb::Iterator> it(txn.NewIterator(schema::kQueueIndex));
      for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
           it->Next()) {
        // prefix, urgency rank (1 byte), created (8 bytes), thread id:
        // schema::QueueKey.
        constexpr size_t kOrderBytes = 1 + 8;
        if (it->key().size() <= prefix.size() + kOrderBytes) {
          return absl::DataLossError("a queue index key is malformed; run fsck");
        }
        thread_ids.emplace_back(it->key().data() + prefix.size() + kOrderBytes,
                                it->key().size() - prefix.size() - kOrderBytes);
      }
      if (!it->status().ok()) return FromRocks(it->status(), "scan queue index");
    }
    for (const std::string& thread_id : thread_ids) {
      absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
      if (!thread.ok()) return thread.status();
      if (thread->claimed_by() != adviser_id || thread->unit() != unit) continue;
      AuditDraft draft = release_audit;
      draft.thread_id = thread_id;
      AppendDetail(draft, absl::StrCat("holder=", adviser_id));
      absl::StatusOr<v1::ThreadRecord> released = FreeClaim(txn, *std::move(thread), draft);
      if (!released.ok()) return released.status();
      freed.push_back(*std::move(released));
    }
    return freed;
  }

  absl::StatusOr<v1::ThreadRecord> ApplyRefer(
      Txn& txn, const std::string& thread_id, const std::string& from_unit,
      const std::string& to_unit, const std::map<std::string, std::vector<v1::WrappedKey>>& rewraps,
      const std::optional<v1::StoredMessage>& note, const std::optional<AuditDraft>& audit) {
    if (absl::Status s = schema::ValidateKeyPart("from_unit", from_unit); !s.ok()) return s;
    if (absl::Status s = schema::ValidateKeyPart("to_unit", to_unit); !s.ok()) return s;
    if (from_unit == to_unit) {
      return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kReferToOwnUnit,
                            {});
    }
    absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, from_unit);
    if (!loaded.ok()) return loaded.status();
    const v1::ThreadRecord old = *loaded;
    v1::ThreadRecord thread = *std::move(loaded);
    if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
    std::vector<v1::StoredMessage> messages;
    for (uint64_t sequence = 1; sequence <= thread.last_sequence(); ++sequence) {
      absl::StatusOr<std::optional<v1::StoredMessage>> message = txn.GetProto<v1::StoredMessage>(
          schema::kMessages, schema::MessageKey(thread_id, sequence));
      if (!message.ok()) return message.status();
      if (!message->has_value()) {
        return absl::DataLossError(
            absl::StrCat("thread ", thread_id, " is missing message ", sequence, "; run fsck"));
      }
      if (!rewraps.contains((*message)->message_id())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the referral has no re-wrapped keys for message ", (*message)->message_id()));
      }
      messages.push_back(**std::move(message));
    }
    if (rewraps.size() != messages.size()) {
      return absl::InvalidArgumentError(
          "the referral re-wraps keys for messages that are not in the thread");
    }
    const int64_t now = txn.now();
    for (v1::StoredMessage& message : messages) {
      for (const v1::WrappedKey& wrap : rewraps.at(message.message_id())) {
        *message.add_extra_recipients() = wrap;
      }
      if (absl::Status s = PutMessage(txn, message); !s.ok()) return s;
    }
    if (note.has_value()) {
      v1::StoredMessage message = *note;
      if (message.thread_id().empty()) message.set_thread_id(thread_id);
      if (message.sequence() == 0) message.set_sequence(thread.last_sequence() + 1);
      if (absl::Status s = ValidateMessage(message); !s.ok()) return s;
      if (message.thread_id() != thread_id) {
        return absl::InvalidArgumentError("the referral note belongs to another thread");
      }
      if (message.sequence() != thread.last_sequence() + 1) {
        return reasons::Error(
            absl::StatusCode::kFailedPrecondition, reasons::Reason::kReferralSequence,
            {absl::StrCat(message.sequence()), absl::StrCat(thread.last_sequence() + 1)});
      }
      absl::StatusOr<std::optional<std::string>> used =
          txn.GetRaw(schema::kMessageIds, message.message_id());
      if (!used.ok()) return used.status();
      if (used->has_value()) {
        return reasons::Error(absl::StatusCode::kAlreadyExists, reasons::Reason::kMessageIdUsed,
                              {message.message_id()});
      }
      message.set_accepted_at_unix_ms(now);
      thread.set_last_sequence(message.sequence());
      thread.set_last_sender_role(message.sender_role());
      if (absl::Status s = PutMessage(txn, message); !s.ok()) return s;
    }
    thread.set_unit(to_unit);
    thread.add_previous_units(from_unit);
    thread.set_state(v1::THREAD_STATE_OPEN);
    thread.clear_claimed_by();
    thread.set_last_activity_unix_ms(now);
    if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    return thread;
  }

  absl::StatusOr<v1::ThreadRecord> ApplyClose(Txn& txn, const std::string& thread_id,
                                              const std::string& unit,
                                              const std::optional<AuditDraft>& audit) {
    absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
    if (!loaded.ok()) return loaded.status();
    const v1::ThreadRecord old = *loaded;
    v1::ThreadRecord thread = *std::move(loaded);
    if (thread.state() == v1::THREAD_STATE_CLOSED) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition,
                            reasons::Reason::kThreadAlreadyClosed, {std::string(thread_id)});
    }
    thread.set_state(v1::THREAD_STATE_CLOSED);
    thread.clear_claimed_by();
    thread.set_closed_at_unix_ms(txn.now());
    thread.set_last_activity_unix_ms(txn.now());
    if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    return thread;
  }

  absl::Status ApplyPutDirectory(Txn& txn, const v1::SignedDirectory& directory, uint64_t epoch,
                                 const std::optional<AuditDraft>& audit) {
    absl::StatusOr<std::optional<std::string>> stored =
        txn.Get(schema::kDirectory, schema::kDirectoryKey);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      if ((*stored)->size() < 8) return absl::DataLossError("the stored directory is malformed");
      uint64_t stored_epoch = schema::ReadU64(**stored);
      if (epoch <= stored_epoch) {
        return reasons::Error(absl::StatusCode::kFailedPrecondition,
                              reasons::Reason::kStoredEpochNotHigher,
                              {absl::StrCat(epoch), absl::StrCat(stored_epoch)});
      }
    }
    std::string value;
    schema::AppendU64(&value, epoch);
    value += directory.SerializeAsString();
    if (absl::Status s = txn.Put(schema::kDirectory, schema::kDirectoryKey, value); !s.ok()) {
      return s;
    }
    return MaybeAudit(txn, audit);
  }

  absl::Status ApplyRevoke(Txn& txn, v1::RevocationRecord record,
                           const std::optional<AuditDraft>& audit) {
    if (absl::Status s = schema::ValidateKeyPart("serial_hex", record.serial_hex()); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::optional<std::string>> existing =
        txn.GetRaw(schema::kRevocations, record.serial_hex());
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return absl::OkStatus();  // idempotent
    if (record.revoked_at_unix_ms() == 0) record.set_revoked_at_unix_ms(txn.now());
    if (absl::Status s = txn.PutProto(schema::kRevocations, record.serial_hex(), record); !s.ok()) {
      return s;
    }
    return MaybeAudit(txn, audit);
  }

  absl::StatusOr<v1::RevocationRecord> ApplyUnrevoke(Txn& txn,
                                                     const std::vector<std::string>& stored_serials,
                                                     const std::optional<AuditDraft>& audit) {
    std::optional<v1::RevocationRecord> removed;
    for (const std::string& serial : stored_serials) {
      if (absl::Status s = schema::ValidateKeyPart("serial_hex", serial); !s.ok()) return s;
      absl::StatusOr<std::optional<v1::RevocationRecord>> existing =
          txn.GetProto<v1::RevocationRecord>(schema::kRevocations, serial);
      if (!existing.ok()) return existing.status();
      if (!existing->has_value()) continue;
      if (!removed.has_value()) removed = **existing;
      txn.Delete(schema::kRevocations, serial);
    }
    if (!removed.has_value())
      return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kSerialNotRevoked, {});
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    return *removed;
  }

  absl::Status MaybeAudit(Txn& txn, const std::optional<AuditDraft>& audit) {
    if (!audit.has_value()) return absl::OkStatus();
    return AppendAuditInTxn(txn, *audit).status();
  }

  absl::StatusOr<v1::AuditEntry> AppendAuditInTxn(Txn& txn, const AuditDraft& draft) {
    if (absl::Status s = ValidateAudit(draft); !s.ok()) return s;
    v1::AuditEntry entry;
    entry.set_index(audit_head_.index + 1);
    entry.set_at_unix_ms(txn.now());
    entry.set_actor_role(draft.actor_role);
    entry.set_actor_id(draft.actor_id);
    entry.set_action(draft.action);
    entry.set_thread_id(draft.thread_id);
    entry.set_detail(draft.detail);
    entry.set_prev_hash(audit_head_.hash);
    absl::StatusOr<std::string> hash = AuditHash(entry);
    if (!hash.ok()) return hash.status();
    entry.set_hash(*hash);
    if (absl::Status s = txn.PutProto(schema::kAudit, schema::AuditKey(entry.index()), entry);
        !s.ok()) {
      return s;
    }
    audit_head_.index = entry.index();
    audit_head_.hash = entry.hash();
    return entry;
  }

  absl::Status LoadAuditHead() {
    std::unique_ptr<rocksdb::Iterator> it(
        rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->cf(schema::kAudit)));
    it->SeekToLast();
    if (!it->status().ok()) return FromRocks(it->status(), "read audit log");
    if (!it->Valid()) return absl::OkStatus();
    absl::StatusOr<v1::AuditEntry> last =
        OpenProto<v1::AuditEntry>(schema::kAudit, it->key(), it->value());
    if (!last.ok()) return last.status();
    audit_head_.index = last->index();
    audit_head_.hash = last->hash();
    return absl::OkStatus();
  }

  // ---- Read helpers ----

  absl::StatusOr<std::optional<std::string>> ReadValue(CfId cf, std::string_view key,
                                                       const rocksdb::ReadOptions& read = {}) {
    std::string sealed;
    rocksdb::Status status = rocks_->db()->Get(read, rocks_->cf(cf), ToSlice(key), &sealed);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) return FromRocks(status, absl::StrCat("read ", CfLabel(cf)));
    absl::StatusOr<std::string> plain = keyring_->Open(CfName(cf), key, sealed);
    if (!plain.ok()) return plain.status();
    return *std::move(plain);
  }

  template <typename Proto>
  absl::StatusOr<std::optional<Proto>> ReadProto(CfId cf, std::string_view key,
                                                 const rocksdb::ReadOptions& read = {}) {
    absl::StatusOr<std::optional<std::string>> plain = ReadValue(cf, key, read);
    if (!plain.ok()) return plain.status();
    if (!plain->has_value()) return std::nullopt;
    Proto proto;
    if (!proto.ParseFromString(**plain)) {
      return absl::DataLossError(absl::StrCat("a record in ", CfLabel(cf), " does not parse"));
    }
    return proto;
  }

  template <typename Proto>
  absl::StatusOr<Proto> OpenProto(CfId cf, const rocksdb::Slice& key, const rocksdb::Slice& value) {
    absl::StatusOr<std::string> plain =
        keyring_->Open(CfName(cf), std::string_view(key.data(), key.size()),
                       std::string_view(value.data(), value.size()));
    if (!plain.ok()) return plain.status();
    Proto proto;
    if (!proto.ParseFromString(*plain)) {
      return absl::DataLossError(absl::StrCat("a record in ", CfLabel(cf), " does not parse"));
    }
    return proto;
  }

  absl::Status ForEach(CfId cf, std::string_view prefix,
                       absl::FunctionRef<absl::Status(const rocksdb::Iterator&)> visit,
                       const rocksdb::ReadOptions& read = {}) {
    std::unique_ptr<rocksdb::Iterator> it(rocks_->db()->NewIterator(read, rocks_->cf(cf)));
    for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
         it->Next()) {
      if (absl::Status s = visit(*it); !s.ok()) return s;
    }
    return FromRocks(it->status(), absl::StrCat("scan ", CfLabel(cf)));
  }

  static absl::Status ThreadNotFound(std::string_view thread_id) {
    return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kThreadNotFound,
                          {std::string(thread_id)});
  }

  absl::StatusOr<QueuePageResult> ScanQueue(const QueueQuery& query,
                                            const std::vector<v1::ThreadState>& states,
                                            const std::string& after,
                                            const rocksdb::ReadOptions& read);

  // ---- DEK rotation ----
  void StartRewrite(uint32_t generation);
  void RewriteAll(uint32_t generation);
  void StopDekRotation() {
    rotation_stop_ = true;
    if (rotation_thread_.joinable()) rotation_thread_.join();
  }

  // ---- Team access ----

  // The message `message_id` of `thread_id`; INVALID_ARGUMENT when the id
  // names no message or one of another thread.
  absl::StatusOr<v1::StoredMessage> LoadMessageOfThread(Txn& txn, const std::string& thread_id,
                                                        const std::string& message_id) {
    const std::string not_in_thread =
        absl::StrCat("message ", message_id, " is not a message of thread ", thread_id);
    absl::StatusOr<std::optional<std::string>> location = txn.Get(schema::kMessageIds, message_id);
    if (!location.ok()) return location.status();
    if (!location->has_value()) return absl::InvalidArgumentError(not_in_thread);
    std::optional<schema::Location> parsed = schema::ParseMessageLocation(**location);
    if (!parsed) return absl::DataLossError("a message-id index entry is malformed");
    if (parsed->thread_id != thread_id) return absl::InvalidArgumentError(not_in_thread);
    absl::StatusOr<std::optional<v1::StoredMessage>> message = txn.GetProto<v1::StoredMessage>(
        schema::kMessages, schema::MessageKey(thread_id, parsed->sequence));
    if (!message.ok()) return message.status();
    if (!message->has_value()) {
      return absl::DataLossError(absl::StrCat("thread ", thread_id, " is missing message ",
                                              parsed->sequence, "; run fsck"));
    }
    return **std::move(message);
  }

  // Adds to `message` the wraps whose key id is not yet one of its
  // recipients; returns how many it added.
  static absl::StatusOr<uint32_t> AddNewWraps(v1::StoredMessage& message,
                                              const std::vector<v1::WrappedKey>& wraps) {
    absl::StatusOr<crypto::ParsedEnvelope> envelope = crypto::ParseEnvelope(message.envelope());
    if (!envelope.ok()) {
      return absl::DataLossError(
          absl::StrCat("the stored envelope of message ", message.message_id(), " does not parse"));
    }
    std::set<std::string> present;
    for (const v1::WrappedKey& wrap : envelope->header.recipients()) present.insert(wrap.key_id());
    for (const v1::WrappedKey& wrap : message.extra_recipients()) present.insert(wrap.key_id());
    uint32_t added = 0;
    for (const v1::WrappedKey& wrap : wraps) {
      if (!present.insert(wrap.key_id()).second) continue;
      *message.add_extra_recipients() = wrap;
      ++added;
    }
    if (static_cast<size_t>(message.extra_recipients_size()) > crypto::kMaxRecipients) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kTooManyWraps,
                            {message.message_id(), absl::StrCat(message.extra_recipients_size()),
                             absl::StrCat(crypto::kMaxRecipients)});
    }
    return added;
  }

  absl::StatusOr<RecipientsAdded> ApplyAddRecipients(
      Txn& txn, const std::string& thread_id, const std::string& unit,
      const std::map<std::string, std::vector<v1::WrappedKey>>& wraps,
      const std::optional<AuditDraft>& audit) {
    if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
    if (wraps.empty()) return absl::InvalidArgumentError("no wraps to add");
    absl::StatusOr<v1::ThreadRecord> thread = LoadThreadInUnit(txn, thread_id, unit);
    if (!thread.ok()) return thread.status();
    if (absl::Status s = RefuseIfClosed(*thread); !s.ok()) return s;
    // Everything is checked before anything is written.
    std::vector<v1::StoredMessage> changed;
    RecipientsAdded out;
    for (const auto& [message_id, message_wraps] : wraps) {
      absl::StatusOr<v1::StoredMessage> message = LoadMessageOfThread(txn, thread_id, message_id);
      if (!message.ok()) return message.status();
      absl::StatusOr<uint32_t> added = AddNewWraps(*message, message_wraps);
      if (!added.ok()) return added.status();
      if (*added == 0) continue;
      out.wraps_added += *added;
      changed.push_back(*std::move(message));
    }
    for (const v1::StoredMessage& message : changed) {
      if (absl::Status s = PutMessage(txn, message); !s.ok()) return s;
    }
    if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
    out.messages_updated = static_cast<uint32_t>(changed.size());
    out.thread = *std::move(thread);
    return out;
  }

  StoreOptions options_;
  std::unique_ptr<RocksHandle> rocks_;
  std::unique_ptr<Keyring> keyring_;
  SecretBytes kek_;  // commit thread only (after Start)

  // std::mutex rather than absl::Mutex: the system Abseil is not built with
  // ThreadSanitizer, pthread locks are intercepted by it.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingOp> queue_;  // guarded by queue_mu_
  bool stopping_ = false;         // guarded by queue_mu_
  std::thread commit_thread_;

  // A written group's outcome and its callbacks, for the completion thread.
  struct CompletedGroup {
    absl::Status commit;
    std::vector<absl::AnyInvocable<void(absl::Status)>> completions;
  };
  std::mutex completion_mu_;
  std::condition_variable completion_cv_;
  std::deque<CompletedGroup> completed_;  // guarded by completion_mu_
  bool completion_stopping_ = false;      // guarded by completion_mu_
  std::thread completion_thread_;
  AuditHead audit_head_;           // commit thread only (after Start)
  absl::Status last_write_error_;  // commit thread only: why the last write failed

  std::mutex rotation_mu_;
  DekRotationProgress progress_;  // guarded by rotation_mu_
  std::atomic<bool> rotation_stop_{false};
  std::thread rotation_thread_;
  std::mutex maintenance_mu_;  // one retention / key rotation at a time
};

// ---- Queue ----

absl::StatusOr<QueuePageResult> StoreImpl::ScanQueue(const QueueQuery& query,
                                                     const std::vector<v1::ThreadState>& states,
                                                     const std::string& after,
                                                     const rocksdb::ReadOptions& read) {
  // One iterator per requested state; a k-way merge on the order suffix
  // (urgency rank, created, thread id) yields the unit's queue in order.
  struct Cursor {
    std::string prefix;
    std::unique_ptr<rocksdb::Iterator> it;
    bool valid() const { return it->Valid() && it->key().starts_with(ToSlice(prefix)); }
    std::string_view suffix() const {
      return std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    }
  };
  std::vector<Cursor> cursors;
  for (v1::ThreadState state : states) {
    Cursor cursor;
    cursor.prefix = schema::QueueUnitStatePrefix(query.unit, state);
    cursor.it.reset(rocks_->db()->NewIterator(read, rocks_->cf(schema::kQueueIndex)));
    cursor.it->Seek(cursor.prefix + after);
    if (!after.empty() && cursor.valid() && cursor.suffix() == after) cursor.it->Next();
    cursors.push_back(std::move(cursor));
  }
  QueuePageResult page;
  std::string last_suffix;
  size_t scanned = 0;
  bool more = false;
  while (true) {
    Cursor* next = nullptr;
    for (Cursor& cursor : cursors) {
      if (!cursor.it->status().ok()) return FromRocks(cursor.it->status(), "scan queue");
      if (cursor.valid() && (next == nullptr || cursor.suffix() < next->suffix())) {
        next = &cursor;
      }
    }
    if (next == nullptr) break;
    if (page.threads.size() >= query.page_size || scanned >= kMaxQueueScan) {
      more = true;
      break;
    }
    ++scanned;
    std::string suffix(next->suffix());
    const uint8_t rank = static_cast<uint8_t>(suffix[0]);
    bool wanted = query.urgencies.empty() ||
                  std::any_of(query.urgencies.begin(), query.urgencies.end(),
                              [rank](v1::Urgency u) { return schema::UrgencyRank(u) == rank; });
    if (wanted && !query.categories.empty()) {
      absl::StatusOr<std::string> value =
          keyring_->Open(CfName(schema::kQueueIndex),
                         std::string_view(next->it->key().data(), next->it->key().size()),
                         std::string_view(next->it->value().data(), next->it->value().size()));
      if (!value.ok()) return value.status();
      if (value->size() != 1) return absl::DataLossError("a queue index entry is malformed");
      const int category = static_cast<uint8_t>((*value)[0]);
      wanted = std::any_of(query.categories.begin(), query.categories.end(),
                           [category](v1::Category c) { return static_cast<int>(c) == category; });
    }
    if (wanted) {
      std::string thread_id = suffix.substr(9);
      absl::StatusOr<std::optional<v1::ThreadRecord>> thread =
          ReadProto<v1::ThreadRecord>(schema::kThreads, schema::ThreadKey(thread_id), read);
      if (!thread.ok()) return thread.status();
      if (!thread->has_value()) {
        return absl::DataLossError("a queue index entry names a missing thread; run fsck");
      }
      page.threads.push_back(**std::move(thread));
    }
    last_suffix = std::move(suffix);
    next->it->Next();
  }
  if (more) page.next_cursor = absl::WebSafeBase64Escape(last_suffix);
  return page;
}

// ---- Stats ----

absl::StatusOr<std::vector<v1::StatsRow>> StoreImpl::Stats(const StatsQuery& query) {
  SAMRAD_ASSIGN_OR_RETURN(StatsAccumulator stats, StatsAccumulator::Start(query, options_.clock()));
  absl::Status status = ForEach(schema::kThreads, "", [&](const rocksdb::Iterator& it) {
    absl::StatusOr<v1::ThreadRecord> thread =
        OpenProto<v1::ThreadRecord>(schema::kThreads, it.key(), it.value());
    if (!thread.ok()) return thread.status();
    stats.Add(*thread);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return stats.Rows();
}

// ---- Retention ----

absl::StatusOr<RetentionReport> StoreImpl::RunRetention(const RetentionPolicy& policy) {
  if (policy.closed_days < 0 || policy.inactive_days < 0) {
    return absl::InvalidArgumentError("retention days must not be negative");
  }
  std::lock_guard maintenance(maintenance_mu_);
  RetentionReport report;
  const int64_t now = options_.clock();
  const int64_t inactive_cutoff = now - int64_t{policy.inactive_days} * kDayMs;
  const int64_t closed_cutoff = now - int64_t{policy.closed_days} * kDayMs;

  // Index entries below a cutoff, oldest first: (time, thread id).
  auto due = [&](char kind, int64_t cutoff) -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> ids;
    std::string prefix = schema::ExpiryPrefix(kind);
    std::unique_ptr<rocksdb::Iterator> it(
        rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->cf(schema::kExpiryIndex)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      if (key.size() < 9 || schema::ReadI64(key.substr(1, 8)) >= cutoff) break;
      ids.emplace_back(key.substr(9));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scan expiry index");
    return ids;
  };

  absl::StatusOr<std::vector<std::string>> to_close = due(schema::kExpiryActive, inactive_cutoff);
  if (!to_close.ok()) return to_close.status();
  if (policy.dry_run) {
    report.threads_closed = to_close->size();
    report.closed_thread_ids = *to_close;
  } else {
    // One op (one atomic batch) per thread; pipelined so they share fsyncs.
    std::vector<char> closed(to_close->size(), 0);
    std::vector<absl::AnyInvocable<absl::Status(Txn&)>> ops;
    for (size_t i = 0; i < to_close->size(); ++i) {
      ops.push_back([this, &closed, i, thread_id = (*to_close)[i],
                     inactive_cutoff](Txn& txn) -> absl::Status {
        absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
        if (absl::IsNotFound(thread.status())) return absl::OkStatus();
        if (!thread.ok()) return thread.status();
        if (thread->state() == v1::THREAD_STATE_CLOSED ||
            thread->last_activity_unix_ms() >= inactive_cutoff) {
          return absl::OkStatus();  // activity since the scan postpones expiry
        }
        AuditDraft audit{"relay", "", "retention-close", thread_id, "inactive"};
        absl::StatusOr<v1::ThreadRecord> result = ApplyClose(txn, thread_id, "", audit);
        closed[i] = result.ok();
        return result.status();
      });
    }
    if (absl::Status s = RunPipelined(std::move(ops)); !s.ok()) return s;
    for (size_t i = 0; i < to_close->size(); ++i) {
      if (!closed[i]) continue;
      ++report.threads_closed;
      report.closed_thread_ids.push_back((*to_close)[i]);
    }
  }

  absl::StatusOr<std::vector<std::string>> to_purge = due(schema::kExpiryClosed, closed_cutoff);
  if (!to_purge.ok()) return to_purge.status();
  if (policy.dry_run) {
    for (const std::string& thread_id : *to_purge) {
      absl::StatusOr<v1::ThreadRecord> thread = GetThread(thread_id);
      if (!thread.ok()) return thread.status();
      ++report.threads_purged;
      report.messages_purged += thread->last_sequence();
      report.purged_thread_ids.push_back(thread_id);
    }
    return report;
  }
  // Affected key range per column family, for the compaction afterwards.
  // Touched only on the commit thread; read after every op completed.
  std::map<CfId, std::pair<std::string, std::string>> ranges;
  auto touch = [&ranges](CfId cf, const std::string& key) {
    auto [it, inserted] = ranges.try_emplace(cf, key, key);
    if (!inserted) {
      it->second.first = std::min(it->second.first, key);
      it->second.second = std::max(it->second.second, key);
    }
  };
  std::vector<uint64_t> purged_messages(to_purge->size(), 0);
  std::vector<char> purged(to_purge->size(), 0);
  std::vector<absl::AnyInvocable<absl::Status(Txn&)>> ops;
  for (size_t i = 0; i < to_purge->size(); ++i) {
    ops.push_back([this, &touch, &purged, &purged_messages, i, thread_id = (*to_purge)[i],
                   closed_cutoff](Txn& txn) -> absl::Status {
      absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
      if (absl::IsNotFound(thread.status())) return absl::OkStatus();
      if (!thread.ok()) return thread.status();
      if (thread->state() != v1::THREAD_STATE_CLOSED ||
          thread->closed_at_unix_ms() >= closed_cutoff) {
        return absl::OkStatus();
      }
      for (uint64_t sequence = 1; sequence <= thread->last_sequence(); ++sequence) {
        std::string key = schema::MessageKey(thread_id, sequence);
        absl::StatusOr<std::optional<v1::StoredMessage>> message =
            txn.GetProto<v1::StoredMessage>(schema::kMessages, key);
        if (!message.ok()) return message.status();
        if (message->has_value()) {
          txn.Delete(schema::kMessageIds, (*message)->message_id());
          touch(schema::kMessageIds, (*message)->message_id());
        }
        txn.Delete(schema::kMessages, key);
        touch(schema::kMessages, key);
      }
      txn.Delete(schema::kThreads, schema::ThreadKey(thread_id));
      touch(schema::kThreads, schema::ThreadKey(thread_id));
      txn.Delete(schema::kQueueIndex, schema::QueueKey(*thread));
      touch(schema::kQueueIndex, schema::QueueKey(*thread));
      txn.Delete(schema::kExpiryIndex, schema::ExpiryKey(*thread));
      touch(schema::kExpiryIndex, schema::ExpiryKey(*thread));
      AuditDraft audit{"relay", "", "purge", thread_id, "retention"};
      if (absl::Status s = AppendAuditInTxn(txn, audit).status(); !s.ok()) return s;
      purged_messages[i] = thread->last_sequence();
      purged[i] = 1;
      return absl::OkStatus();
    });
  }
  if (absl::Status s = RunPipelined(std::move(ops)); !s.ok()) return s;
  for (size_t i = 0; i < to_purge->size(); ++i) {
    if (!purged[i]) continue;
    ++report.threads_purged;
    report.messages_purged += purged_messages[i];
    report.purged_thread_ids.push_back((*to_purge)[i]);
  }
  if (ranges.empty()) return report;

  // Make the deletion physical (the WAL and SST files holding the purged
  // values are deleted).
  std::vector<CompactionRange> compactions;
  for (auto& [cf, range] : ranges) compactions.push_back({cf, std::move(range)});
  if (absl::Status s = FlushAndCompact(compactions); !s.ok()) return s;
  return report;
}

// ---- Backup ----

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

absl::StatusOr<BackupResult> StoreImpl::Backup(const std::string& backup_dir, uint32_t keep) {
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
  status = engine->CreateNewBackup(create, rocks_->db());
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

// ---- Key rotation ----

absl::Status StoreImpl::RotateKek(SecretBytes new_kek) {
  if (new_kek.size() != kDekLen) return absl::InvalidArgumentError("the new KEK must be 32 bytes");
  // Serialised with StartDekRotation, so a new generation is never wrapped
  // under the KEK being replaced.
  std::lock_guard maintenance(maintenance_mu_);
  auto shared_kek = std::make_shared<SecretBytes>(std::move(new_kek));
  absl::Status status = RunSync([this, shared_kek](Txn& txn) -> absl::Status {
    for (uint32_t generation : keyring_->generations()) {
      absl::StatusOr<SecretBytes> dek = keyring_->CloneDek(generation);
      if (!dek.ok()) return dek.status();
      absl::StatusOr<std::string> wrapped = WrapDek(*shared_kek, generation, *dek);
      if (!wrapped.ok()) return wrapped.status();
      txn.PutRaw(schema::kMeta, schema::DekKey(generation), *wrapped);
    }
    txn.OnCommit([this, shared_kek] { kek_ = shared_kek->Clone(); });
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  // The old wraps still sit in the WAL, memtables and SST files, where the
  // old KEK would unwrap them: flush and compact meta so no copy remains.
  if (absl::Status s = FlushAndCompact({{schema::kMeta, std::nullopt}}); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("the data key is re-wrapped under the new KEK, but removing "
                                     "the old wraps from disk failed; rotate again to "
                                     "the new KEK to retry: ",
                                     s.message()));
  }
  return absl::OkStatus();
}

absl::Status StoreImpl::StartDekRotation() {
  std::lock_guard maintenance(maintenance_mu_);
  {
    std::lock_guard lock(rotation_mu_);
    if (progress_.running) {
      return absl::FailedPreconditionError("a data-key rotation is already running");
    }
  }
  if (rotation_thread_.joinable()) rotation_thread_.join();
  const uint32_t generation = keyring_->current_generation() + 1;
  auto dek = std::make_shared<SecretBytes>(kDekLen);
  crypto::SystemRandom().Fill(dek->mutable_span());
  absl::Status status = RunSync([this, generation, dek](Txn& txn) -> absl::Status {
    absl::StatusOr<std::string> wrapped = WrapDek(kek_, generation, *dek);
    if (!wrapped.ok()) return wrapped.status();
    txn.PutRaw(schema::kMeta, schema::DekKey(generation), *wrapped);
    // New values use the new generation only once its wrap is durable.
    txn.OnCommit([this, generation, dek] { keyring_->Add(generation, dek->Clone()); });
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  StartRewrite(generation);
  return absl::OkStatus();
}

void StoreImpl::StartRewrite(uint32_t generation) {
  {
    std::lock_guard lock(rotation_mu_);
    progress_ = DekRotationProgress{true, 0, 0, generation, ""};
  }
  rotation_stop_ = false;
  rotation_thread_ = std::thread([this, generation] { RewriteAll(generation); });
}

void StoreImpl::RewriteAll(uint32_t generation) {
  // Count first, for progress.
  uint64_t total = 0;
  for (int cf = 0; cf < schema::kNumCfs; ++cf) {
    std::unique_ptr<rocksdb::Iterator> it(
        rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->cf(static_cast<CfId>(cf))));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++total;
  }
  {
    std::lock_guard lock(rotation_mu_);
    progress_.values_total = total;
  }
  bool failed = false;
  for (int cf_index = 0; cf_index < schema::kNumCfs && !failed; ++cf_index) {
    const CfId cf = static_cast<CfId>(cf_index);
    std::unique_ptr<rocksdb::Iterator> it(
        rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->cf(cf)));
    it->SeekToFirst();
    while (it->Valid() && !failed) {
      if (rotation_stop_) return;  // resumed on the next Open
      std::vector<std::string> keys;
      for (; it->Valid() && keys.size() < kDekRewriteBatch; it->Next()) {
        keys.emplace_back(it->key().data(), it->key().size());
      }
      // Re-seal inside the commit thread, so a concurrent write to the same
      // key is never overwritten with stale bytes.
      absl::Status status = RunSync([this, cf, generation, &keys](Txn& txn) -> absl::Status {
        for (const std::string& key : keys) {
          if (cf == schema::kMeta && key.starts_with(schema::kDekKeyPrefix)) continue;
          absl::StatusOr<std::optional<std::string>> sealed = txn.GetRaw(cf, key);
          if (!sealed.ok()) return sealed.status();
          if (!sealed->has_value()) continue;  // deleted meanwhile
          if (SealedGeneration(**sealed) == generation) continue;
          absl::StatusOr<std::string> plain = keyring_->Open(CfName(cf), key, **sealed);
          if (!plain.ok()) return plain.status();
          absl::StatusOr<std::string> resealed =
              keyring_->SealWith(generation, CfName(cf), key, *plain);
          if (!resealed.ok()) return resealed.status();
          txn.PutRaw(cf, key, *resealed);
        }
        return absl::OkStatus();
      });
      if (!status.ok()) {
        std::lock_guard lock(rotation_mu_);
        progress_.error = std::string(status.message());
        failed = true;
        break;
      }
      std::lock_guard lock(rotation_mu_);
      progress_.values_done += keys.size();
    }
  }
  if (!failed) {
    // Every value is under the new generation: retire the older wraps.
    absl::Status status = RunSync([this, generation](Txn& txn) -> absl::Status {
      for (uint32_t old : keyring_->generations()) {
        if (old != generation) txn.Delete(schema::kMeta, schema::DekKey(old));
      }
      return absl::OkStatus();
    });
    if (!status.ok()) {
      std::lock_guard lock(rotation_mu_);
      progress_.error = std::string(status.message());
      failed = true;
    }
  }
  if (!failed) {
    // The old generation's ciphertext (and the retired wraps) still sit in
    // WAL files, memtables and SST files: flush and compact every column
    // family so no file of the data directory holds any of it. The rotation
    // reports done only after this.
    std::vector<CompactionRange> everything;
    for (int cf = 0; cf < schema::kNumCfs; ++cf) {
      everything.push_back({static_cast<CfId>(cf), std::nullopt});
    }
    if (absl::Status s = FlushAndCompact(everything); !s.ok()) {
      std::lock_guard lock(rotation_mu_);
      progress_.error = absl::StrCat(
          "every value is re-sealed under data key generation ", generation,
          ", but removing the old ciphertext from disk failed (rotate again to retry): ",
          s.message());
      failed = true;
    }
  }
  std::lock_guard lock(rotation_mu_);
  progress_.running = false;
  if (!failed) {
    // The count taken at the start misses values written since; report the
    // finished rewrite as complete.
    progress_.values_total = std::max(progress_.values_done, progress_.values_total);
    progress_.values_done = progress_.values_total;
  }
}

// ---- Open ----

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
  auto store =
      std::make_unique<StoreImpl>(std::move(options), *std::move(rocks), *std::move(keyring));
  if (absl::Status s = store->Start(); !s.ok()) return s;
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
