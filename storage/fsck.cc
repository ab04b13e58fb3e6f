// Offline integrity check of a closed store (see store.h, Fsck): a fast
// consistency check, and a detailed one that names problems when there are.
#include "storage/fsck.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/utilities/backup_engine.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/sealing.h"
#include "storage/store.h"
#include "storage/store_internal.h"

namespace samrad::storage {
namespace {

using schema::CfId;

constexpr size_t kMaxProblems = 1000;

std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

// The detailed check: names every problem it finds, one line each, using
// point lookups between column families. Slow (several RocksDB reads and
// decryptions per message); runs only when the fast check (below) found the
// store inconsistent, to say where.
class PreciseChecker {
 public:
  PreciseChecker(const RocksHandle& rocks, const Keyring& keyring, FsckReport& report)
      : rocks_(rocks), keyring_(keyring), report_(report) {}

  absl::Status Run() {
    if (absl::Status s = CheckThreads(); !s.ok()) return s;
    if (absl::Status s = CheckMessages(); !s.ok()) return s;
    if (absl::Status s = CheckMessageIds(); !s.ok()) return s;
    if (absl::Status s = CheckQueueIndex(); !s.ok()) return s;
    if (absl::Status s = CheckExpiryIndex(); !s.ok()) return s;
    for (CfId cf : {schema::kDirectory, schema::kRevocations, schema::kMeta}) {
      if (absl::Status s = CheckDecrypts(cf); !s.ok()) return s;
    }
    absl::Status chain = VerifyAuditChainOf(rocks_, keyring_, &report_.audit_entries);
    if (absl::IsDataLoss(chain)) {
      Problem(std::string(chain.message()));
    } else if (!chain.ok()) {
      return chain;
    }
    if (report_.problems.size() >= kMaxProblems) {
      report_.problems.push_back(absl::StrCat("... and ", dropped_, " more problems"));
    }
    return absl::OkStatus();
  }

 private:
  void Problem(std::string line) {
    if (report_.problems.size() < kMaxProblems) {
      report_.problems.push_back(std::move(line));
    } else {
      ++dropped_;
    }
  }

  std::unique_ptr<rocksdb::Iterator> Iterate(CfId cf) {
    return std::unique_ptr<rocksdb::Iterator>(
        rocks_.db()->NewIterator(rocksdb::ReadOptions(), rocks_.cf(cf)));
  }

  // The opened value at (cf, key): nullopt when absent; a problem is
  // recorded (and nullopt returned) when it does not decrypt.
  absl::StatusOr<std::optional<std::string>> Read(CfId cf, std::string_view key,
                                                  std::string_view what) {
    std::string sealed;
    rocksdb::Status status = rocks_.db()->Get(rocksdb::ReadOptions(), rocks_.cf(cf),
                                              rocksdb::Slice(key.data(), key.size()), &sealed);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) return FromRocks(status, "fsck read");
    return OpenValue(cf, key, sealed, what);
  }

  std::optional<std::string> OpenValue(CfId cf, std::string_view key, std::string_view sealed,
                                       std::string_view what) {
    absl::StatusOr<std::string> plain = keyring_.Open(schema::kCfNames[cf], key, sealed);
    if (!plain.ok()) {
      Problem(
          absl::StrCat(ToAbsl(what), ": value does not decrypt (", plain.status().message(), ")"));
      return std::nullopt;
    }
    return *std::move(plain);
  }

  absl::Status CheckThreads() {
    auto it = Iterate(schema::kThreads);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.threads;
      std::string thread_id(View(it->key()));
      std::string what = absl::StrCat("thread ", thread_id);
      std::optional<std::string> plain =
          OpenValue(schema::kThreads, thread_id, View(it->value()), what);
      if (!plain) continue;
      v1::ThreadRecord thread;
      if (!thread.ParseFromString(*plain)) {
        Problem(absl::StrCat(ToAbsl(what), ": record does not parse"));
        continue;
      }
      if (thread.thread_id() != thread_id) {
        Problem(absl::StrCat(ToAbsl(what), ": record is stored under another thread's key"));
        continue;
      }
      absl::StatusOr<std::optional<std::string>> queue =
          Read(schema::kQueueIndex, schema::QueueKey(thread), what);
      if (!queue.ok()) return queue.status();
      if (!queue->has_value() || **queue != schema::QueueValue(thread)) {
        Problem(absl::StrCat(ToAbsl(what), ": queue index entry is missing or wrong"));
      }
      absl::StatusOr<std::optional<std::string>> expiry =
          Read(schema::kExpiryIndex, schema::ExpiryKey(thread), what);
      if (!expiry.ok()) return expiry.status();
      if (!expiry->has_value())
        Problem(absl::StrCat(ToAbsl(what), ": expiry index entry is missing"));
      if (absl::Status s = CheckThreadMessages(thread, what); !s.ok()) return s;
    }
    return FromRocks(it->status(), "fsck scan threads");
  }

