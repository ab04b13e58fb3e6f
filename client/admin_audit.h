// Client-side check of the relay's audit hash chain (issue 7).
//
// Entry i (from 1, no gaps) has prev_hash = hash of entry i-1 (32 zero bytes
// for entry 1) and hash = SHA-256("samrad-audit-v1" || prev_hash ||
// entry serialised deterministically with `hash` cleared). Stateless.
#ifndef SAMRAD_CLIENT_ADMIN_AUDIT_H_
#define SAMRAD_CLIENT_ADMIN_AUDIT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "proto/records.pb.h"

namespace samrad::client {

inline constexpr size_t kAuditHashLen = 32;

// The hash `entry` must carry (its own `hash` field is ignored).
std::string ExpectedAuditHash(const v1::AuditEntry& entry);

// OK when `entry` is entry `expected_index` of the chain and follows the
// entry whose hash is `prev_hash`; DATA_LOSS saying what is wrong (missing
// entry, broken link, altered contents) otherwise.
absl::Status CheckAuditEntry(const v1::AuditEntry& entry, uint64_t expected_index,
                             const std::string& prev_hash);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_ADMIN_AUDIT_H_
