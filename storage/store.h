// samrad_storage: the relay's only way to RocksDB.
//
// One Store owns one RocksDB directory with the column families threads,
// messages, queue_index, expiry_index, directory, audit, revocations,
// message_ids and meta. Every value is sealed at rest with AES-256-GCM under a
// data key (DEK) that is stored wrapped by a key-encryption key (KEK); the AAD
// binds column family and RocksDB key. RocksDB keys themselves are not
// encrypted: they hold what ordering needs (thread and message ids, unit
// names, thread state, urgency, times), never message content.
//
// Writes are asynchronous and durable: each mutation is validated against the
// current state and queued; a single commit thread groups queued batches into
// one synced RocksDB write (one fsync for many callers) and then runs each
// caller's callback with the outcome of exactly its own batch. A callback with
// OK means the change is on disk (synced WAL). Validation and its write happen
// in one serial order, so a claim is atomic and a message id is never used
// twice. Callbacks run on the store's completion thread, in commit order,
// after their group is on disk: they must not block or call back into the
// Store's write methods synchronously waiting for a result.
//
// A group whose write fails (e.g. disk full: RESOURCE_EXHAUSTED) fails all
// of its callers and leaves nothing behind. Later writes fail with the same
// cause until it is fixed; then the store recovers by itself. Reads go on.
//
// Reads are synchronous and see every write whose callback has run.
//
// Ownership: Store::Open returns the only owner. Arguments are taken by
// value (moved in) or read during the call; every callback is run exactly
// once, also for a write queued while the store closes (UNAVAILABLE "the
// store is closing"), and the destructor returns only after every queued
// write's callback has run.
//
// Thread-safety: all methods are thread-safe and may be called from any
// thread, except that the blocking maintenance methods must not be called
// from a Store callback (they wait for the commit thread).
//
// Error codes every method may return besides those it names:
// RESOURCE_EXHAUSTED for a write on a full volume (IsDiskFull is true; see
// options.h); DATA_LOSS when a stored value does not open under the keyring
// or does not parse ("run fsck"); UNAVAILABLE or INTERNAL with RocksDB's
// message for other I/O failures. A refusal that a person can act on carries
// a reason of common/reasons.h (FAILED_PRECONDITION, NOT_FOUND, ...), so the
// relay can say it in the user's language.
//
// The parts behind this interface (commit pipeline, write operations, audit
// chain, queries, retention, backup, key rotation) are described in
// docs/DESIGN.md, "Storage layering".
#ifndef SAMRAD_STORAGE_STORE_H_
#define SAMRAD_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "proto/directory.pb.h"
#include "proto/records.pb.h"
#include "proto/relay.pb.h"
#include "storage/options.h"
#include "storage/stats.h"

