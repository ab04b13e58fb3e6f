// At-rest sealing of store values (internal to samrad_storage).
//
// Every value is AES-256-GCM under a data key (DEK) of some generation:
//   sealed = 0x01 | generation (u32 BE) | nonce (12) | ciphertext+tag
//   AAD    = "samrad-at-rest-v1" 0x00 cf_name 0x00 generation(u32 BE) key
// so a value moved to another key, column family or generation fails to
// authenticate. DEKs are stored in meta wrapped by the KEK:
//   wrapped = 0x01 | nonce (12) | AES-256-GCM(KEK, dek)
//   AAD     = "samrad-dek-wrap-v1" 0x00 "meta" 0x00 meta_key
// Value nonces (NIST SP 800-38D 8.2.1, deterministic construction): per DEK, a
// 64-bit field drawn at random when the keyring first seals under it (and
// again every 2^32 seals) followed by a 32-bit counter. Unique within a
// process by the counter; across restarts two draws collide with
// probability n^2 / 2^65 for n draws, far below the bound of random 96-bit
// nonces, without a random draw per value.
#ifndef SAMRAD_STORAGE_SEALING_H_
#define SAMRAD_STORAGE_SEALING_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "crypto/aead.h"
#include "crypto/aead_opener.h"
#include "crypto/secret_bytes.h"

namespace samrad::storage {

inline constexpr uint8_t kSealedFormatVersion = 1;
inline constexpr size_t kSealedHeaderLen = 1 + 4 + 12;
inline constexpr size_t kDekLen = 32;

// The generation a sealed value names; nullopt when the header is malformed.
std::optional<uint32_t> SealedGeneration(std::string_view sealed);

// Wraps / unwraps a DEK of `generation` under `kek`. UnwrapDek returns
// FAILED_PRECONDITION ("wrong KEK ...") when authentication fails and
// DATA_LOSS when the wrapped form is malformed.
absl::StatusOr<std::string> WrapDek(const crypto::SecretBytes& kek, uint32_t generation,
                                    const crypto::SecretBytes& dek);
absl::StatusOr<crypto::SecretBytes> UnwrapDek(const crypto::SecretBytes& kek, uint32_t generation,
                                              std::string_view wrapped);

// The set of DEKs a store holds, and the current one new values use.
// Thread-safe. DEKs stay in memory until destruction, so a reader holding a
// value of a retired generation can still open it.
class Keyring {
 public:
  Keyring() = default;
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // Adds (or replaces) generation `generation`; makes it current when it is
  // the highest.
  void Add(uint32_t generation, crypto::SecretBytes dek);
  uint32_t current_generation() const;
  std::vector<uint32_t> generations() const;
  // A copy of the DEK of `generation` (for re-wrapping). INTERNAL if missing.
  absl::StatusOr<crypto::SecretBytes> CloneDek(uint32_t generation) const;

  // Seals under the current DEK (or `generation`). INTERNAL if missing.
  absl::StatusOr<std::string> Seal(std::string_view cf, std::string_view key,
                                   std::string_view plaintext) const;
  absl::StatusOr<std::string> SealWith(uint32_t generation, std::string_view cf,
                                       std::string_view key, std::string_view plaintext) const;
  // Opens a sealed value stored at (cf, key). DATA_LOSS when it is malformed,
  // names an unknown generation or fails authentication; the message names
  // the column family (never the content).
  absl::StatusOr<std::string> Open(std::string_view cf, std::string_view key,
                                   std::string_view sealed) const;

 private:
  // std::shared_mutex (common/mutex.h) rather than absl::Mutex: the system
  // Abseil is not built with ThreadSanitizer, pthread locks are intercepted by it.
  mutable SharedMutex mu_;
  std::map<uint32_t, crypto::SecretBytes> deks_ ABSL_GUARDED_BY(mu_);
  uint32_t current_ ABSL_GUARDED_BY(mu_) = 0;

  // The sealing side of one DEK: its keyed AES-256-GCM context and nonce
  // state, made on first use. Seals under one DEK are serialised by `mu`.
  struct Sealer {
    Mutex mu;
    std::unique_ptr<crypto::AeadSealer> aead ABSL_GUARDED_BY(mu);
    uint64_t fixed_field ABSL_GUARDED_BY(mu) = 0;
    uint64_t counter ABSL_GUARDED_BY(mu) = 0;  // < 2^32
  };
  absl::StatusOr<std::shared_ptr<Sealer>> SealerFor(uint32_t generation) const;
  mutable std::map<uint32_t, std::shared_ptr<Sealer>> sealers_ ABSL_GUARDED_BY(mu_);
};

// Opens sealed values as Keyring::Open does (same results, same errors) with
// a keyed AES-256-GCM context per DEK generation, made on first use, and
// reusable output buffers: for long scans (fsck). Not thread-safe: one per
// thread. The keyring must outlive it.
class ValueOpener {
 public:
  explicit ValueOpener(const Keyring& keyring) : keyring_(keyring) {}

  // The plaintext of the value sealed at (cf, key), valid until the next
  // call; DATA_LOSS as Keyring::Open.
  absl::StatusOr<std::string_view> Open(std::string_view cf, std::string_view key,
                                        std::string_view sealed);

 private:
  const Keyring& keyring_;
  std::map<uint32_t, std::unique_ptr<crypto::AeadOpener>> openers_;
  std::string aad_;
  std::string plaintext_;
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_SEALING_H_
