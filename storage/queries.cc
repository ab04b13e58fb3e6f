#include "storage/queries.h"

#include <algorithm>
#include <limits>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/reasons.h"
#include "common/status_macros.h"
#include "storage/schema.h"
#include "storage/txn.h"

namespace samrad::storage {

using schema::CfId;

namespace {

// At most this many queue index entries are examined per ListQueue call
// (filters on urgency/category). A page may come back short with a cursor.
constexpr size_t kMaxQueueScan = 5000;

// One requested state's range of a unit's queue index. One iterator per
// state; a k-way merge on the order suffix (urgency rank, created, thread id)
// yields the unit's queue in order.
struct QueueCursor {
  std::string prefix;
  std::unique_ptr<rocksdb::Iterator> it;
  bool valid() const { return it->Valid() && it->key().starts_with(ToSlice(prefix)); }
  std::string_view suffix() const {
    return std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  }
};

// A cursor per state, each positioned after `after` (an order suffix; empty:
// from the start).
std::vector<QueueCursor> OpenQueueCursors(const RocksHandle& rocks, const std::string& unit,
                                          const std::vector<v1::ThreadState>& states,
                                          const std::string& after,
                                          const rocksdb::ReadOptions& read) {
  std::vector<QueueCursor> cursors;
  for (v1::ThreadState state : states) {
    QueueCursor cursor;
    cursor.prefix = schema::QueueUnitStatePrefix(unit, state);
    cursor.it.reset(rocks.db()->NewIterator(read, rocks.cf(schema::kQueueIndex)));
    cursor.it->Seek(cursor.prefix + after);
    if (!after.empty() && cursor.valid() && cursor.suffix() == after) cursor.it->Next();
    cursors.push_back(std::move(cursor));
  }
  return cursors;
}

// The cursor whose entry comes next in queue order; null when all are done.
absl::StatusOr<QueueCursor*> NextInQueue(std::vector<QueueCursor>& cursors) {
  QueueCursor* next = nullptr;
  for (QueueCursor& cursor : cursors) {
    if (!cursor.it->status().ok()) return FromRocks(cursor.it->status(), "scan queue");
    if (cursor.valid() && (next == nullptr || cursor.suffix() < next->suffix())) next = &cursor;
  }
  return next;
}

// Whether the cursor's entry passes the query's urgency and category filters
// (the category is in the sealed index value, opened only when asked for).
absl::StatusOr<bool> QueueEntryWanted(const Keyring& keyring, const QueueQuery& query,
                                      const QueueCursor& cursor) {
  const uint8_t rank = static_cast<uint8_t>(cursor.suffix()[0]);
  if (!query.urgencies.empty() &&
      std::none_of(query.urgencies.begin(), query.urgencies.end(),
                   [rank](v1::Urgency u) { return schema::UrgencyRank(u) == rank; })) {
    return false;
  }
  if (query.categories.empty()) return true;
  absl::StatusOr<std::string> value =
      keyring.Open(CfName(schema::kQueueIndex),
                   std::string_view(cursor.it->key().data(), cursor.it->key().size()),
                   std::string_view(cursor.it->value().data(), cursor.it->value().size()));
  if (!value.ok()) return value.status();
  if (value->size() != 1) return absl::DataLossError("a queue index entry is malformed");
  const int category = static_cast<uint8_t>((*value)[0]);
  return std::any_of(query.categories.begin(), query.categories.end(),
                     [category](v1::Category c) { return static_cast<int>(c) == category; });
}

}  // namespace

absl::Status ThreadNotFound(std::string_view thread_id) {
  return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kThreadNotFound,
                        {std::string(thread_id)});
}

absl::StatusOr<std::optional<std::string>> StoreReader::ReadValue(
    CfId cf, std::string_view key, const rocksdb::ReadOptions& read) {
  std::string sealed;
  rocksdb::Status status = rocks_.db()->Get(read, rocks_.cf(cf), ToSlice(key), &sealed);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, absl::StrCat("read ", CfLabel(cf)));
  absl::StatusOr<std::string> plain = keyring_.Open(CfName(cf), key, sealed);
  if (!plain.ok()) return plain.status();
  return *std::move(plain);
}

template <typename Proto>
absl::StatusOr<std::optional<Proto>> StoreReader::ReadProto(CfId cf, std::string_view key,
                                                            const rocksdb::ReadOptions& read) {
  absl::StatusOr<std::optional<std::string>> plain = ReadValue(cf, key, read);
  if (!plain.ok()) return plain.status();
  if (!plain->has_value()) return std::nullopt;
  return ParseRecord<Proto>(cf, **plain);
}

template <typename Proto>
absl::StatusOr<Proto> StoreReader::OpenProto(CfId cf, const rocksdb::Slice& key,
                                             const rocksdb::Slice& value) {
  absl::StatusOr<std::string> plain =
      keyring_.Open(CfName(cf), std::string_view(key.data(), key.size()),
                    std::string_view(value.data(), value.size()));
  if (!plain.ok()) return plain.status();
  return ParseRecord<Proto>(cf, *plain);
}

