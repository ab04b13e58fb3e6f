// The signed key directory: signing (admin, offline key), verification
// (clients and relay), and routing a county to a unit.
//
// Signature: Ed25519 over "samrad-directory-v1" || directory bytes. Stateless,
// thread-safe.
#ifndef SAMRAD_CRYPTO_DIRECTORY_H_
#define SAMRAD_CRYPTO_DIRECTORY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/keys.h"
#include "proto/directory.pb.h"

namespace samrad::crypto {

// Signs `directory` (serialised deterministically). INVALID_ARGUMENT when
// ValidateDirectory fails.
absl::StatusOr<v1::SignedDirectory> SignDirectory(const v1::KeyDirectory& directory,
                                                  const Ed25519PrivateKey& directory_key);

// Verifies the signature under the pinned key, parses, and validates.
// PERMISSION_DENIED when the signature fails; INVALID_ARGUMENT when the bytes
// or the content are malformed (see ValidateDirectory).
absl::StatusOr<v1::KeyDirectory> VerifyDirectory(const v1::SignedDirectory& signed_directory,
                                                 const Ed25519PublicKey& directory_public_key);

// Content rules: epoch >= 1; unit ids non-empty, unique, [a-z0-9-]{1,64};
// counties are two-digit län codes in use (01, 03-10, 12-14, 17-25) and each
// belongs to at most one unit; adviser ids non-empty, at most 128 bytes and
// unique within a unit; keys 32 bytes; the fallback unit exists. A lower epoch
// than one seen before is the caller's check (nothing here keeps state).
absl::Status ValidateDirectory(const v1::KeyDirectory& directory);

// The unit whose catchment lists `county`, else the fallback unit.
// NOT_FOUND when neither exists.
absl::StatusOr<const v1::UnitEntry*> RouteCounty(const v1::KeyDirectory& directory,
                                                 std::string_view county);

// The unit with `unit_id`, or NOT_FOUND.
absl::StatusOr<const v1::UnitEntry*> FindUnit(const v1::KeyDirectory& directory,
                                              std::string_view unit_id);

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_DIRECTORY_H_