  absl::Status CheckThreadMessages(const v1::ThreadRecord& thread, const std::string& what) {
    auto it = Iterate(schema::kMessages);
    const std::string prefix = schema::MessagePrefix(thread.thread_id());
    uint64_t expected = 1;
    for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
      std::optional<schema::Location> location = schema::ParseMessageKey(View(it->key()));
      if (!location) {
        Problem(absl::StrCat(ToAbsl(what), ": malformed message key"));
        continue;
      }
      if (location->sequence != expected) {
        Problem(absl::StrCat(ToAbsl(what), ": message sequence ", expected, " is missing (found ",
                             location->sequence, ")"));
        expected = location->sequence;
      }
      ++expected;
      std::string message_what = absl::StrCat(ToAbsl(what), " message ", location->sequence);
      std::optional<std::string> plain =
          OpenValue(schema::kMessages, View(it->key()), View(it->value()), message_what);
      if (!plain) continue;
      v1::StoredMessage message;
      if (!message.ParseFromString(*plain) || message.thread_id() != thread.thread_id() ||
          message.sequence() != location->sequence) {
        Problem(absl::StrCat(message_what, ": record does not parse or does not match its key"));
        continue;
      }
      absl::StatusOr<std::optional<std::string>> indexed =
          Read(schema::kMessageIds, message.message_id(), message_what);
      if (!indexed.ok()) return indexed.status();
      if (!indexed->has_value() || **indexed != std::string(View(it->key()))) {
        Problem(absl::StrCat(message_what, ": message-id index entry is missing or wrong"));
      }
    }
    if (expected != thread.last_sequence() + 1) {
      Problem(absl::StrCat(ToAbsl(what), ": has messages up to ", expected - 1,
                           " but last_sequence ", thread.last_sequence()));
    }
    return FromRocks(it->status(), "fsck scan messages");
  }

  // Orphans: messages whose thread is gone.
  absl::Status CheckMessages() {
    auto it = Iterate(schema::kMessages);
    std::string last_thread;
    bool last_exists = false;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.messages;
      std::optional<schema::Location> location = schema::ParseMessageKey(View(it->key()));
      if (!location) {
        Problem("messages: malformed key");
        continue;
      }
      if (location->thread_id != last_thread) {
        last_thread = location->thread_id;
        std::string ignored;
        rocksdb::Status status = rocks_.db()->Get(
            rocksdb::ReadOptions(), rocks_.cf(schema::kThreads), last_thread, &ignored);
        if (!status.ok() && !status.IsNotFound()) return FromRocks(status, "fsck read");
        last_exists = status.ok();
      }
      if (!last_exists) {
        Problem(absl::StrCat("message ", location->sequence, " of thread ", location->thread_id,
                             " has no thread"));
        OpenValue(schema::kMessages, View(it->key()), View(it->value()), "orphan message");
      }
    }
    return FromRocks(it->status(), "fsck scan messages");
  }

  absl::Status CheckMessageIds() {
    auto it = Iterate(schema::kMessageIds);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.index_entries;
      std::string id(View(it->key()));
      std::string what = absl::StrCat("message-id index entry ", id);
      std::optional<std::string> plain =
          OpenValue(schema::kMessageIds, id, View(it->value()), what);
      if (!plain) continue;
      std::optional<schema::Location> location = schema::ParseMessageLocation(*plain);
      if (!location) {
        Problem(absl::StrCat(ToAbsl(what), ": malformed"));
        continue;
      }
      absl::StatusOr<std::optional<std::string>> message = Read(
          schema::kMessages, schema::MessageKey(location->thread_id, location->sequence), what);
      if (!message.ok()) return message.status();
      v1::StoredMessage parsed;
      if (!message->has_value() || !parsed.ParseFromString(**message) ||
          parsed.message_id() != id) {
        Problem(absl::StrCat(ToAbsl(what), ": points to a missing or different message"));
      }
    }
    return FromRocks(it->status(), "fsck scan message ids");
  }

  absl::StatusOr<std::optional<v1::ThreadRecord>> ReadThread(const std::string& thread_id,
                                                             std::string_view what) {
    absl::StatusOr<std::optional<std::string>> plain = Read(schema::kThreads, thread_id, what);
    if (!plain.ok()) return plain.status();
    if (!plain->has_value()) return std::nullopt;
    v1::ThreadRecord thread;
    if (!thread.ParseFromString(**plain)) return std::nullopt;
    return thread;
  }

  absl::Status CheckQueueIndex() {
    auto it = Iterate(schema::kQueueIndex);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.index_entries;
      std::string_view key = View(it->key());
      OpenValue(schema::kQueueIndex, key, View(it->value()), "queue index entry");
      size_t nul = key.find('\0');
      if (nul == std::string_view::npos || key.size() < nul + 2 + 9 + 1) {
        Problem("queue index: malformed key");
        continue;
      }
      std::string thread_id(key.substr(nul + 2 + 9));
      absl::StatusOr<std::optional<v1::ThreadRecord>> thread = ReadThread(thread_id, "queue index");
      if (!thread.ok()) return thread.status();
      if (!thread->has_value() || schema::QueueKey(**thread) != key) {
        Problem(absl::StrCat("queue index entry for thread ", thread_id,
                             " does not match a thread record"));
      }
    }
    return FromRocks(it->status(), "fsck scan queue index");
  }

  absl::Status CheckExpiryIndex() {
    auto it = Iterate(schema::kExpiryIndex);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.index_entries;
      std::string_view key = View(it->key());
      OpenValue(schema::kExpiryIndex, key, View(it->value()), "expiry index entry");
      if (key.size() < 10) {
        Problem("expiry index: malformed key");
        continue;
      }
      std::string thread_id(key.substr(9));
      absl::StatusOr<std::optional<v1::ThreadRecord>> thread =
          ReadThread(thread_id, "expiry index");
      if (!thread.ok()) return thread.status();
      if (!thread->has_value() || schema::ExpiryKey(**thread) != key) {
        Problem(absl::StrCat("expiry index entry for thread ", thread_id,
                             " does not match a thread record"));
      }
    }
    return FromRocks(it->status(), "fsck scan expiry index");
  }

  absl::Status CheckDecrypts(CfId cf) {
    auto it = Iterate(cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key = View(it->key());
      if (cf == schema::kMeta && key.starts_with(schema::kDekKeyPrefix)) continue;
      OpenValue(cf, key, View(it->value()), schema::kCfNames[cf]);
    }
    return FromRocks(it->status(), "fsck scan");
  }

  const RocksHandle& rocks_;
  const Keyring& keyring_;
  FsckReport& report_;
  uint64_t dropped_ = 0;
};

