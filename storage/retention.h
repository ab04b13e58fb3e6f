// Retention (internal to samrad_storage): Store::RunRetention as a sequence
// of named steps. 1. cutoffs from the policy; 2. threads due to close (the
// expiry index's active range, oldest activity first); 3. close each, one
// atomic op per thread, pipelined so they share fsyncs; 4. threads due to
// purge (the closed range); 5. purge each (messages, message ids, thread and
// index entries, and an audit entry, in one op per thread); 6. flush and
// compact the touched key ranges so the bytes leave the live files. A thread
// that changed since the scan (activity, reopened, gone) is skipped, never
// half-processed. With dry_run, steps 3, 5 and 6 only report.
//
// Blocking; never from a Store callback. The caller serialises maintenance.
#ifndef SAMRAD_STORAGE_RETENTION_H_
#define SAMRAD_STORAGE_RETENTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/commit_pipeline.h"
#include "storage/compaction.h"
#include "storage/queries.h"
#include "storage/rocks.h"
#include "storage/store.h"
#include "storage/txn.h"

namespace samrad::storage {

inline constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;

struct RetentionCutoffs {
  int64_t inactive_before = 0;  // open threads with last activity before this close
  int64_t closed_before = 0;    // threads closed before this are purged
};

// Step 1. INVALID_ARGUMENT for negative days.
absl::StatusOr<RetentionCutoffs> RetentionCutoffsAt(const RetentionPolicy& policy, int64_t now_ms);

// Steps 2 and 4: the thread ids whose expiry index entry of `kind`
// (schema::kExpiryActive or kExpiryClosed) is older than `cutoff`, oldest
// first.
absl::StatusOr<std::vector<std::string>> ThreadsDue(const RocksHandle& rocks, char kind,
                                                    int64_t cutoff);

// One thread of step 3, inside `txn`: closes it (audit "retention-close")
// when it is still open and inactive since before `inactive_before`. False,
// writing nothing, when it is gone, closed or active since.
absl::StatusOr<bool> CloseIfInactive(Txn& txn, const std::string& thread_id,
                                     int64_t inactive_before);

// One thread of step 5, inside `txn`: deletes its messages, message ids,
// record and index entries, appends audit "purge", and records every deleted
// key in `touched`. The number of messages purged, or nullopt (nothing
// written) when it is gone, not closed, or closed since `closed_before`.
absl::StatusOr<std::optional<uint64_t>> PurgeIfExpired(Txn& txn, const std::string& thread_id,
                                                       int64_t closed_before, KeyRanges& touched);

// Step 3: CloseIfInactive for each id, pipelined; counts into `report`.
absl::Status CloseInactiveThreads(CommitPipeline& pipeline, const std::vector<std::string>& due,
                                  int64_t inactive_before, RetentionReport& report);

// Step 5: PurgeIfExpired for each id, pipelined; counts into `report`.
// `touched` is written on the commit thread and complete on return.
absl::Status PurgeExpiredThreads(CommitPipeline& pipeline, const std::vector<std::string>& due,
                                 int64_t closed_before, RetentionReport& report,
                                 KeyRanges& touched);

// Dry run of step 5: what a purge of `due` would remove.
absl::Status ReportPurgeDryRun(StoreReader& reader, const std::vector<std::string>& due,
                               RetentionReport& report);

// The whole sequence at time `now_ms`.
absl::StatusOr<RetentionReport> RunRetention(const RocksHandle& rocks, StoreReader& reader,
                                             CommitPipeline& pipeline,
                                             const RetentionPolicy& policy, int64_t now_ms);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_RETENTION_H_
