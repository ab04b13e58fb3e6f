#include "server/maintenance.h"

#include <future>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/reasons.h"
#include "common/status_macros.h"
#include "server/authz.h"
#include "server/consultations.h"
#include "server/log.h"

namespace samrad::server {
namespace {

// The store's statistics question from the wire request (the store takes
// no wire types). An unknown period stays unspecified: the store refuses it.
storage::StatsQuery StorageStatsQuery(const v1::StatsRequest& request) {
  storage::StatsQuery query;
  switch (request.period()) {
    case v1::STATS_PERIOD_MONTH:
      query.period = storage::StatsPeriod::kMonth;
      break;
    case v1::STATS_PERIOD_QUARTER:
      query.period = storage::StatsPeriod::kQuarter;
      break;
    case v1::STATS_PERIOD_YEAR:
      query.period = storage::StatsPeriod::kYear;
      break;
    default:
      query.period = storage::StatsPeriod::kUnspecified;
  }
  query.year = request.year();
  query.index = request.index();
  query.from_unix_ms = request.from_unix_ms();
  query.to_unix_ms = request.to_unix_ms();
  query.group_by.assign(request.group_by().begin(), request.group_by().end());
  return query;
}

}  // namespace

Maintenance::Maintenance(storage::Store* store, const v1::RelayConfig& config,
                         std::function<int64_t()> clock,
                         std::function<void(const absl::Status&)> on_store_write)
    : store_(store),
      config_(config),
      clock_(std::move(clock)),
      on_store_write_(std::move(on_store_write)) {}

// A unit admin's view of the audit log: an entry about a thread whose
// current unit is theirs, or an entry without a thread made by an admin
// with their id (their own publish/revoke/backup...). Scans at most
// kMaxAuditScan entries per call; scanned_to_index tells the client where
// to page on.
absl::Status Maintenance::ReadScopedAudit(const Identity& who, uint64_t after_index,
                                          int64_t since_unix_ms, uint32_t limit,
                                          v1::AuditLogReply* reply) {
  static constexpr uint64_t kMaxAuditScan = 100000;
  reply->set_scoped(true);
  absl::flat_hash_map<std::string, bool> thread_in_unit;
  uint64_t cursor = after_index;
  uint64_t scanned = 0;
  while (static_cast<uint32_t>(reply->entries_size()) < limit && scanned < kMaxAuditScan) {
    auto batch = store_->ReadAudit(cursor, since_unix_ms, 1000);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    for (v1::AuditEntry& entry : *batch) {
      cursor = entry.index();
      ++scanned;
      if (AuditEntryVisible(who, entry, &thread_in_unit)) {
        *reply->add_entries() = std::move(entry);
        if (static_cast<uint32_t>(reply->entries_size()) == limit) break;
      }
    }
  }
  reply->set_scanned_to_index(cursor);
  return absl::OkStatus();
}

bool Maintenance::AuditEntryVisible(const Identity& who, const v1::AuditEntry& entry,
                                    absl::flat_hash_map<std::string, bool>* thread_in_unit) {
  if (entry.thread_id().empty()) {
    return entry.actor_role() == RoleName(Role::kAdmin) && entry.actor_id() == who.id;
  }
  auto [it, inserted] = thread_in_unit->try_emplace(entry.thread_id(), false);
  if (inserted) {
    auto thread = store_->GetThread(entry.thread_id());
    it->second = thread.ok() && thread->unit() == who.scope;
  }
  return it->second;
}

// Only from the maintenance thread (never a Store callback).
absl::Status Maintenance::AppendAuditAndWait(storage::AuditDraft draft) {
  std::promise<absl::Status> done;
  auto future = done.get_future();
  store_->AppendAudit(std::move(draft), [this, &done](absl::StatusOr<v1::AuditEntry> entry) {
    if (on_store_write_) on_store_write_(entry.status());
    done.set_value(entry.status());
  });
  return future.get();
}

absl::StatusOr<storage::RetentionReport> Maintenance::Retain(bool dry_run, const Identity* who) {
  storage::RetentionPolicy policy;
  policy.closed_days = static_cast<int>(config_.retention().closed_days());
  policy.inactive_days = static_cast<int>(config_.retention().inactive_days());
  policy.dry_run = dry_run;
  auto report = store_->RunRetention(policy);
  if (!dry_run)
    if (on_store_write_) on_store_write_(report.status());
  if (!report.ok()) return report.status();
  LogInfo("retention", {{"dry_run", dry_run ? "true" : "false"},
                        {"closed", absl::StrCat(report->threads_closed)},
                        {"purged", absl::StrCat(report->threads_purged)},
                        {"messages_purged", absl::StrCat(report->messages_purged)}});
  if (!dry_run && (report->threads_closed > 0 || report->threads_purged > 0)) {
    storage::AuditDraft draft;
    if (who != nullptr) {
      draft = Audit(*who, "retention", "");
    } else {
      draft.actor_role = "relay";
      draft.action = "retention";
    }
    draft.detail =
        absl::StrCat("closed=", report->threads_closed, " purged=", report->threads_purged,
                     " messages=", report->messages_purged);
    if (auto s = AppendAuditAndWait(std::move(draft)); !s.ok()) return s;
  }
  return report;
}

void Maintenance::ScheduledSweep() {
  auto report = Retain(/*dry_run=*/false, nullptr);
  if (!report.ok()) LogError("retention_failed", {{"reason", report.status().message()}});
}

// Suppression and the calendar periods are the store's rule
// (storage/store.h Stats); here only the cheap checks before a scan.
absl::StatusOr<ScopedStatsQuery> Maintenance::StatsQueryOf(const Identity& caller,
                                                           const v1::StatsRequest& request) {
  static const absl::flat_hash_set<std::string> kDimensions = {"unit", "county", "category",
                                                               "month"};
  absl::flat_hash_set<std::string> seen;
  for (const std::string& g : request.group_by()) {
    if (!kDimensions.contains(g)) {
      return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kGroupByUnknown,
                            {g.substr(0, 32)});
    }
    if (!seen.insert(g).second) {
      return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kGroupByTwice,
                            {g});
    }
  }
  ScopedStatsQuery out{StorageStatsQuery(request), std::nullopt};
  SAMRAD_RETURN_IF_ERROR(storage::StatsPeriodWindow(out.query, clock_()).status());
  // A unit admin's statistics are their unit's rows of the same query
  // grouped by unit as well: a subset of what a national admin sees, so the
  // suppression rule holds unchanged.
  if (caller.scope != kNationalScope) {
    out.only_unit = caller.scope;
    if (!seen.contains("unit")) out.query.group_by.push_back("unit");
  }
  return out;
}

