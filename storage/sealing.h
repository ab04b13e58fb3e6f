// At-rest sealing of store values (internal to samrad_storage).
//
// Every value is AES-256-GCM under a data key (DEK) of some generation:
//   sealed = 0x01 | generation (u32 BE) | nonce (12) | ciphertext+tag
//   AAD    = "samrad-at-rest-v1" 0x00 cf_name 0x00 generation(u32 BE) key
// so a value moved to another key, column family or generation fails to
// authenticate. DEKs are stored in meta wrapped by the KEK:
//   wrapped = 0x01 | nonce (12) | AES-256-GCM(KEK, dek)
//   AAD     = "samrad-dek-wrap-v1" 0x00 "meta" 0x00 meta_key
#ifndef SAMRAD_STORAGE_SEALING_H_
#define SAMRAD_STORAGE_SEALING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
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
  // std::shared_mutex rather than absl::Mutex: the system Abseil is not built
  // with ThreadSanitizer, pthread locks are intercepted by it.
  mutable std::shared_mutex mu_;
  std::map<uint32_t, crypto::SecretBytes> deks_;  // guarded by mu_
  uint32_t current_ = 0;                          // guarded by mu_
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_SEALING_H_