// ---- The fast check ----
//
// One sequential scan per column family, every value decrypted once with a
// kept AES-GCM context (ValueOpener), no point lookups. Threads and messages
// are scanned together as a merge join: a message key is its thread id, NUL,
// sequence, and thread ids hold no NUL, so both families list threads in the
// same order. Each relation between families that PreciseChecker checks with
// lookups is checked here by comparing two multiset digests, one built from
// each side:
//   message -> message-id index   (message id, message key)
//   thread  -> queue index        (QueueKey, QueueValue, thread id)
//   thread  -> expiry index       (ExpiryKey, thread id)
// The two sides hold equal multisets exactly when every entry on either side
// has its counterpart on the other, which is what the lookups establish. Two
// scanners split the work across two cores: the thread side (threads and
// messages) and the index side (the three indexes, the small families and the
// audit chain). The fast check only decides whether the store is consistent;
// when it is not, PreciseChecker runs to name the problems.

// An order-independent digest of a multiset of tuples of byte strings: the
// count, and the sums mod 2^64 of two differently salted hashes of each tuple
// (absl::Hash, whose seed Abseil derives per process from address-space
// randomisation). Two different multisets agree by chance with probability
// about 2^-128 (2^-64 should the two hashes be correlated); no one can aim for
// that, since the tuples come from authenticated values.
class MultisetDigest {
 public:
  template <typename... Parts>
  void Add(const Parts&... parts) {
    ++count_;
    sum_a_ += absl::Hash<std::tuple<uint64_t, decltype(Abseil(parts))...>>{}(
        std::make_tuple(uint64_t{0x5a}, Abseil(parts)...));
    sum_b_ += absl::Hash<std::tuple<decltype(Abseil(parts))..., uint64_t>>{}(
        std::make_tuple(Abseil(parts)..., uint64_t{0xa5}));
  }
  bool operator==(const MultisetDigest& other) const {
    return count_ == other.count_ && sum_a_ == other.sum_a_ && sum_b_ == other.sum_b_;
  }

