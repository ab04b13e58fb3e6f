// Maintenance: the relay's admin reads and long jobs with no gRPC type —
// retention (on request and on the sweeper's schedule), backups and their
// list, statistics, and the audit log as a national or a unit admin sees it.
//
// Blocking: everything marked "maintenance thread" may scan or copy the
// whole store and waits for its audit write; call it only from the
// maintenance thread (MaintenanceWorker), never from a gRPC or Store
// callback thread.
//
// Statuses: FAILED_PRECONDITION (kBackupsOff) when backups are not
// configured; INVALID_ARGUMENT (catalogue reasons) for a bad statistics
// grouping or period; store statuses otherwise.
//
// Thread-safety: methods may be called from several threads at once.
// Lifetime: `store` must outlive it.
#ifndef SAMRAD_SERVER_MAINTENANCE_H_
#define SAMRAD_SERVER_MAINTENANCE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/config.pb.h"
#include "proto/relay.pb.h"
#include "server/identity.h"
#include "storage/store.h"

namespace samrad::server {

// A GetStats query as the store runs it, and the unit a unit admin's rows
// are filtered to.
struct ScopedStatsQuery {
  storage::StatsQuery query;
  std::optional<std::string> only_unit;
};

class Maintenance {
 public:
  // `config`: backup_dir, backup_keep and retention are read. `clock`: Unix
  // ms. `on_store_write` (optional) sees the outcome of every write made
  // here (retention, audit), before the caller is answered.
  Maintenance(storage::Store* store, const v1::RelayConfig& config, std::function<int64_t()> clock,
              std::function<void(const absl::Status&)> on_store_write);

  // ---- Backups ----
  // FAILED_PRECONDITION (kBackupsOff) when no backup_dir is configured.
  [[nodiscard]] absl::Status BackupsOn() const;
  // Maintenance thread: backs up, purges beyond backup_keep, logs and audits.
  [[nodiscard]] absl::Status RunBackup(const Identity& who, v1::BackupReply* reply);
  // Maintenance thread (so it never reads a backup being written).
  [[nodiscard]] absl::Status ListBackupsInto(v1::ListBackupsReply* reply);

  // ---- Retention ----
  // Maintenance thread: runs the retention policy (a dry run writes
  // nothing), logs it and, when anything changed, audits it as `who` (the
  // relay itself when null).
  [[nodiscard]] absl::StatusOr<storage::RetentionReport> Retain(bool dry_run, const Identity* who);
  [[nodiscard]] absl::Status RetainInto(bool dry_run, const Identity& who,
                                        v1::RetentionReply* reply);
  // The sweeper's run: Retain as the relay; a failure is logged.
  void ScheduledSweep();

  // ---- Statistics ----
  // Suppression and the calendar periods are the store's rule; here only the
  // cheap checks before a scan: INVALID_ARGUMENT for an unknown or repeated
  // grouping or a bad period. A unit admin's query is grouped by unit too
  // and filtered to their unit: a subset of what a national admin sees.
  [[nodiscard]] absl::StatusOr<ScopedStatsQuery> StatsQueryOf(const Identity& caller,
                                                              const v1::StatsRequest& request);
  // Maintenance thread.
  [[nodiscard]] absl::Status RunStats(const ScopedStatsQuery& query, v1::StatsReply* reply);

  // ---- Audit log ----
  // A national admin's page, read on the calling thread.
  [[nodiscard]] absl::Status ReadAudit(uint64_t after_index, int64_t since_unix_ms, uint32_t limit,
                                       v1::AuditLogReply* reply);
  // Maintenance thread: a unit admin's view — entries about threads whose
  // current unit is theirs, and their own entries without a thread. Scans
  // at most 100,000 entries per call; scanned_to_index says where to page on.
  [[nodiscard]] absl::Status ReadScopedAudit(const Identity& who, uint64_t after_index,
                                             int64_t since_unix_ms, uint32_t limit,
                                             v1::AuditLogReply* reply);

  // Appends `draft` and waits until it is durable. Maintenance thread only
  // (never a Store callback).
  [[nodiscard]] absl::Status AppendAuditAndWait(storage::AuditDraft draft);

 private:
  bool AuditEntryVisible(const Identity& who, const v1::AuditEntry& entry,
                         absl::flat_hash_map<std::string, bool>* thread_in_unit);

  storage::Store* const store_;
  const v1::RelayConfig config_;
  const std::function<int64_t()> clock_;
  const std::function<void(const absl::Status&)> on_store_write_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_MAINTENANCE_H_
