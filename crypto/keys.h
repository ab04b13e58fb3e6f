// Key types: X25519 (encryption) and Ed25519 (signatures) over OpenSSL EVP.
//
// Private keys hold their bytes in SecretBytes (wiped on destruction), are
// move-only, and never expose an OpenSSL type. Public keys are plain values.
// Serialize() forms are versioned: byte 0 = format version (1), byte 1 = key
// type (1 = X25519 private, 2 = Ed25519 private), then the 32 raw bytes.
// All classes are immutable after construction and safe to share across
// threads for const use. A moved-from private key may only be destroyed or
// assigned to: Agree on it returns FAILED_PRECONDITION, Sign aborts.
#ifndef SAMRAD_CRYPTO_KEYS_H_
#define SAMRAD_CRYPTO_KEYS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace samrad::crypto {

namespace internal {
class PkeyHandle;  // an OpenSSL key, defined only inside crypto/*.cc
}  // namespace internal

inline constexpr size_t kX25519KeyLen = 32;
inline constexpr size_t kEd25519KeyLen = 32;
inline constexpr size_t kEd25519SignatureLen = 64;
inline constexpr size_t kKeyIdLen = 16;

// A 32-byte public key (X25519 or Ed25519; the type says which).
class X25519PublicKey {
 public:
  // INVALID_ARGUMENT unless exactly 32 bytes.
  [[nodiscard]] static absl::StatusOr<X25519PublicKey> FromBytes(std::string_view raw);
  const std::string& bytes() const { return raw_; }
  // SHA-256(raw)[0:16]: how envelopes name a recipient.
  std::string KeyId() const;
  bool operator==(const X25519PublicKey& o) const { return raw_ == o.raw_; }

 private:
  explicit X25519PublicKey(std::string raw) : raw_(std::move(raw)) {}
  std::string raw_;
};

class X25519PrivateKey {
 public:
  static X25519PrivateKey Generate(RandomSource& rng = SystemRandom());
  // Raw 32-byte scalar (RFC 7748). INVALID_ARGUMENT on a wrong length.
  [[nodiscard]] static absl::StatusOr<X25519PrivateKey> FromRaw(absl::Span<const uint8_t> raw);
  // Versioned form written by Serialize(). INVALID_ARGUMENT when malformed or
  // of another key type; UNIMPLEMENTED for an unknown version.
  [[nodiscard]] static absl::StatusOr<X25519PrivateKey> Deserialize(
      absl::Span<const uint8_t> bytes);

  X25519PrivateKey(X25519PrivateKey&&) noexcept = default;
  X25519PrivateKey& operator=(X25519PrivateKey&&) noexcept = default;
  X25519PrivateKey(const X25519PrivateKey&) = delete;
  X25519PrivateKey& operator=(const X25519PrivateKey&) = delete;

  const X25519PublicKey& public_key() const { return public_; }
  const SecretBytes& raw() const { return raw_; }
  SecretBytes Serialize() const;
  X25519PrivateKey Clone() const;

  // X25519(this, peer). INVALID_ARGUMENT when the result is all zero
  // (low-order peer key), as RFC 9180 and RFC 7748 §6.1 require.
  [[nodiscard]] absl::StatusOr<SecretBytes> Agree(const X25519PublicKey& peer) const;

 private:
  X25519PrivateKey(SecretBytes raw, X25519PublicKey pub,
                   std::shared_ptr<const internal::PkeyHandle> pkey)
      : raw_(std::move(raw)), public_(std::move(pub)), pkey_(std::move(pkey)) {}
  SecretBytes raw_;
  X25519PublicKey public_;
  // The parsed OpenSSL key, built once (importing recomputes the public key),
  // shared with clones; never null in a constructed key.
  std::shared_ptr<const internal::PkeyHandle> pkey_;
};

class Ed25519PublicKey {
 public:
  [[nodiscard]] static absl::StatusOr<Ed25519PublicKey> FromBytes(std::string_view raw);
  const std::string& bytes() const { return raw_; }
  std::string KeyId() const;  // SHA-256(raw)[0:16]
  // OK when `signature` is a valid Ed25519 signature of `message`;
  // PERMISSION_DENIED ("signature does not verify") otherwise, including for
  // a signature of the wrong length.
  [[nodiscard]] absl::Status Verify(std::string_view message, std::string_view signature) const;
  bool operator==(const Ed25519PublicKey& o) const { return raw_ == o.raw_; }

 private:
  explicit Ed25519PublicKey(std::string raw) : raw_(std::move(raw)) {}
  std::string raw_;
};

class Ed25519PrivateKey {
 public:
  static Ed25519PrivateKey Generate(RandomSource& rng = SystemRandom());
  // From the 32-byte RFC 8032 seed. INVALID_ARGUMENT on a wrong length.
  [[nodiscard]] static absl::StatusOr<Ed25519PrivateKey> FromSeed(absl::Span<const uint8_t> seed);
  [[nodiscard]] static absl::StatusOr<Ed25519PrivateKey> Deserialize(
      absl::Span<const uint8_t> bytes);

  Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept = default;
  Ed25519PrivateKey& operator=(Ed25519PrivateKey&&) noexcept = default;
  Ed25519PrivateKey(const Ed25519PrivateKey&) = delete;
  Ed25519PrivateKey& operator=(const Ed25519PrivateKey&) = delete;

  const Ed25519PublicKey& public_key() const { return public_; }
  SecretBytes Serialize() const;
  Ed25519PrivateKey Clone() const;
  // 64-byte signature. Ed25519 is deterministic.
  std::string Sign(std::string_view message) const;

 private:
  Ed25519PrivateKey(SecretBytes seed, Ed25519PublicKey pub,
                    std::shared_ptr<const internal::PkeyHandle> pkey)
      : seed_(std::move(seed)), public_(std::move(pub)), pkey_(std::move(pkey)) {}
  SecretBytes seed_;
  Ed25519PublicKey public_;
  std::shared_ptr<const internal::PkeyHandle> pkey_;  // as in X25519PrivateKey
};

// SHA-256 of `data` (32 bytes).
std::string Sha256(std::string_view data);

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_KEYS_H_