 private:
  static absl::string_view Abseil(std::string_view s) { return ToAbsl(s); }
  uint64_t count_ = 0;
  uint64_t sum_a_ = 0;
  uint64_t sum_b_ = 0;
};

// Entries scanned so far, shared by the scanners; reports to the caller's
// ProgressFn at most from one scanner at a time.
class ProgressCounter {
 public:
  ProgressCounter(const ProgressFn& progress, uint64_t total)
      : progress_(progress), total_(total) {}

  void Add(uint64_t entries) {
    const uint64_t done = done_.fetch_add(entries) + entries;
    if (!progress_ || !mu_.try_lock()) return;
    progress_(done, total_);
    mu_.unlock();
  }

  // Reports the final count (an Add that found the other scanner reporting
  // skipped its report). Call once the scanners are done.
  void Finish() {
    if (progress_) progress_(done_.load(), total_);
  }

 private:
  const ProgressFn& progress_;
  const uint64_t total_;
  std::atomic<uint64_t> done_{0};
  // Only try_lock'ed: lets one scanner at a time call progress_; it guards no
  // member (std::mutex: samrad::Mutex has no try_lock).
  std::mutex mu_;
};

// The keys RocksDB estimates in the scanned families (for progress only).
uint64_t EstimateEntries(const RocksHandle& rocks) {
  uint64_t total = 0;
  for (CfId cf : {schema::kThreads, schema::kMessages, schema::kMessageIds, schema::kQueueIndex,
                  schema::kExpiryIndex}) {
    uint64_t keys = 0;
    if (rocks.db()->GetIntProperty(rocks.cf(cf), "rocksdb.estimate-num-keys", &keys)) {
      total += keys;
    }
  }
  return total;
}

// What one scanner found: the first reason the store is inconsistent (empty
// when none), its counts and its side of each relation.
struct ScanResult {
  std::string inconsistent;
  uint64_t threads = 0;
  uint64_t messages = 0;
  uint64_t index_entries = 0;
  uint64_t audit_entries = 0;
  MultisetDigest message_ids;
  MultisetDigest queue;
  MultisetDigest expiry;
};

// Shared plumbing of the two scanners.
class Scanner {
 public:
  Scanner(const RocksHandle& rocks, const Keyring& keyring, ProgressCounter& progress)
      : rocks_(rocks), keyring_(keyring), opener_(keyring), progress_(progress) {}

 protected:
  // A forward scan that reads each block once: no block-cache pollution,
  // large readahead; checksums are verified as always.
  std::unique_ptr<rocksdb::Iterator> Scan(CfId cf) {
    rocksdb::ReadOptions options;
    options.fill_cache = false;
    options.readahead_size = 4 << 20;
    return std::unique_ptr<rocksdb::Iterator>(rocks_.db()->NewIterator(options, rocks_.cf(cf)));
  }

  void Inconsistent(std::string_view reason) {
    if (result_.inconsistent.empty()) result_.inconsistent = std::string(reason);
  }

  // The plaintext of the value at (cf, key); nullopt (and the store marked
  // inconsistent) when it does not decrypt. Valid until the next call.
  std::optional<std::string_view> Open(CfId cf, std::string_view key, std::string_view sealed) {
    absl::StatusOr<std::string_view> plain = opener_.Open(schema::kCfNames[cf], key, sealed);
    if (!plain.ok()) {
      Inconsistent(absl::StrCat("a value in ", ToAbsl(schema::kCfNames[cf]), " does not decrypt"));
      return std::nullopt;
    }
    return *plain;
  }

  // Counts one scanned entry towards progress.
  void Tick() {
    if (++unreported_ == kReportEvery) {
      progress_.Add(unreported_);
      unreported_ = 0;
    }
  }
  void FlushProgress() {
    progress_.Add(unreported_);
    unreported_ = 0;
  }