// Only from the maintenance thread.
absl::Status Maintenance::RunStats(const ScopedStatsQuery& query, v1::StatsReply* reply) {
  SAMRAD_ASSIGN_OR_RETURN(auto rows, store_->Stats(query.query));
  for (auto& row : rows) {
    if (query.only_unit.has_value()) {
      auto unit = row.group().find("unit");
      if (unit == row.group().end() || unit->second != *query.only_unit) continue;
    }
    *reply->add_rows() = std::move(row);
  }
  return absl::OkStatus();
}

// A national admin's audit page, read on the calling thread.
absl::Status Maintenance::ReadAudit(uint64_t after_index, int64_t since_unix_ms, uint32_t limit,
                                    v1::AuditLogReply* reply) {
  SAMRAD_ASSIGN_OR_RETURN(auto entries, store_->ReadAudit(after_index, since_unix_ms, limit));
  for (auto& e : entries) *reply->add_entries() = std::move(e);
  if (reply->entries_size() > 0) {
    reply->set_scanned_to_index(reply->entries(reply->entries_size() - 1).index());
  }
  return absl::OkStatus();
}

absl::Status Maintenance::BackupsOn() const {
  if (!config_.backup_dir().empty()) return absl::OkStatus();
  return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kBackupsOff, {});
}

// Only from the maintenance thread: backs up, purges beyond backup_keep,
// logs and audits.
absl::Status Maintenance::RunBackup(const Identity& who, v1::BackupReply* reply) {
  SAMRAD_ASSIGN_OR_RETURN(auto result, store_->Backup(config_.backup_dir(), config_.backup_keep()));
  const storage::BackupInfo& info = result.created;
  reply->set_backup_dir(info.backup_dir);
  reply->set_backup_id(info.backup_id);
  reply->set_size_bytes(info.size_bytes);
  reply->set_backup_keep(config_.backup_keep());
  for (uint32_t id : result.purged_ids) reply->add_purged_backup_ids(id);
  const std::string purged = absl::StrJoin(result.purged_ids, ",");
  LogInfo("backup_done", {{"backup_id", absl::StrCat(info.backup_id)},
                          {"bytes", absl::StrCat(info.size_bytes)},
                          {"purged_backup_ids", purged}});
  return AppendAuditAndWait(
      Audit(who, "backup", "",
            absl::StrCat("backup_id=", info.backup_id, purged.empty() ? "" : " purged=", purged)));
}

// Only from the maintenance thread.
absl::Status Maintenance::ListBackupsInto(v1::ListBackupsReply* reply) {
  SAMRAD_ASSIGN_OR_RETURN(auto backups, storage::ListBackups(config_.backup_dir()));
  reply->set_backup_dir(config_.backup_dir());
  reply->set_backup_keep(config_.backup_keep());
  for (const storage::BackupInfo& b : backups) {
    v1::BackupSummary* summary = reply->add_backups();
    summary->set_backup_id(b.backup_id);
    summary->set_created_unix_ms(b.created_unix_ms);
    summary->set_size_bytes(b.size_bytes);
    summary->set_num_files(b.num_files);
  }
  return absl::OkStatus();
}

// Only from the maintenance thread.
absl::Status Maintenance::RetainInto(bool dry_run, const Identity& who, v1::RetentionReply* reply) {
  SAMRAD_ASSIGN_OR_RETURN(storage::RetentionReport report, Retain(dry_run, &who));
  reply->set_threads_closed(report.threads_closed);
  reply->set_threads_purged(report.threads_purged);
  reply->set_messages_purged(report.messages_purged);
  for (const auto& id : report.purged_thread_ids) reply->add_purged_thread_ids(id);
  return absl::OkStatus();
}

}  // namespace samrad::server
