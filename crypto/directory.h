// The signed key directory: signing (admin, offline key), verification
// (clients and relay), and routing a county to a unit.
//
// Format 2 (SignedDirectory.version = 2): Ed25519 over "samrad-directory-v2"
// || directory bytes; the directory carries an expiry (not_after) and may list
// revoked adviser signing keys. Format 1 is refused with a message that says
// to re-sign. Stateless, thread-safe.
#ifndef SAMRAD_CRYPTO_DIRECTORY_H_
#define SAMRAD_CRYPTO_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/keys.h"
#include "proto/directory.pb.h"

namespace samrad::crypto {

// How long a signed directory stays valid unless the admin says otherwise,
// and the longest allowed.
inline constexpr int64_t kDefaultDirectoryValidityMs = int64_t{14} * 24 * 3600 * 1000;
inline constexpr int64_t kMaxDirectoryValidityMs = int64_t{90} * 24 * 3600 * 1000;

// Signs `directory` (serialised deterministically). INVALID_ARGUMENT when
// ValidateDirectory fails.
[[nodiscard]] absl::StatusOr<v1::SignedDirectory> SignDirectory(
    const v1::KeyDirectory& directory, const Ed25519PrivateKey& directory_key);

// Checks the format version, verifies the signature under the pinned key,
// parses, and validates. INVALID_ARGUMENT for another format than 2 (saying
// what to do); PERMISSION_DENIED when the signature fails; INVALID_ARGUMENT
// when the bytes or the content are malformed (see ValidateDirectory).
[[nodiscard]] absl::StatusOr<v1::KeyDirectory> VerifyDirectory(
    const v1::SignedDirectory& signed_directory, const Ed25519PublicKey& directory_public_key);

// Content rules: epoch >= 1; unit ids non-empty, unique, [a-z0-9-]{1,64};
// counties are two-digit län codes in use (01, 03-10, 12-14, 17-25) and each
// belongs to at most one unit; adviser ids non-empty, at most 128 bytes and
// unique within a unit; keys 32 bytes; the fallback unit exists; issued_at is
// set and not_after lies after it by at most kMaxDirectoryValidityMs; revoked
// signing keys are 32 bytes and none is also listed for an adviser. A lower
// epoch than one seen before and expiry are the caller's checks (nothing here
// keeps state or reads the clock).
[[nodiscard]] absl::Status ValidateDirectory(const v1::KeyDirectory& directory);

// FAILED_PRECONDITION (naming the epoch and how long ago) when `now_unix_ms`
// is past the directory's not_after.
[[nodiscard]] absl::Status CheckDirectoryFresh(const v1::KeyDirectory& directory,
                                               int64_t now_unix_ms);

// Whether the directory lists `signing_public_key` (32 raw bytes) as revoked.
bool IsRevokedSigningKey(const v1::KeyDirectory& directory, std::string_view signing_public_key);

// The unit whose catchment lists `county`, else the fallback unit.
// NOT_FOUND when neither exists.
[[nodiscard]] absl::StatusOr<const v1::UnitEntry*> RouteCounty(const v1::KeyDirectory& directory,
                                                               std::string_view county);

// Where a new question from `county` goes (issue 15): the unit RouteCounty
// names when it lists at least one adviser, else the fallback unit (the
// national team, NKT), since nobody could read a question sealed for a unit
// without advisers. The client seals for this unit and the relay requires
// exactly this unit in message 1's header, so the fallback is taken in this
// case and no other. NOT_FOUND as RouteCounty.
[[nodiscard]] absl::StatusOr<const v1::UnitEntry*> RouteNewCase(const v1::KeyDirectory& directory,
                                                                std::string_view county);

// The unit with `unit_id`, or NOT_FOUND.
[[nodiscard]] absl::StatusOr<const v1::UnitEntry*> FindUnit(const v1::KeyDirectory& directory,
                                                            std::string_view unit_id);

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_DIRECTORY_H_