  static constexpr uint64_t kReportEvery = 4096;
  const RocksHandle& rocks_;
  const Keyring& keyring_;
  ValueOpener opener_;
  ProgressCounter& progress_;
  uint64_t unreported_ = 0;
  ScanResult result_;
};

// Threads and their messages, in one merge join.
class ThreadSideScanner : public Scanner {
 public:
  using Scanner::Scanner;

  absl::StatusOr<ScanResult> Run() {
    auto threads = Scan(schema::kThreads);
    auto messages = Scan(schema::kMessages);
    messages->SeekToFirst();
    for (threads->SeekToFirst(); threads->Valid(); threads->Next()) {
      ++result_.threads;
      Tick();
      const std::string_view thread_id = View(threads->key());
      const bool readable = ReadThread(thread_id, View(threads->value()));
      CheckMessagesOf(*messages, thread_id, readable ? &thread_ : nullptr);
      if (!messages->status().ok()) break;
    }
    if (!threads->status().ok()) return FromRocks(threads->status(), "fsck scan threads");
    // Whatever sorts after the last thread has no thread.
    for (; messages->Valid(); messages->Next()) {
      ++result_.messages;
      Tick();
      Inconsistent("a message has no thread");
    }
    if (!messages->status().ok()) return FromRocks(messages->status(), "fsck scan messages");
    FlushProgress();
    return std::move(result_);
  }

 private:
  // Parses the record at `thread_id` into thread_ and adds its index entries
  // to the relations; false (inconsistent) when it cannot be read.
  bool ReadThread(std::string_view thread_id, std::string_view sealed) {
    std::optional<std::string_view> plain = Open(schema::kThreads, thread_id, sealed);
    if (!plain) return false;
    if (!thread_.ParseFromArray(plain->data(), static_cast<int>(plain->size())) ||
        thread_.thread_id() != thread_id) {
      Inconsistent("a thread record does not parse or does not match its key");
      return false;
    }
    result_.queue.Add(schema::QueueKey(thread_), schema::QueueValue(thread_), thread_id);
    result_.expiry.Add(schema::ExpiryKey(thread_), thread_id);
    return true;
  }

  // Advances `it` past the messages of every thread id up to `thread_id`:
  // those before it have no thread; those of `thread_id` are checked against
  // `thread` (null: its record is unreadable, already inconsistent).
  void CheckMessagesOf(rocksdb::Iterator& it, std::string_view thread_id,
                       const v1::ThreadRecord* thread) {
    uint64_t expected = 1;
    for (; it.Valid(); it.Next()) {
      const std::string_view key = View(it.key());
      std::optional<schema::LocationView> location = schema::SplitMessageKey(key);
      if (location && location->thread_id > thread_id) break;
      ++result_.messages;
      Tick();
      if (!location) {
        Inconsistent("a message key is malformed");
        continue;
      }
      if (location->thread_id != thread_id) {
        Inconsistent("a message has no thread");
        continue;
      }
      if (thread == nullptr) continue;
      if (location->sequence != expected) {
        Inconsistent("a thread's message sequence has a gap");
        expected = location->sequence;
      }
      ++expected;
      CheckMessage(key, *location, View(it.value()));
    }
    if (thread != nullptr && expected != thread->last_sequence() + 1) {
      Inconsistent("a thread's last_sequence does not match its messages");
    }
  }

  void CheckMessage(std::string_view key, const schema::LocationView& location,
                    std::string_view sealed) {
    std::optional<std::string_view> plain = Open(schema::kMessages, key, sealed);
    if (!plain) return;
    if (!message_.ParseFromArray(plain->data(), static_cast<int>(plain->size())) ||
        message_.thread_id() != location.thread_id || message_.sequence() != location.sequence) {
      Inconsistent("a message record does not parse or does not match its key");
      return;
    }
    result_.message_ids.Add(message_.message_id(), key);
  }

  // Reused across records: parsing into them keeps their buffers.
  v1::ThreadRecord thread_;
  v1::StoredMessage message_;
};

// The indexes, the small families and the audit chain.
class IndexSideScanner : public Scanner {
 public:
  using Scanner::Scanner;

