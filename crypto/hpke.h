// HPKE, RFC 9180, for the suites DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 with
// AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 or export-only, in all four
// modes (base, psk, auth, auth_psk), on OpenSSL 3.0 EVP.
//
// Byte strings are passed as std::string_view (any bytes, not text) and
// returned as std::string, or as SecretBytes when they are secret.
//
// Randomness: every public sender function draws its ephemeral key from a
// RandomSource and calls the `...WithEphemeral` variant, which is
// deterministic and is what the RFC 9180 vectors drive.
//
// Input limits: `info`, `psk`, `psk_id`, an exporter context and a
// DeriveKeyPair `ikm` are at most kMaxInputLen bytes (RFC 9180 §7.2.1 allows
// more; nothing here needs it). A PSK is at least 32 bytes (§5.1.2) and comes
// with a non-empty psk_id; base and auth modes take neither. Auth modes need
// the sender's key (sender side) or its public key (receiver side); base and
// psk modes refuse one. Any violation is INVALID_ARGUMENT, as is an `enc` that
// is not 32 bytes or an all-zero X25519 result (low-order key).
//
// Thread-safety: free functions are thread-safe and keep no shared state (each
// thread remembers the key_schedule_context, a function of public inputs, of
// its last setup). A context is a value with a sequence number: use one from
// one thread at a time. Single-shot Seal/Open derive no exporter secret.
//
// Example (base mode, AES-256-GCM, the defaults):
//   hpke::SenderOptions to;
//   to.info = "app-v1";
//   absl::StatusOr<hpke::Sealed> sealed = hpke::Seal(to, recipient.public_key(), aad, pt);
//   hpke::ReceiverOptions from;
//   from.info = "app-v1";
//   absl::StatusOr<std::string> opened =
//       hpke::Open(from, recipient, sealed->enc, aad, sealed->ciphertext);
#ifndef SAMRAD_CRYPTO_HPKE_H_
#define SAMRAD_CRYPTO_HPKE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "crypto/aead.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace samrad::crypto::hpke {

// RFC 9180 §5: mode identifiers.
enum class Mode : uint8_t { kBase = 0x00, kPsk = 0x01, kAuth = 0x02, kAuthPsk = 0x03 };

// RFC 9180 §7.3: AEAD identifiers.
enum class AeadId : uint16_t {
  kAes128Gcm = 0x0001,
  kAes256Gcm = 0x0002,
  kChaCha20Poly1305 = 0x0003,
  kExportOnly = 0xFFFF,
};

inline constexpr uint16_t kKemX25519HkdfSha256 = 0x0020;
inline constexpr uint16_t kKdfHkdfSha256 = 0x0001;
inline constexpr size_t kEncLen = 32;           // Nenc
inline constexpr size_t kSharedSecretLen = 32;  // Nsecret
inline constexpr size_t kMaxInputLen = 64 * 1024;
inline constexpr size_t kMinPskLen = 32;

// INVALID_ARGUMENT for an identifier this implementation does not support.
[[nodiscard]] absl::StatusOr<Mode> ModeFromId(uint64_t id);
[[nodiscard]] absl::StatusOr<AeadId> AeadIdFromId(uint64_t id);

// RFC 9180 §7.1.3 DeriveKeyPair for X25519. INVALID_ARGUMENT when `ikm` is
// shorter than 32 bytes or longer than kMaxInputLen.
[[nodiscard]] absl::StatusOr<X25519PrivateKey> DeriveKeyPair(std::string_view ikm);

// How a sender sets up: suite, mode and the mode's inputs. Pointers are not
// owned and must outlive the call.
struct SenderOptions {
  AeadId aead = AeadId::kAes256Gcm;
  Mode mode = Mode::kBase;
  std::string_view info;
  std::string_view psk;                          // kPsk, kAuthPsk
  std::string_view psk_id;                       // kPsk, kAuthPsk
  const X25519PrivateKey* sender_key = nullptr;  // kAuth, kAuthPsk
};

// The receiver's counterpart of SenderOptions.
struct ReceiverOptions {
  AeadId aead = AeadId::kAes256Gcm;
  Mode mode = Mode::kBase;
  std::string_view info;
  std::string_view psk;
  std::string_view psk_id;
  const X25519PublicKey* sender_public_key = nullptr;  // kAuth, kAuthPsk
};

// ---- Building blocks (RFC 9180 §4.1, §5.1), exposed for the vectors ----

struct Encapsulation {
  SecretBytes shared_secret;  // 32 bytes
  std::string enc;            // 32 bytes: the ephemeral public key
};

// Encap / AuthEncap with a given ephemeral key (`sender_key` null: Encap).
[[nodiscard]] absl::StatusOr<Encapsulation> EncapWithEphemeral(const X25519PublicKey& recipient,
                                                               const X25519PrivateKey& ephemeral,
                                                               const X25519PrivateKey* sender_key);
// Decap / AuthDecap (`sender_public_key` null: Decap).
[[nodiscard]] absl::StatusOr<SecretBytes> Decap(std::string_view enc,
                                                const X25519PrivateKey& recipient,
                                                const X25519PublicKey* sender_public_key);

// The outputs of KeySchedule (RFC 9180 §5.1). For export-only, `key` and
// `base_nonce` are empty.
struct KeySchedule {
  std::string key_schedule_context;
  SecretBytes secret;
  SecretBytes key;
  SecretBytes base_nonce;
  SecretBytes exporter_secret;
};

// Checks the mode's PSK inputs and derives the schedule. INVALID_ARGUMENT on
// a PSK rule or length violation (see the file comment).
[[nodiscard]] absl::StatusOr<KeySchedule> DeriveKeySchedule(AeadId aead, Mode mode,
                                                            const SecretBytes& shared_secret,
                                                            std::string_view info,
                                                            std::string_view psk,
                                                            std::string_view psk_id);

