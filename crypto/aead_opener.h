// AeadOpener: the decrypting counterpart of AeadSealer (aead.h), for long
// scans such as fsck. Implemented in aead.cc beside the other AEAD code; a
// header of its own so that the many includers of aead.h do not depend on it.
#ifndef SAMRAD_CRYPTO_AEAD_OPENER_H_
#define SAMRAD_CRYPTO_AEAD_OPENER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/aead.h"

namespace samrad::crypto {

// The keyed context is kept and each Open only sets a new nonce. Same result as
// AeadOpen with the same key. Not thread-safe: one owner at a time.
class AeadOpener {
 public:
  // INVALID_ARGUMENT for a key of the wrong length.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AeadOpener>> Create(
      AeadAlgorithm alg, absl::Span<const uint8_t> key);
  ~AeadOpener();
  AeadOpener(const AeadOpener&) = delete;
  AeadOpener& operator=(const AeadOpener&) = delete;

  // As AeadOpen, into `plaintext` (its capacity is reused). On failure
  // `plaintext` is wiped and emptied.
  [[nodiscard]] absl::Status Open(absl::Span<const uint8_t> nonce,
                                  absl::Span<const uint8_t> ciphertext,
                                  absl::Span<const uint8_t> aad, std::string& plaintext);

 private:
  explicit AeadOpener(void* ctx) : ctx_(ctx) {}
  void* ctx_;  // EVP_CIPHER_CTX, keyed for decryption
};

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_AEAD_OPENER_H_