  absl::StatusOr<ScanResult> Run() {
    if (absl::Status s = ScanMessageIds(); !s.ok()) return s;
    if (absl::Status s = ScanQueueIndex(); !s.ok()) return s;
    if (absl::Status s = ScanExpiryIndex(); !s.ok()) return s;
    for (CfId cf : {schema::kDirectory, schema::kRevocations, schema::kMeta}) {
      if (absl::Status s = ScanDecrypts(cf); !s.ok()) return s;
    }
    absl::Status chain = VerifyAuditChainOf(rocks_, keyring_, &result_.audit_entries);
    if (absl::IsDataLoss(chain)) {
      Inconsistent("the audit chain is broken");
    } else if (!chain.ok()) {
      return chain;
    }
    FlushProgress();
    return std::move(result_);
  }

 private:
  absl::Status ScanMessageIds() {
    auto it = Scan(schema::kMessageIds);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++result_.index_entries;
      Tick();
      const std::string_view id = View(it->key());
      std::optional<std::string_view> location = Open(schema::kMessageIds, id, View(it->value()));
      if (!location) continue;
      if (!schema::SplitMessageKey(*location)) {
        Inconsistent("a message-id index entry is malformed");
        continue;
      }
      result_.message_ids.Add(id, *location);
    }
    return FromRocks(it->status(), "fsck scan message ids");
  }

  absl::Status ScanQueueIndex() {
    auto it = Scan(schema::kQueueIndex);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++result_.index_entries;
      Tick();
      const std::string_view key = View(it->key());
      std::optional<std::string_view> value = Open(schema::kQueueIndex, key, View(it->value()));
      if (!value) continue;
      // unit 0x00 state(1) rank(1) created(8) thread_id, as PreciseChecker.
      const size_t nul = key.find('\0');
      if (nul == std::string_view::npos || key.size() < nul + 2 + 9 + 1) {
        Inconsistent("a queue index key is malformed");
        continue;
      }
      result_.queue.Add(key, *value, key.substr(nul + 2 + 9));
    }
    return FromRocks(it->status(), "fsck scan queue index");
  }

  absl::Status ScanExpiryIndex() {
    auto it = Scan(schema::kExpiryIndex);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++result_.index_entries;
      Tick();
      const std::string_view key = View(it->key());
      if (!Open(schema::kExpiryIndex, key, View(it->value()))) continue;
      if (key.size() < 10) {
        Inconsistent("an expiry index key is malformed");
        continue;
      }
      result_.expiry.Add(key, key.substr(9));
    }
    return FromRocks(it->status(), "fsck scan expiry index");
  }

  absl::Status ScanDecrypts(CfId cf) {
    auto it = Scan(cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = View(it->key());
      if (cf == schema::kMeta && key.starts_with(schema::kDekKeyPrefix)) continue;
      Open(cf, key, View(it->value()));
    }
    return FromRocks(it->status(), "fsck scan");
  }
};

// The fast check, then the detailed one when the store is inconsistent.
absl::Status RunChecks(const RocksHandle& rocks, const Keyring& keyring, const ProgressFn& progress,
                       FsckReport& report) {
  ProgressCounter counter(progress, EstimateEntries(rocks));
  absl::StatusOr<ScanResult> index_side;
  std::thread worker([&] { index_side = IndexSideScanner(rocks, keyring, counter).Run(); });
  absl::StatusOr<ScanResult> thread_side = ThreadSideScanner(rocks, keyring, counter).Run();
  worker.join();
  counter.Finish();
  if (!thread_side.ok()) return thread_side.status();
  if (!index_side.ok()) return index_side.status();
  std::string inconsistent =
      !thread_side->inconsistent.empty() ? thread_side->inconsistent : index_side->inconsistent;
  if (inconsistent.empty() && !(thread_side->message_ids == index_side->message_ids)) {
    inconsistent = "messages and the message-id index differ";
  }
  if (inconsistent.empty() && !(thread_side->queue == index_side->queue)) {
    inconsistent = "threads and the queue index differ";
  }
  if (inconsistent.empty() && !(thread_side->expiry == index_side->expiry)) {
    inconsistent = "threads and the expiry index differ";
  }
  if (inconsistent.empty()) {
    report.threads = thread_side->threads;
    report.messages = thread_side->messages;
    report.index_entries = index_side->index_entries;
    report.audit_entries = index_side->audit_entries;
    return absl::OkStatus();
  }
  if (absl::Status s = PreciseChecker(rocks, keyring, report).Run(); !s.ok()) return s;
  if (report.problems.empty()) {
    // Cannot happen while both checks agree on what consistency means; never
    // report such a store as clean.
    report.problems.push_back(absl::StrCat(
        "the store is inconsistent (", inconsistent,
        ") but the detailed check could not say where; keep the store and report this"));
  }
  return absl::OkStatus();
}