// ---- Contexts (RFC 9180 §5.2, §5.3) ----

// State shared by both directions: keys, base nonce, exporter secret and the
// sequence number. Move-only; secrets are wiped on destruction.
class Context {
 public:
  Context(Context&&) noexcept = default;
  Context& operator=(Context&&) noexcept = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // RFC 9180 §5.3 Export. INVALID_ARGUMENT when `length` is 0 or above
  // 255 * 32, or the context is longer than kMaxInputLen.
  [[nodiscard]] absl::StatusOr<SecretBytes> Export(std::string_view exporter_context,
                                                   size_t length) const;

  AeadId aead() const { return aead_; }
  // The sequence number the next Seal/Open uses.
  uint64_t sequence() const { return sequence_; }
  // Tests only: jump to `sequence` to exercise the overflow check.
  void SetSequenceForTesting(uint64_t sequence) { sequence_ = sequence; }

 protected:
  explicit Context(AeadId aead, KeySchedule schedule);
  // The nonce for the current sequence number, or RESOURCE_EXHAUSTED when
  // the sequence number space is used up (FAILED_PRECONDITION for an
  // export-only context).
  [[nodiscard]] absl::StatusOr<SecretBytes> CurrentNonce() const;
  [[nodiscard]] absl::Status IncrementSequence();

  AeadId aead_;
  SecretBytes key_;
  SecretBytes base_nonce_;
  SecretBytes exporter_secret_;
  // Kept as 64 bits: the RFC allows 2^96 - 1 messages, this allows 2^64 - 1,
  // which no caller reaches; the limit is enforced, never wrapped.
  uint64_t sequence_ = 0;
};

class SenderContext : public Context {
 public:
  // Encrypts at the current sequence number, then advances it. Returns the
  // ciphertext with the 16-byte tag. FAILED_PRECONDITION for export-only;
  // RESOURCE_EXHAUSTED when the sequence number would overflow (the context
  // is then unusable for sealing).
  [[nodiscard]] absl::StatusOr<std::string> Seal(std::string_view aad, std::string_view plaintext);

 private:
  friend SenderContext MakeSenderContext(AeadId, KeySchedule);
  SenderContext(AeadId aead, KeySchedule schedule) : Context(aead, std::move(schedule)) {}
};

class ReceiverContext : public Context {
 public:
  // Decrypts at the current sequence number and advances it on success only.
  // DATA_LOSS when authentication fails (nothing returned); INVALID_ARGUMENT
  // when shorter than the tag; FAILED_PRECONDITION for export-only;
  // RESOURCE_EXHAUSTED at sequence overflow.
  [[nodiscard]] absl::StatusOr<std::string> Open(std::string_view aad, std::string_view ciphertext);

 private:
  friend ReceiverContext MakeReceiverContext(AeadId, KeySchedule);
  ReceiverContext(AeadId aead, KeySchedule schedule) : Context(aead, std::move(schedule)) {}
};

struct SenderSetup {
  std::string enc;  // send this to the recipient
  SenderContext context;
};

// RFC 9180 §5.1 SetupBaseS/SetupPSKS/SetupAuthS/SetupAuthPSKS, by options.mode.
[[nodiscard]] absl::StatusOr<SenderSetup> SetupSender(const SenderOptions& options,
                                                      const X25519PublicKey& recipient,
                                                      RandomSource& rng = SystemRandom());
[[nodiscard]] absl::StatusOr<SenderSetup> SetupSenderWithEphemeral(
    const SenderOptions& options, const X25519PublicKey& recipient,
    const X25519PrivateKey& ephemeral);
// SetupBaseR/SetupPSKR/SetupAuthR/SetupAuthPSKR, by options.mode.
[[nodiscard]] absl::StatusOr<ReceiverContext> SetupReceiver(const ReceiverOptions& options,
                                                            std::string_view enc,
                                                            const X25519PrivateKey& recipient);

// ---- Single-shot APIs (RFC 9180 §6) ----

struct Sealed {
  std::string enc;
  std::string ciphertext;  // with the 16-byte tag
};

[[nodiscard]] absl::StatusOr<Sealed> Seal(const SenderOptions& options,
                                          const X25519PublicKey& recipient, std::string_view aad,
                                          std::string_view plaintext,
                                          RandomSource& rng = SystemRandom());
[[nodiscard]] absl::StatusOr<Sealed> SealWithEphemeral(const SenderOptions& options,
                                                       const X25519PublicKey& recipient,
                                                       std::string_view aad,
                                                       std::string_view plaintext,
                                                       const X25519PrivateKey& ephemeral);
// DATA_LOSS when the ciphertext, enc, aad, info, psk or sender key differ.
[[nodiscard]] absl::StatusOr<std::string> Open(const ReceiverOptions& options,
                                               const X25519PrivateKey& recipient,
                                               std::string_view enc, std::string_view aad,
                                               std::string_view ciphertext);

struct SentExport {
  std::string enc;
  SecretBytes secret;
};
[[nodiscard]] absl::StatusOr<SentExport> SendExport(const SenderOptions& options,
                                                    const X25519PublicKey& recipient,
                                                    std::string_view exporter_context,
                                                    size_t length,
                                                    RandomSource& rng = SystemRandom());
[[nodiscard]] absl::StatusOr<SecretBytes> ReceiveExport(const ReceiverOptions& options,
                                                        const X25519PrivateKey& recipient,
                                                        std::string_view enc,
                                                        std::string_view exporter_context,
                                                        size_t length);

}  // namespace samrad::crypto::hpke

#endif  // SAMRAD_CRYPTO_HPKE_H_