absl::Status StoreReader::ForEach(CfId cf, std::string_view prefix,
                                  absl::FunctionRef<absl::Status(const rocksdb::Iterator&)> visit,
                                  const rocksdb::ReadOptions& read) {
  std::unique_ptr<rocksdb::Iterator> it(rocks_.db()->NewIterator(read, rocks_.cf(cf)));
  for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
       it->Next()) {
    if (absl::Status s = visit(*it); !s.ok()) return s;
  }
  return FromRocks(it->status(), absl::StrCat("scan ", CfLabel(cf)));
}

absl::StatusOr<v1::ThreadRecord> StoreReader::GetThread(const std::string& thread_id) {
  absl::StatusOr<std::optional<v1::ThreadRecord>> thread =
      ReadProto<v1::ThreadRecord>(schema::kThreads, schema::ThreadKey(thread_id));
  if (!thread.ok()) return thread.status();
  if (!thread->has_value()) return ThreadNotFound(thread_id);
  return **thread;
}

absl::StatusOr<std::vector<v1::StoredMessage>> StoreReader::ListMessages(
    const std::string& thread_id, uint64_t after_sequence, uint32_t limit) {
  absl::StatusOr<MessagePage> page =
      ReadMessagePage(thread_id, after_sequence, limit, std::numeric_limits<size_t>::max());
  if (!page.ok()) return page.status();
  return std::move(page->messages);
}

absl::StatusOr<MessagePage> StoreReader::ReadMessagePage(const std::string& thread_id,
                                                         uint64_t after_sequence,
                                                         uint32_t max_count, size_t max_bytes) {
  if (max_count == 0) max_count = 1000;
  MessagePage out;
  if (after_sequence == std::numeric_limits<uint64_t>::max()) return out;
  std::string prefix = schema::MessagePrefix(thread_id);
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_.db()->NewIterator(rocksdb::ReadOptions(), rocks_.cf(schema::kMessages)));
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

absl::StatusOr<v1::StoredMessage> StoreReader::FindMessage(const std::string& message_id) {
  absl::StatusOr<std::optional<std::string>> location = ReadValue(schema::kMessageIds, message_id);
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

absl::StatusOr<QueuePageResult> StoreReader::ListQueue(const QueueQuery& query) {
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

  const rocksdb::Snapshot* snapshot = rocks_.db()->GetSnapshot();
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  absl::StatusOr<QueuePageResult> result = ScanQueue(query, states, after, read);
  rocks_.db()->ReleaseSnapshot(snapshot);
  return result;
}

absl::StatusOr<v1::SignedDirectory> StoreReader::GetDirectory(uint64_t* epoch) {
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

absl::StatusOr<bool> StoreReader::IsRevoked(const std::string& serial_hex) {
  absl::StatusOr<std::optional<std::string>> value = ReadValue(schema::kRevocations, serial_hex);
  if (!value.ok()) return value.status();
  return value->has_value();
}

absl::StatusOr<std::vector<v1::RevocationRecord>> StoreReader::ListRevoked() {
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

absl::StatusOr<std::vector<v1::AuditEntry>> StoreReader::ReadAudit(uint64_t after_index,
                                                                   int64_t since_unix_ms,
                                                                   uint32_t limit) {
  if (limit == 0) limit = 200;
  limit = std::min<uint32_t>(limit, 1000);
  if (after_index == std::numeric_limits<uint64_t>::max()) return std::vector<v1::AuditEntry>();
  std::vector<v1::AuditEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_.db()->NewIterator(rocksdb::ReadOptions(), rocks_.cf(schema::kAudit)));
  for (it->Seek(schema::AuditKey(after_index + 1)); it->Valid() && out.size() < limit; it->Next()) {
    absl::StatusOr<v1::AuditEntry> entry =
        OpenProto<v1::AuditEntry>(schema::kAudit, it->key(), it->value());
    if (!entry.ok()) return entry.status();
    if (entry->at_unix_ms() >= since_unix_ms) out.push_back(*std::move(entry));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read audit log");
  return out;
}

absl::StatusOr<QueuePageResult> StoreReader::ScanQueue(const QueueQuery& query,
                                                       const std::vector<v1::ThreadState>& states,
                                                       const std::string& after,
                                                       const rocksdb::ReadOptions& read) {
  std::vector<QueueCursor> cursors = OpenQueueCursors(rocks_, query.unit, states, after, read);
  QueuePageResult page;
  std::string last_suffix;
  size_t scanned = 0;
  while (true) {
    SAMRAD_ASSIGN_OR_RETURN(QueueCursor * next, NextInQueue(cursors));
    if (next == nullptr) return page;
    if (page.threads.size() >= query.page_size || scanned >= kMaxQueueScan) break;
    ++scanned;
    SAMRAD_ASSIGN_OR_RETURN(bool wanted, QueueEntryWanted(keyring_, query, *next));
    std::string suffix(next->suffix());
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
  page.next_cursor = absl::WebSafeBase64Escape(last_suffix);
  return page;
}

absl::StatusOr<std::vector<v1::StatsRow>> StoreReader::Stats(const StatsQuery& query,
                                                             int64_t now_ms) {
  SAMRAD_ASSIGN_OR_RETURN(StatsAccumulator stats, StatsAccumulator::Start(query, now_ms));
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

}  // namespace samrad::storage