// The non-empty lines of an expect-ids file, stripped, in file order.
absl::StatusOr<std::vector<std::string>> ReadExpectedIds(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read expect-ids file ", path));
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view id = absl::StripAsciiWhitespace(line);
    if (!id.empty()) ids.emplace_back(id);
  }
  return ids;
}

// Looks the ids up in one forward pass over the message-id index, in sorted
// order: a few Next() steps to reach an id close by, a Seek to one further
// on, instead of a lookup per id. Missing ids are reported in file order.
absl::Status CheckExpectedIds(const RocksHandle& rocks, const std::string& path,
                              FsckReport& report) {
  absl::StatusOr<std::vector<std::string>> ids = ReadExpectedIds(path);
  if (!ids.ok()) return ids.status();
  report.expected_ids += ids->size();
  std::vector<size_t> order(ids->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return (*ids)[a] < (*ids)[b]; });
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(options, rocks.cf(schema::kMessageIds)));
  it->SeekToFirst();
  std::vector<bool> found(ids->size(), false);
  constexpr int kStepsBeforeSeek = 8;
  for (size_t index : order) {
    const std::string& id = (*ids)[index];
    for (int steps = 0; it->Valid() && View(it->key()) < id && steps < kStepsBeforeSeek; ++steps) {
      it->Next();
    }
    if (it->Valid() && View(it->key()) < id) it->Seek(id);
    if (!it->status().ok()) return FromRocks(it->status(), "fsck read message ids");
    found[index] = it->Valid() && View(it->key()) == id;
  }
  for (size_t i = 0; i < ids->size(); ++i) {
    if (!found[i]) report.missing_ids.push_back((*ids)[i]);
  }
  return absl::OkStatus();
}

// For a store that holds no records: every expected id is missing.
absl::Status ListUninitialized(const std::string& path, FsckReport& report) {
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<std::string>> ids = ReadExpectedIds(path);
  if (!ids.ok()) return ids.status();
  report.expected_ids += ids->size();
  report.missing_ids = *std::move(ids);
  return absl::OkStatus();
}

bool IsEmpty(const RocksHandle& rocks) {
  for (int cf = 0; cf < schema::kNumCfs; ++cf) {
    std::unique_ptr<rocksdb::Iterator> it(
        rocks.db()->NewIterator(rocksdb::ReadOptions(), rocks.cf(static_cast<schema::CfId>(cf))));
    it->SeekToFirst();
    if (it->Valid() || !it->status().ok()) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<FsckReport> Fsck(StoreOptions options, const std::string& expect_ids_file) {
  return Fsck(std::move(options), expect_ids_file, nullptr);
}

absl::StatusOr<FsckReport> Fsck(StoreOptions options, const std::string& expect_ids_file,
                                const ProgressFn& progress) {
  if (options.kek.size() != kDekLen) {
    return absl::InvalidArgumentError("the KEK must be exactly 32 bytes");
  }
  absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(options, /*read_only=*/true);
  if (!rocks.ok()) return rocks.status();
  FsckReport report;
  if (!(*rocks)->complete()) {
    // Creation was cut short before any record could be written.
    if (absl::Status s = ListUninitialized(expect_ids_file, report); !s.ok()) return s;
    return report;
  }
  absl::StatusOr<std::unique_ptr<Keyring>> keyring = LoadKeyring(**rocks, options.kek);
  if (absl::IsNotFound(keyring.status())) {
    // No data key yet: fine for a store never initialised, corrupt otherwise.
    if (!IsEmpty(**rocks)) {
      report.problems.push_back("the store holds records but no data key");
      return report;
    }
    if (absl::Status s = ListUninitialized(expect_ids_file, report); !s.ok()) return s;
    return report;
  }
  if (!keyring.ok()) return keyring.status();
  if (absl::Status s = CheckSchemaVersion(**rocks, **keyring); !s.ok()) return s;
  if (absl::Status s = RunChecks(**rocks, **keyring, progress, report); !s.ok()) return s;
  if (!expect_ids_file.empty()) {
    if (absl::Status s = CheckExpectedIds(**rocks, expect_ids_file, report); !s.ok()) return s;
  }
  return report;
}

}  // namespace samrad::storage
