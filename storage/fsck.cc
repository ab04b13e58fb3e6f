// Offline integrity check of a closed store (see store.h, Fsck).
#include <fstream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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

class Checker {
 public:
  Checker(const RocksHandle& rocks, const Keyring& keyring, FsckReport& report)
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

absl::Status CheckExpectedIds(const RocksHandle& rocks, const std::string& path,
                              FsckReport& report) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read expect-ids file ", path));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view id = absl::StripAsciiWhitespace(line);
    if (id.empty()) continue;
    ++report.expected_ids;
    std::string ignored;
    rocksdb::Status status = rocks.db()->Get(rocksdb::ReadOptions(), rocks.cf(schema::kMessageIds),
                                             rocksdb::Slice(id.data(), id.size()), &ignored);
    if (status.IsNotFound()) {
      report.missing_ids.emplace_back(id);
    } else if (!status.ok()) {
      return FromRocks(status, "fsck read");
    }
  }
  return absl::OkStatus();
}

// For a store that holds no records: every expected id is missing.
absl::Status ListUninitialized(const std::string& path, FsckReport& report) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read expect-ids file ", path));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view id = absl::StripAsciiWhitespace(line);
    if (id.empty()) continue;
    ++report.expected_ids;
    report.missing_ids.emplace_back(id);
  }
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
  Checker checker(**rocks, **keyring, report);
  if (absl::Status s = checker.Run(); !s.ok()) return s;
  if (!expect_ids_file.empty()) {
    if (absl::Status s = CheckExpectedIds(**rocks, expect_ids_file, report); !s.ok()) return s;
  }
  return report;
}

}  // namespace samrad::storage
