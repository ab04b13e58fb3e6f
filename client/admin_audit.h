// Client-side check of the relay's audit hash chain (issue 7).
//
// Entry i (from 1, no gaps) has prev_hash = hash of entry i-1 (32 zero bytes
// for entry 1) and hash = SHA-256("samrad-audit-v1" || prev_hash ||
// entry serialised deterministically with `hash` cleared). Stateless.
//
// The chain alone proves nothing against a relay that rewrites or cuts all of
// it, so the admin client keeps an anchor: the last (index, hash) it verified,
// in a file beside its keystore. A later chain must reach that index with the
// same hash.
//
// Thread-safety: the verification functions are pure and thread-safe; the
// anchor file is read and replaced atomically, one process at a time.
#ifndef SAMRAD_CLIENT_ADMIN_AUDIT_H_
#define SAMRAD_CLIENT_ADMIN_AUDIT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/records.pb.h"

namespace samrad::client {

inline constexpr size_t kAuditHashLen = 32;

// The hash `entry` must carry (its own `hash` field is ignored).
std::string ExpectedAuditHash(const v1::AuditEntry& entry);

// OK when `entry` is entry `expected_index` of the chain and follows the
// entry whose hash is `prev_hash`; DATA_LOSS saying what is wrong (missing
// entry, broken link, altered contents) otherwise.
[[nodiscard]] absl::Status CheckAuditEntry(const v1::AuditEntry& entry, uint64_t expected_index,
                                           const std::string& prev_hash);

// The last audit entry this client verified.
struct AuditAnchor {
  uint64_t index = 0;
  std::string hash;  // kAuditHashLen bytes
};

// The anchor file of a profile: its keystore path + ".audit-anchor".
std::string AuditAnchorPath(const std::string& keystore_path);
// Reads "INDEX HASH-HEX\n". NOT_FOUND when there is none yet; DATA_LOSS
// naming the file when it does not parse.
[[nodiscard]] absl::StatusOr<AuditAnchor> LoadAuditAnchor(const std::string& path);
// Replaces the file atomically (0600); errors as WriteFileAtomically.
[[nodiscard]] absl::Status SaveAuditAnchor(const std::string& path, const AuditAnchor& anchor);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_ADMIN_AUDIT_H_