namespace samrad::storage {

// Reads a KEK: a file of exactly 32 raw bytes, or 64 hex characters (a
// trailing newline is allowed). INVALID_ARGUMENT / NOT_FOUND with the path.
absl::StatusOr<crypto::SecretBytes> LoadKekFile(const std::string& path);
// Reads a KEK of 64 hex characters from environment variable `name`.
absl::StatusOr<crypto::SecretBytes> LoadKekEnv(const std::string& name);

template <typename T>
using Callback = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;
using DoneCallback = absl::AnyInvocable<void(absl::Status) &&>;

// An audit entry to append in the same atomic batch as a mutation. Index,
// timestamps and hashes are filled in by the store.
struct AuditDraft {
  std::string actor_role;  // "professional" | "adviser" | "admin" | "relay"
  std::string actor_id;    // empty for professionals (never recorded)
  std::string action;
  std::string thread_id;
  std::string detail;  // never message content
};

// Outcome of CreateThread / AppendMessage.
struct Appended {
  v1::ThreadRecord thread;    // state after the write
  v1::StoredMessage message;  // as stored (accepted_at filled in)
  bool duplicate = false;     // true: byte-identical resubmit, nothing written
  std::string taken_from;     // AppendTakingOver: the adviser whose claim moved
};

struct QueueQuery {
  std::string unit;
  std::vector<v1::ThreadState> states;   // empty = OPEN, CLAIMED, ANSWERED
  std::vector<v1::Urgency> urgencies;    // empty = all
  std::vector<v1::Category> categories;  // empty = all
  uint32_t page_size = 50;               // 1..200
  std::string cursor;                    // opaque, from QueuePageResult
};
// A page is read from the unit's queue index: one range per requested state,
// merged in queue order. Urgency and category filters are applied while
// scanning, and one call examines at most 5000 index entries: with narrow
// filters a page may hold fewer than page_size threads (even none) while
// next_cursor is non-empty; keep paging until next_cursor is empty.

struct QueuePageResult {
  std::vector<v1::ThreadRecord> threads;  // urgency (acute first), then oldest first
  std::string next_cursor;                // empty on the last page
};

struct RetentionPolicy {
  int closed_days = 90;    // purge CLOSED threads closed longer ago than this
  int inactive_days = 30;  // close open threads without activity for this long
  bool dry_run = false;
};

struct RetentionReport {
  uint64_t threads_closed = 0;
  uint64_t threads_purged = 0;
  uint64_t messages_purged = 0;
  std::vector<std::string> closed_thread_ids;
  std::vector<std::string> purged_thread_ids;
};

// One backup in a backup directory (RocksDB BackupEngine).
struct BackupInfo {
  std::string backup_dir;
  uint32_t backup_id = 0;
  uint64_t size_bytes = 0;      // its files' payload, shared files included
  int64_t created_unix_ms = 0;  // whole seconds (RocksDB keeps seconds)
  uint32_t num_files = 0;       // files it consists of, some shared with others
};

// What Store::Backup did: the new backup and the older ones it purged.
struct BackupResult {
  BackupInfo created;
  std::vector<uint32_t> purged_ids;  // ascending
};

struct FsckReport {
  uint64_t threads = 0;
  uint64_t messages = 0;
  uint64_t index_entries = 0;
  uint64_t audit_entries = 0;
  uint64_t expected_ids = 0;
  std::vector<std::string> missing_ids;  // from the expect-ids file
  std::vector<std::string> problems;     // one line each, human-readable
  bool ok() const { return problems.empty() && missing_ids.empty(); }
};

struct DekRotationProgress {
  bool running = false;
  uint64_t values_done = 0;
  uint64_t values_total = 0;
  uint32_t dek_generation = 0;
  // Why the last rotation stopped early (empty when it finished or runs).
  // A stopped rotation resumes on the next Open.
  std::string error;
};

// One page of a thread's messages (Store::ReadMessagePage).
struct MessagePage {
  std::vector<v1::StoredMessage> messages;
  bool more = false;  // messages with a higher sequence remain
};

class Store {
 public:
  // Opens (or creates) the store. FAILED_PRECONDITION for a newer schema or a
  // wrong KEK; INVALID_ARGUMENT for bad options; INTERNAL/UNAVAILABLE with
  // RocksDB's message for I/O errors (e.g. the directory is locked).
  static absl::StatusOr<std::unique_ptr<Store>> Open(StoreOptions options);

  // Drains the commit queue (queued writes are committed and their callbacks
  // run), stops background work, closes RocksDB.
  virtual ~Store() = default;

  // ---- Writes (asynchronous, durable when the callback sees OK) ----

  // Creates `thread` (state OPEN, last_sequence 1) with `first` (sequence 1).
  // A byte-identical resubmit of first.message_id returns the original with
  // duplicate = true; the same id with other bytes is ALREADY_EXISTS; an
  // existing thread id is ALREADY_EXISTS. INVALID_ARGUMENT for a malformed
  // thread id, unit or message (empty envelope, wrong sender fields, a first
  // message from an adviser, or of another thread); FAILED_PRECONDITION for
  // a first message with a sequence above 1.
  virtual void CreateThread(v1::ThreadRecord thread, v1::StoredMessage first,
                            Callback<Appended> done) = 0;

  // Appends `message` to its thread. Its sequence must be last_sequence + 1
  // (FAILED_PRECONDITION naming the expected one); the thread must exist
  // (NOT_FOUND) and not be CLOSED (FAILED_PRECONDITION). An adviser message
  // on a thread claimed by another adviser is FAILED_PRECONDITION
  // "... is claimed by adviser <holder> ..." (see AppendTakingOver); otherwise
  // it sets state ANSWERED (claimed_by = its adviser if unclaimed) and
  // first_answer_at once; a professional follow-up on an ANSWERED thread sets
  // it back to CLAIMED (or OPEN if unclaimed). Duplicate ids as CreateThread.
  // The state machine is in docs/DESIGN.md, "Thread lifecycle and queue".
  virtual void AppendMessage(v1::StoredMessage message, std::optional<AuditDraft> audit,
                             Callback<Appended> done) = 0;

