// The audit chain (internal to samrad_storage): a hash-linked, append-only
// log in the audit column family. Entry i has index i (from 1) and
// hash = SHA-256("samrad-audit-v1" || prev_hash || entry with hash cleared),
// prev_hash being entry i-1's hash (32 zero bytes for the first). Entries are
// appended only inside a Txn, so an entry is durable exactly when the write it
// records is. Entries never hold message content, and never a professional's
// identity (actor_id is empty for professionals).
#ifndef SAMRAD_STORAGE_AUDIT_CHAIN_H_
#define SAMRAD_STORAGE_AUDIT_CHAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/records.pb.h"
#include "storage/store.h"
#include "storage/txn.h"

namespace samrad::storage {

// The entry's hash (see above).
absl::StatusOr<std::string> ComputeAuditHash(const v1::AuditEntry& entry);

// DATA_LOSS naming `expected_index` when the entry's index, link or hash is
// wrong.
absl::Status VerifyAuditEntry(const v1::AuditEntry& entry, uint64_t expected_index,
                              std::string_view expected_prev_hash);

// Walks the whole audit log: OK, or DATA_LOSS naming the first broken entry
// (undecryptable, unparsable, missing, mislinked or with a wrong hash).
// `entries`, when not null, receives the number of entries checked.
absl::Status VerifyAuditChainOf(const RocksHandle& rocks, const Keyring& keyring,
                                uint64_t* entries);

// The last entry's index and hash (index 0 for an empty log), for the commit
// pipeline to continue the chain. DATA_LOSS when the last entry does not open.
absl::StatusOr<AuditHead> LoadAuditHead(const RocksHandle& rocks, const Keyring& keyring);

// Appends an entry made from `draft` at txn.now(), linked to txn's audit
// head, which it advances. INVALID_ARGUMENT for a draft with an unknown
// role, an actor id for a professional, or no action.
absl::StatusOr<v1::AuditEntry> AppendAuditEntry(Txn& txn, const AuditDraft& draft);

// AppendAuditEntry when `audit` is set; OK otherwise.
absl::Status MaybeAudit(Txn& txn, const std::optional<AuditDraft>& audit);

// Adds `more` to the draft's detail (space-separated).
void AppendDetail(AuditDraft& draft, std::string_view more);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_AUDIT_CHAIN_H_
