// AEAD over OpenSSL EVP: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305.
//
// Ciphertexts carry the 16-byte tag appended. Stateless free functions,
// thread-safe. Used by HPKE, the envelope body, the keystore and storage's
// at-rest sealing.
#ifndef SAMRAD_CRYPTO_AEAD_H_
#define SAMRAD_CRYPTO_AEAD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace samrad::crypto {

enum class AeadAlgorithm { kAes128Gcm, kAes256Gcm, kChaCha20Poly1305 };

inline constexpr size_t kAeadTagLen = 16;
inline constexpr size_t kAeadNonceLen = 12;
size_t AeadKeyLen(AeadAlgorithm alg);  // 16 or 32

// Encrypts `plaintext` under `key` and `nonce` (12 bytes) binding `aad`.
// INVALID_ARGUMENT for a key or nonce of the wrong length.
[[nodiscard]] absl::StatusOr<std::string> AeadSeal(AeadAlgorithm alg, absl::Span<const uint8_t> key,
                                                   absl::Span<const uint8_t> nonce,
                                                   absl::Span<const uint8_t> plaintext,
                                                   absl::Span<const uint8_t> aad);

// Decrypts and authenticates. INVALID_ARGUMENT for bad lengths (including a
// ciphertext shorter than the tag); DATA_LOSS when authentication fails. On
// failure no plaintext is returned, not even partially.
[[nodiscard]] absl::StatusOr<std::string> AeadOpen(AeadAlgorithm alg, absl::Span<const uint8_t> key,
                                                   absl::Span<const uint8_t> nonce,
                                                   absl::Span<const uint8_t> ciphertext,
                                                   absl::Span<const uint8_t> aad);

// One key set up once for many seals: the keyed OpenSSL context (its key
// schedule) is kept, and each Seal only sets a new nonce. Same output as
// AeadSeal with the same key. Not thread-safe: one owner at a time (callers
// serialise). The context is freed, and OpenSSL cleanses it, on destruction.
class AeadSealer {
 public:
  // INVALID_ARGUMENT for a key of the wrong length.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AeadSealer>> Create(
      AeadAlgorithm alg, absl::Span<const uint8_t> key);
  ~AeadSealer();
  AeadSealer(const AeadSealer&) = delete;
  AeadSealer& operator=(const AeadSealer&) = delete;

  // As AeadSeal: ciphertext with the 16-byte tag appended.
  [[nodiscard]] absl::StatusOr<std::string> Seal(absl::Span<const uint8_t> nonce,
                                                 absl::Span<const uint8_t> plaintext,
                                                 absl::Span<const uint8_t> aad);

 private:
  explicit AeadSealer(void* ctx) : ctx_(ctx) {}
  void* ctx_;  // EVP_CIPHER_CTX, keyed for encryption
};

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_AEAD_H_
