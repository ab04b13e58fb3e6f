#include "storage/retention.h"

#include <memory>

#include "common/status_macros.h"
#include "storage/audit_chain.h"
#include "storage/schema.h"
#include "storage/write_ops.h"

namespace samrad::storage {

absl::StatusOr<RetentionCutoffs> RetentionCutoffsAt(const RetentionPolicy& policy, int64_t now_ms) {
  if (policy.closed_days < 0 || policy.inactive_days < 0) {
    return absl::InvalidArgumentError("retention days must not be negative");
  }
  return RetentionCutoffs{now_ms - int64_t{policy.inactive_days} * kDayMs,
                          now_ms - int64_t{policy.closed_days} * kDayMs};
}

absl::StatusOr<std::vector<std::string>> ThreadsDue(const RocksHandle& rocks, char kind,
                                                    int64_t cutoff) {
  // Expiry keys: kind (1 byte), time (8 bytes), thread id.
  std::vector<std::string> ids;
  std::string prefix = schema::ExpiryPrefix(kind);
  std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(rocksdb::ReadOptions(), rocks.cf(schema::kExpiryIndex)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.size() < 9 || schema::ReadI64(key.substr(1, 8)) >= cutoff) break;
    ids.emplace_back(key.substr(9));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan expiry index");
  return ids;
}

absl::StatusOr<bool> CloseIfInactive(Txn& txn, const std::string& thread_id,
                                     int64_t inactive_before) {
  absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
  if (absl::IsNotFound(thread.status())) return false;
  if (!thread.ok()) return thread.status();
  if (thread->state() == v1::THREAD_STATE_CLOSED ||
      thread->last_activity_unix_ms() >= inactive_before) {
    return false;  // activity since the scan postpones expiry
  }
  AuditDraft audit{"relay", "", "retention-close", thread_id, "inactive"};
  absl::StatusOr<v1::ThreadRecord> closed = ApplyClose(txn, thread_id, "", audit);
  if (!closed.ok()) return closed.status();
  return true;
}

absl::StatusOr<std::optional<uint64_t>> PurgeIfExpired(Txn& txn, const std::string& thread_id,
                                                       int64_t closed_before, KeyRanges& touched) {
  absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
  if (absl::IsNotFound(thread.status())) return std::nullopt;
  if (!thread.ok()) return thread.status();
  if (thread->state() != v1::THREAD_STATE_CLOSED || thread->closed_at_unix_ms() >= closed_before) {
    return std::nullopt;
  }
  auto remove = [&txn, &touched](schema::CfId cf, const std::string& key) {
    txn.Delete(cf, key);
    touched.Touch(cf, key);
  };
  for (uint64_t sequence = 1; sequence <= thread->last_sequence(); ++sequence) {
    std::string key = schema::MessageKey(thread_id, sequence);
    absl::StatusOr<std::optional<v1::StoredMessage>> message =
        txn.GetProto<v1::StoredMessage>(schema::kMessages, key);
    if (!message.ok()) return message.status();
    if (message->has_value()) remove(schema::kMessageIds, (*message)->message_id());
    remove(schema::kMessages, key);
  }
  remove(schema::kThreads, schema::ThreadKey(thread_id));
  remove(schema::kQueueIndex, schema::QueueKey(*thread));
  remove(schema::kExpiryIndex, schema::ExpiryKey(*thread));
  AuditDraft audit{"relay", "", "purge", thread_id, "retention"};
  if (absl::Status s = AppendAuditEntry(txn, audit).status(); !s.ok()) return s;
  return thread->last_sequence();
}

absl::Status CloseInactiveThreads(CommitPipeline& pipeline, const std::vector<std::string>& due,
                                  int64_t inactive_before, RetentionReport& report) {
  // Written on the commit thread, read after every op completed.
  std::vector<char> closed(due.size(), 0);
  std::vector<absl::AnyInvocable<absl::Status(Txn&)>> ops;
  for (size_t i = 0; i < due.size(); ++i) {
    ops.push_back([&closed, &due, i, inactive_before](Txn& txn) -> absl::Status {
      absl::StatusOr<bool> done = CloseIfInactive(txn, due[i], inactive_before);
      if (!done.ok()) return done.status();
      closed[i] = *done;
      return absl::OkStatus();
    });
  }
  if (absl::Status s = pipeline.RunPipelined(std::move(ops)); !s.ok()) return s;
  for (size_t i = 0; i < due.size(); ++i) {
    if (!closed[i]) continue;
    ++report.threads_closed;
    report.closed_thread_ids.push_back(due[i]);
  }
  return absl::OkStatus();
}

absl::Status PurgeExpiredThreads(CommitPipeline& pipeline, const std::vector<std::string>& due,
                                 int64_t closed_before, RetentionReport& report,
                                 KeyRanges& touched) {
  // Written on the commit thread, read after every op completed.
  std::vector<std::optional<uint64_t>> purged(due.size());
  std::vector<absl::AnyInvocable<absl::Status(Txn&)>> ops;
  for (size_t i = 0; i < due.size(); ++i) {
    ops.push_back([&purged, &due, &touched, i, closed_before](Txn& txn) -> absl::Status {
      absl::StatusOr<std::optional<uint64_t>> messages =
          PurgeIfExpired(txn, due[i], closed_before, touched);
      if (!messages.ok()) return messages.status();
      purged[i] = *messages;
      return absl::OkStatus();
    });
  }
  if (absl::Status s = pipeline.RunPipelined(std::move(ops)); !s.ok()) return s;
  for (size_t i = 0; i < due.size(); ++i) {
    if (!purged[i].has_value()) continue;
    ++report.threads_purged;
    report.messages_purged += *purged[i];
    report.purged_thread_ids.push_back(due[i]);
  }
  return absl::OkStatus();
}

absl::Status ReportPurgeDryRun(StoreReader& reader, const std::vector<std::string>& due,
                               RetentionReport& report) {
  for (const std::string& thread_id : due) {
    absl::StatusOr<v1::ThreadRecord> thread = reader.GetThread(thread_id);
    if (!thread.ok()) return thread.status();
    ++report.threads_purged;
    report.messages_purged += thread->last_sequence();
    report.purged_thread_ids.push_back(thread_id);
  }
  return absl::OkStatus();
}

absl::StatusOr<RetentionReport> RunRetention(const RocksHandle& rocks, StoreReader& reader,
                                             CommitPipeline& pipeline,
                                             const RetentionPolicy& policy, int64_t now_ms) {
  SAMRAD_ASSIGN_OR_RETURN(RetentionCutoffs cutoffs, RetentionCutoffsAt(policy, now_ms));
  RetentionReport report;
  SAMRAD_ASSIGN_OR_RETURN(std::vector<std::string> to_close,
                          ThreadsDue(rocks, schema::kExpiryActive, cutoffs.inactive_before));
  if (policy.dry_run) {
    report.threads_closed = to_close.size();
    report.closed_thread_ids = to_close;
  } else {
    SAMRAD_RETURN_IF_ERROR(
        CloseInactiveThreads(pipeline, to_close, cutoffs.inactive_before, report));
  }
  SAMRAD_ASSIGN_OR_RETURN(std::vector<std::string> to_purge,
                          ThreadsDue(rocks, schema::kExpiryClosed, cutoffs.closed_before));
  if (policy.dry_run) {
    SAMRAD_RETURN_IF_ERROR(ReportPurgeDryRun(reader, to_purge, report));
    return report;
  }
  KeyRanges touched;
  SAMRAD_RETURN_IF_ERROR(
      PurgeExpiredThreads(pipeline, to_purge, cutoffs.closed_before, report, touched));
  // Make the deletion physical (the WAL and SST files holding the purged
  // values are deleted).
  if (!touched.empty())
    SAMRAD_RETURN_IF_ERROR(FlushAndCompact(rocks, touched.ToCompactionRanges()));
  return report;
}

}  // namespace samrad::storage
