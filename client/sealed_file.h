// Passphrase-sealed files: the keystore and the admin's directory key file.
//
// Format (all integers big-endian), version 1:
//   0  magic (8 bytes, names the file's purpose, e.g. "SAMRADKS")
//   8  u8 format version (1), u8 KDF (1 = Argon2id), u16 reserved (0)
//   12 u32 Argon2 time cost, u32 memory cost in KiB, u32 parallelism
//   24 salt (16 bytes)
//   40 passphrase check (32 bytes): the second half of the Argon2id output
//   72 header digest (16 bytes): SHA-256(bytes 0..71)[0:16]
//   88 nonce (12 bytes)
//   100 u32 ciphertext length
//   104 AES-256-GCM ciphertext with tag; AAD = bytes 0..103
// The first 32 bytes of the 64-byte Argon2id output are the AES key. The
// check value tells a wrong passphrase from a damaged body, and the header
// digest tells it from a damaged header (salt, parameters, check); neither
// reveals anything the GCM tag would not.
//
// Stateless; thread-safe.
#ifndef SAMRAD_CLIENT_SEALED_FILE_H_
#define SAMRAD_CLIENT_SEALED_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace samrad::client {

// Argon2id cost. Defaults follow RFC 9106's second recommended option scaled
// to one lane: 3 passes over 64 MiB (about a quarter second on a laptop).
struct Argon2Params {
  uint32_t time_cost = 3;
  uint32_t memory_kib = 64 * 1024;
  uint32_t parallelism = 1;
};

// Bounds a header may carry (a damaged header must not make us allocate
// terabytes): time 1..64, memory 8*parallelism..2 GiB, parallelism 1..16.
[[nodiscard]] absl::Status ValidateArgon2Params(const Argon2Params& params);

inline constexpr size_t kSealedMagicLen = 8;
inline constexpr size_t kSealedHeaderLen = 104;

// Seals `plaintext` under `passphrase`. `magic` must be 8 bytes.
// INVALID_ARGUMENT for bad params or an empty passphrase.
[[nodiscard]] absl::StatusOr<std::string> SealWithPassphrase(
    absl::string_view magic, absl::string_view plaintext, const crypto::SecretBytes& passphrase,
    const Argon2Params& params, crypto::RandomSource& rng = crypto::SystemRandom());

// Opens a sealed file's bytes.
//   DATA_LOSS        wrong magic, unknown version, truncated or extended file,
//                    header out of bounds, or the ciphertext fails
//                    authentication (damaged) — nothing is returned
//   UNAUTHENTICATED  the passphrase is wrong
// The plaintext is returned in SecretBytes.
[[nodiscard]] absl::StatusOr<crypto::SecretBytes> OpenWithPassphrase(
    absl::string_view magic, absl::string_view file_bytes, const crypto::SecretBytes& passphrase);

// The key that opens one sealed file and seals its next versions: the
// 64-byte Argon2id output (AES key || passphrase check) with the salt and
// parameters it was derived under. Resealing under the same SealingKey keeps
// salt and check and draws a fresh random nonce, so only deriving a key runs
// Argon2id (AES-256-GCM with random 96-bit nonces stays far below its 2^32
// messages per key limit for a file saved by hand). Move-only; the material
// wipes itself.
struct SealingKey {
  crypto::SecretBytes material;  // 64 bytes
  std::string salt;              // 16 bytes
  Argon2Params params;
  SealingKey Clone() const { return {material.Clone(), salt, params}; }
};
inline constexpr size_t kSealingKeyMaterialLen = 64;

// A key under a fresh random salt (one Argon2id run), for a new file or a
// new passphrase. INVALID_ARGUMENT for bad params or an empty passphrase.
[[nodiscard]] absl::StatusOr<SealingKey> NewSealingKey(
    const crypto::SecretBytes& passphrase, const Argon2Params& params,
    crypto::RandomSource& rng = crypto::SystemRandom());

// The key of an existing sealed file (one Argon2id run): DATA_LOSS for a
// malformed header, UNAUTHENTICATED when the passphrase is wrong.
[[nodiscard]] absl::StatusOr<SealingKey> DeriveSealingKey(absl::string_view magic,
                                                          absl::string_view file_bytes,
                                                          const crypto::SecretBytes& passphrase);

// The key made of `material` (64 bytes, e.g. from the agent) and the salt and
// parameters in `file_bytes`'s header: UNAUTHENTICATED when the material's
// check half does not match the header (another passphrase), DATA_LOSS for a
// malformed header, INVALID_ARGUMENT for material of the wrong size.
[[nodiscard]] absl::StatusOr<SealingKey> SealingKeyForFile(absl::string_view magic,
                                                           absl::string_view file_bytes,
                                                           crypto::SecretBytes material);

// Seals under `key` (no Argon2id run). Same errors as SealWithPassphrase.
[[nodiscard]] absl::StatusOr<std::string> SealWithKey(
    absl::string_view magic, absl::string_view plaintext, const SealingKey& key,
    crypto::RandomSource& rng = crypto::SystemRandom());

// OK when `key` is the key of `file_bytes` (same salt, parameters and
// check; constant-time), UNAUTHENTICATED when not, DATA_LOSS for a malformed
// header. Neither runs Argon2id nor decrypts.
[[nodiscard]] absl::Status CheckSealingKey(absl::string_view magic, absl::string_view file_bytes,
                                           const SealingKey& key);

// Opens with `key` (no Argon2id run): UNAUTHENTICATED when the key is not
// this file's (salt, parameters or check differ), DATA_LOSS as
// OpenWithPassphrase.
[[nodiscard]] absl::StatusOr<crypto::SecretBytes> OpenWithKey(absl::string_view magic,
                                                              absl::string_view file_bytes,
                                                              const SealingKey& key);

// The Argon2 parameters recorded in a sealed file's header (DATA_LOSS when
// the header is malformed).
[[nodiscard]] absl::StatusOr<Argon2Params> ReadSealedParams(absl::string_view magic,
                                                            absl::string_view file_bytes);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_SEALED_FILE_H_