  // Claims for `adviser_id` of `unit`. NOT_FOUND unless the thread is in
  // `unit`; FAILED_PRECONDITION when CLOSED or claimed by another adviser.
  // Claiming one's own claim again is OK.
  virtual void Claim(std::string thread_id, std::string unit, std::string adviser_id,
                     std::optional<AuditDraft> audit, Callback<v1::ThreadRecord> done) = 0;

  // Releases the caller's claim (state back to OPEN). FAILED_PRECONDITION
  // unless `adviser_id` holds it.
  virtual void Release(std::string thread_id, std::string unit, std::string adviser_id,
                       std::optional<AuditDraft> audit, Callback<v1::ThreadRecord> done) = 0;

  // As AppendMessage for an adviser message, except that a claim held by
  // another adviser moves to message.adviser_id in the same write: then
  // `take_over_audit` is appended too (its detail gets "from=<holder>") and
  // Appended::taken_from names the holder. Without another holder it is
  // exactly AppendMessage (no take-over entry). INVALID_ARGUMENT for a
  // professional message.
  virtual void AppendTakingOver(v1::StoredMessage message, std::optional<AuditDraft> audit,
                                AuditDraft take_over_audit, Callback<Appended> done) = 0;

  // Moves the claim of `from_adviser_id` to `to_adviser_id`; the state stays
  // (CLAIMED or ANSWERED). NOT_FOUND unless the thread is in `unit`;
  // FAILED_PRECONDITION when CLOSED or not claimed by from_adviser_id
  // (naming the holder); INVALID_ARGUMENT when to is empty or equals from.
  // Whether to_adviser_id is an adviser of the unit is the caller's check.
  virtual void Handover(std::string thread_id, std::string unit, std::string from_adviser_id,
                        std::string to_adviser_id, std::optional<AuditDraft> audit,
                        Callback<v1::ThreadRecord> done) = 0;

  // Frees the claim whoever holds it (state OPEN). `unit`, when non-empty,
  // must be the thread's (else NOT_FOUND). FAILED_PRECONDITION when CLOSED or
  // unclaimed. The audit detail gets "holder=<id>".
  virtual void ForceRelease(std::string thread_id, std::string unit,
                            std::optional<AuditDraft> audit, Callback<v1::ThreadRecord> done) = 0;

  // Revoke, and in the same atomic write frees every claim `adviser_id`
  // holds in `unit` (state OPEN), each with its own audit entry made from
  // `release_audit` (thread_id set, detail gets "holder=<id>"). Returns the
  // freed threads. A crash leaves either both or neither. Also frees the
  // claims when the serial was revoked already (the revocation stays).
  virtual void RevokeAndReleaseClaims(v1::RevocationRecord record, std::optional<AuditDraft> audit,
                                      std::string unit, std::string adviser_id,
                                      AuditDraft release_audit,
                                      Callback<std::vector<v1::ThreadRecord>> done) = 0;

  // Moves a thread from `from_unit` to `to_unit` (state OPEN, unclaimed),
  // storing `rewraps` (message id -> wraps) as extra recipients of each
  // message, and appending `note` (if set, sequence last_sequence + 1).
  // INVALID_ARGUMENT unless rewraps name every message of the thread exactly.
  virtual void Refer(std::string thread_id, std::string from_unit, std::string to_unit,
                     std::map<std::string, std::vector<v1::WrappedKey>> rewraps,
                     std::optional<v1::StoredMessage> note, std::optional<AuditDraft> audit,
                     Callback<v1::ThreadRecord> done) = 0;

  // Closes a thread. FAILED_PRECONDITION when already CLOSED. `unit`, when
  // non-empty, must match the thread's (else NOT_FOUND).
  virtual void Close(std::string thread_id, std::string unit, std::optional<AuditDraft> audit,
                     Callback<v1::ThreadRecord> done) = 0;

  // Stores a signed directory at `epoch`. FAILED_PRECONDITION unless epoch is
  // higher than the stored one. INVALID_ARGUMENT for a malformed audit draft
  // (as for every write taking one: unknown actor role, an actor id for a
  // professional, no action).
  virtual void PutDirectory(v1::SignedDirectory directory, uint64_t epoch,
                            std::optional<AuditDraft> audit, DoneCallback done) = 0;

