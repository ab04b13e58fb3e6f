// The store's write operations (internal to samrad_storage): free functions
// over a Txn, run on the commit thread by the commit pipeline. Each validates
// against the database plus the group's pending writes, stages its writes
// (records, indexes, audit entries) in the Txn and returns its result; on an
// error the pipeline rolls back everything the op staged. The contract of
// each op (its codes, the state machine) is that of the Store method of the
// same name in store.h; `audit`, when set, is appended in the same batch.
// Not thread-safe: the commit thread only.
#ifndef SAMRAD_STORAGE_WRITE_OPS_H_
#define SAMRAD_STORAGE_WRITE_OPS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/directory.pb.h"
#include "proto/records.pb.h"
#include "storage/store.h"
#include "storage/txn.h"

namespace samrad::storage {

// The thread as the Txn sees it; NOT_FOUND when there is none.
absl::StatusOr<v1::ThreadRecord> LoadThread(Txn& txn, const std::string& thread_id);

absl::StatusOr<Appended> ApplyCreateThread(Txn& txn, v1::ThreadRecord thread,
                                           v1::StoredMessage first);
// `take_over_audit` non-null: an adviser message moves another adviser's
// claim (AppendTakingOver); null: such a message is refused.
absl::StatusOr<Appended> ApplyAppend(Txn& txn, v1::StoredMessage message,
                                     const std::optional<AuditDraft>& audit,
                                     const AuditDraft* take_over_audit = nullptr);
absl::StatusOr<Appended> ApplyAppendTakingOver(Txn& txn, v1::StoredMessage message,
                                               const std::optional<AuditDraft>& audit,
                                               const AuditDraft& take_over_audit);
absl::StatusOr<v1::ThreadRecord> ApplyClaim(Txn& txn, const std::string& thread_id,
                                            const std::string& unit, const std::string& adviser_id,
                                            const std::optional<AuditDraft>& audit);
absl::StatusOr<v1::ThreadRecord> ApplyRelease(Txn& txn, const std::string& thread_id,
                                              const std::string& unit,
                                              const std::string& adviser_id,
                                              const std::optional<AuditDraft>& audit);
absl::StatusOr<v1::ThreadRecord> ApplyHandover(Txn& txn, const std::string& thread_id,
                                               const std::string& unit, const std::string& from,
                                               const std::string& to,
                                               const std::optional<AuditDraft>& audit);
absl::StatusOr<v1::ThreadRecord> ApplyForceRelease(Txn& txn, const std::string& thread_id,
                                                   const std::string& unit,
                                                   const std::optional<AuditDraft>& audit);
// Frees every claim `adviser_id` holds in `unit` (found through the unit's
// queue index ranges of CLAIMED and ANSWERED), each with its own entry made
// from `release_audit`. Nothing when unit or adviser_id is empty.
absl::StatusOr<std::vector<v1::ThreadRecord>> ReleaseClaimsOf(Txn& txn, const std::string& unit,
                                                              const std::string& adviser_id,
                                                              const AuditDraft& release_audit);
absl::StatusOr<std::vector<v1::ThreadRecord>> ApplyRevokeAndReleaseClaims(
    Txn& txn, const v1::RevocationRecord& record, const std::optional<AuditDraft>& audit,
    const std::string& unit, const std::string& adviser_id, const AuditDraft& release_audit);
absl::StatusOr<v1::ThreadRecord> ApplyRefer(
    Txn& txn, const std::string& thread_id, const std::string& from_unit,
    const std::string& to_unit, const std::map<std::string, std::vector<v1::WrappedKey>>& rewraps,
    const std::optional<v1::StoredMessage>& note, const std::optional<AuditDraft>& audit);
// `unit` empty: any unit (retention closes through this too).
absl::StatusOr<v1::ThreadRecord> ApplyClose(Txn& txn, const std::string& thread_id,
                                            const std::string& unit,
                                            const std::optional<AuditDraft>& audit);
absl::Status ApplyPutDirectory(Txn& txn, const v1::SignedDirectory& directory, uint64_t epoch,
                               const std::optional<AuditDraft>& audit);
absl::Status ApplyRevoke(Txn& txn, v1::RevocationRecord record,
                         const std::optional<AuditDraft>& audit);
absl::StatusOr<v1::RevocationRecord> ApplyUnrevoke(Txn& txn,
                                                   const std::vector<std::string>& stored_serials,
                                                   const std::optional<AuditDraft>& audit);
absl::StatusOr<Store::RecipientsAdded> ApplyAddRecipients(
    Txn& txn, const std::string& thread_id, const std::string& unit,
    const std::map<std::string, std::vector<v1::WrappedKey>>& wraps,
    const std::optional<AuditDraft>& audit);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_WRITE_OPS_H_
