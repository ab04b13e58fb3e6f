// HKDF-SHA256 (RFC 5869): extract, expand and both, built on OpenSSL's
// EVP_MAC HMAC-SHA256 (hkdf.cc says why not EVP_KDF). Stateless, thread-safe.
// Used by HPKE and checked against Wycheproof.
#ifndef SAMRAD_CRYPTO_HKDF_H_
#define SAMRAD_CRYPTO_HKDF_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/secret_bytes.h"

namespace samrad::crypto {

inline constexpr size_t kSha256Len = 32;
// RFC 5869 §2.3: L <= 255 * HashLen.
inline constexpr size_t kHkdfSha256MaxOutputLen = 255 * kSha256Len;

// PRK = HMAC-SHA256(salt, ikm); an empty salt means HashLen zero bytes.
// Returns 32 bytes. INTERNAL only if OpenSSL fails; any lengths are fine.
[[nodiscard]] absl::StatusOr<SecretBytes> HkdfSha256Extract(absl::Span<const uint8_t> salt,
                                                            absl::Span<const uint8_t> ikm);

// OKM = T(1) || T(2) || ... truncated to `length` bytes. INVALID_ARGUMENT when
// `prk` is shorter than 32 bytes, or `length` is 0 or above
// kHkdfSha256MaxOutputLen.
[[nodiscard]] absl::StatusOr<SecretBytes> HkdfSha256Expand(absl::Span<const uint8_t> prk,
                                                           absl::Span<const uint8_t> info,
                                                           size_t length);

// Expand(Extract(salt, ikm), info, length), with the same errors.
[[nodiscard]] absl::StatusOr<SecretBytes> HkdfSha256(absl::Span<const uint8_t> salt,
                                                     absl::Span<const uint8_t> ikm,
                                                     absl::Span<const uint8_t> info, size_t length);

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_HKDF_H_