  // Records a revoked certificate serial (idempotent: OK, nothing written,
  // when it is recorded already). INVALID_ARGUMENT for an empty or malformed
  // serial_hex.
  virtual void Revoke(v1::RevocationRecord record, std::optional<AuditDraft> audit,
                      DoneCallback done) = 0;

  // Removes the revocation records stored under each of `stored_serials`
  // (the canonical serial and any older, non-canonical form of the same
  // integer, as ListRevoked returns them), with `audit`, in one write.
  // Returns the first record removed; NOT_FOUND (nothing written) when none
  // of them is stored.
  virtual void Unrevoke(std::vector<std::string> stored_serials, std::optional<AuditDraft> audit,
                        Callback<v1::RevocationRecord> done) = 0;

  // Appends an audit entry on its own (e.g. "read" by an adviser); returns
  // it with index, time and hashes. INVALID_ARGUMENT for a malformed draft.
  virtual void AppendAudit(AuditDraft audit, Callback<v1::AuditEntry> done) = 0;

  // ---- Reads (synchronous) ----

  // NOT_FOUND when the thread does not exist.
  virtual absl::StatusOr<v1::ThreadRecord> GetThread(const std::string& thread_id) = 0;
  // Messages with sequence > after_sequence, ascending, at most `limit`
  // (0 = 1000). NOT_FOUND when the thread does not exist.
  virtual absl::StatusOr<std::vector<v1::StoredMessage>> ListMessages(const std::string& thread_id,
                                                                      uint64_t after_sequence,
                                                                      uint32_t limit) = 0;
  // Like ListMessages, but stops reading (and decrypting) before the stored
  // bytes of the page would pass `max_bytes` (the first message is always
  // read, so a page is never empty while messages remain) or at `max_count`
  // messages. `more` is true when at least one message follows the page.
  // Memory held is bounded by the budget, whatever the thread's length.
  virtual absl::StatusOr<MessagePage> ReadMessagePage(const std::string& thread_id,
                                                      uint64_t after_sequence, uint32_t max_count,
                                                      size_t max_bytes) = 0;
  // NOT_FOUND when no message has this id.
  virtual absl::StatusOr<v1::StoredMessage> FindMessage(const std::string& message_id) = 0;
  // Served from the queue index: cost grows with the page, not the store.
  // INVALID_ARGUMENT for a malformed unit, page_size outside 1..200, an
  // unknown state or a malformed cursor.
  virtual absl::StatusOr<QueuePageResult> ListQueue(const QueueQuery& query) = 0;
  // NOT_FOUND before the first PutDirectory.
  virtual absl::StatusOr<v1::SignedDirectory> GetDirectory(uint64_t* epoch) = 0;
  // Whether exactly this stored serial is revoked (the caller normalises).
  virtual absl::StatusOr<bool> IsRevoked(const std::string& serial_hex) = 0;
  // Every revocation record, in key order.
  virtual absl::StatusOr<std::vector<v1::RevocationRecord>> ListRevoked() = 0;
  // Entries with index > after_index and at >= since_unix_ms, ascending, at
  // most limit (0 = 200, capped at 1000).
  virtual absl::StatusOr<std::vector<v1::AuditEntry>> ReadAudit(uint64_t after_index,
                                                                int64_t since_unix_ms,
                                                                uint32_t limit) = 0;
  // OK, or DATA_LOSS naming the first entry whose hash or link is broken.
  virtual absl::Status VerifyAuditChain() = 0;
  // Counts and median time to first answer for threads created in one
  // whole, ended calendar period (query.period/year/index, UTC), grouped
  // by any of unit, county, category, month. The suppression rule
  // (docs/DESIGN.md, "Statistics that cannot be differenced"): the base is
  // one cell per (month, unit, county, category); a base cell of 1..4
  // (< kStatsMinCell) is never counted, only reported as suppressed; every
  // group's count and median is computed from its base cells of 5 or more.
  // So every published number is a sum (or median) over whole published
  // base cells, whatever period or grouping is asked. Only threads still
  // stored count. INVALID_ARGUMENT for an unknown dimension, a bad period
  // or a from/to range; FAILED_PRECONDITION for a period not yet ended.
  // Scans every thread record.
  virtual absl::StatusOr<std::vector<v1::StatsRow>> Stats(const StatsQuery& query) = 0;

  // ---- Maintenance ----
  // These block until their writes are durable: never call them from a
  // Store callback (the commit thread would wait on itself).

  // Closes inactive open threads, then purges closed threads past retention:
  // messages, thread and every index entry go in one batch per thread, then
  // the affected ranges are flushed and compacted so the bytes leave the
  // live files. With dry_run, only reports.
  virtual absl::StatusOr<RetentionReport> RunRetention(const RetentionPolicy& policy) = 0;
  // Online backup into `backup_dir` (RocksDB BackupEngine) while writes go on,
  // then BackupEngine::PurgeOldBackups(keep): only the `keep` newest backups
  // remain, and files no remaining backup shares are deleted. So a value
  // purged from the store (retention, an old DEK wrap) leaves the backup
  // directory once `keep` further backups have been taken. INVALID_ARGUMENT
  // for keep 0 or an empty backup_dir (nothing is written). A failed purge
  // fails the call; the new backup stays and the next backup purges again.
  // The backup holds sealed values and the wrapped DEK: opening a restored
  // store needs the KEK that was current when the backup was taken.
  virtual absl::StatusOr<BackupResult> Backup(const std::string& backup_dir, uint32_t keep) = 0;
  // Re-wraps the DEK (every generation held) under `new_kek` in one atomic,
  // synced write. From then on the store opens only under `new_kek`. Then
  // flushes every memtable and compacts meta to the bottommost level, so no
  // file of the data directory holds an old wrap any more (WAL files and SST
  // files that held one are deleted; a live iterator or snapshot delays that
  // until it is released). Backups taken before keep the old wraps.
  // Blocks until durable: never call from a Store callback.
  virtual absl::Status RotateKek(crypto::SecretBytes new_kek) = 0;
  // Starts re-encrypting every value under a fresh DEK in the background;
  // reads and writes continue. FAILED_PRECONDITION if one is running. New
  // writes use the new DEK at once; older DEKs stay (wrapped) in meta until
  // every value is re-sealed. A rotation cut short by closing the store
  // resumes on the next Open.
  virtual absl::Status StartDekRotation() = 0;
  // The running or last rotation's progress; never fails, never blocks on
  // the rotation.
  virtual DekRotationProgress GetDekRotationProgress() = 0;

  // ---- Team access (DESIGN.md "Team access") ----

  // What AddRecipients changed.
  struct RecipientsAdded {
    v1::ThreadRecord thread;        // unchanged by the write
    uint32_t messages_updated = 0;  // messages that gained at least one wrap
    uint32_t wraps_added = 0;
  };

  // Adds content-key wraps to messages of a thread of `unit`: `wraps` maps
  // message id -> wraps of that message's content key, stored as extra
  // recipients. Any subset of the thread's messages may be named. A wrap
  // whose key_id already is a recipient of the message (its envelope
  // header's recipients or its extra_recipients) is skipped, as is a second
  // wrap for the same key_id, so repeating a share adds nothing. NOT_FOUND
  // unless the thread is in `unit`; FAILED_PRECONDITION when CLOSED or when a
  // message would hold more than crypto::kMaxRecipients extra wraps;
  // INVALID_ARGUMENT for a message id that is not a message of the thread or
  // an empty map; DATA_LOSS for a stored envelope that does not parse. The
  // thread record is not changed; `audit` is written in the same batch.
  virtual void AddRecipients(std::string thread_id, std::string unit,
                             std::map<std::string, std::vector<v1::WrappedKey>> wraps,
                             std::optional<AuditDraft> audit, Callback<RecipientsAdded> done) = 0;
};

// The backups in `backup_dir`, oldest first; empty when it holds none (or
// does not exist yet).
absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir);

// Restores backup `backup_id` (default: the latest) of `backup_dir` into an
// empty `data_dir`. FAILED_PRECONDITION when data_dir is not empty; NOT_FOUND
// when backup_dir holds no backup, or not `backup_id` (the message lists the
// ids it holds). Nothing is written to data_dir on either refusal.
absl::Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                           std::optional<uint32_t> backup_id = std::nullopt);

// Offline check of a closed store (see FsckReport). `expect_ids_file`, if not
// empty, lists message ids one per line that must be present.
absl::StatusOr<FsckReport> Fsck(StoreOptions options, const std::string& expect_ids_file);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_STORE_H_
