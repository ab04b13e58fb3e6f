// The end-to-end envelope (DESIGN.md "Message format"; wire form in
// proto/envelope.proto).
//
// Version 2. Seal: a random 32-byte content key encrypts the serialised
// EnvelopeBody with AES-256-GCM under a random 12-byte nonce; the AAD is
// EnvelopeAad(context) below. The content key is wrapped to each recipient
// with HPKE base mode (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM),
// info = "samrad-wrap-v2" and aad = SHA-256(EnvelopeAad(context)). The header
// commits to the content key with HMAC-SHA256(key, "samrad-key-commitment-v2")
// and names the previous message of the thread by its EnvelopeChainHash. The
// sender signs "samrad-envelope-v2" || u32be(len(header)) || header ||
// ciphertext.
//
// Open verifies the signature first, then the header against the expected
// context, and only then unwraps, checks the key commitment (constant time)
// and decrypts. Version 1 envelopes are refused with a message that names
// the version. Functions are stateless and thread-safe.
#ifndef SAMRAD_CRYPTO_ENVELOPE_H_
#define SAMRAD_CRYPTO_ENVELOPE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "proto/envelope.pb.h"

namespace samrad::crypto {

// Limits on what ParseEnvelope accepts.
inline constexpr size_t kMaxEnvelopeBytes = 2 * 1024 * 1024;
inline constexpr size_t kMaxRecipients = 256;
// Lengths of EnvelopeHeader.previous_envelope_hash and .key_commitment.
inline constexpr size_t kEnvelopeHashLen = 32;
inline constexpr size_t kKeyCommitmentLen = 32;

// What the AAD binds. All fields are checked by OpenEnvelope, except that an
// empty `unit`, a zero `directory_epoch` or an empty `previous_envelope_hash`
// in the *expected* context means "accept the one in the header" (a reader
// after a referral or rotation; a reader that checks the chain itself).
struct EnvelopeContext {
  std::string thread_id;
  std::string message_id;
  uint64_t sequence = 0;
  v1::SenderRole sender_role = v1::SENDER_ROLE_UNSPECIFIED;
  std::string unit;
  uint64_t directory_epoch = 0;
  // EnvelopeChainHash of message sequence - 1; empty for sequence 1.
  std::string previous_envelope_hash;
};

// Canonical AAD bytes for `context` (length-prefixed fields, "samrad-aad-v2"):
//   "samrad-aad-v2" || lp(thread_id) || lp(message_id) || u64be(sequence) ||
//   u32be(sender_role) || lp(unit) || u64be(directory_epoch) ||
//   lp(previous_envelope_hash)
// where lp(x) = u32be(len(x)) || x.
std::string EnvelopeAad(const EnvelopeContext& context);

// A parsed but not yet verified envelope.
struct ParsedEnvelope {
  v1::SealedEnvelope sealed;
  v1::EnvelopeHeader header;
  EnvelopeContext context() const;  // the context the header claims
};

// The bytes an envelope signature covers:
//   "samrad-envelope-v2" || u32be(len(header)) || header || ciphertext.
std::string EnvelopeSignedBytes(std::string_view header, std::string_view ciphertext);

// The link the next message of a thread names (EnvelopeHeader.
// previous_envelope_hash): SHA-256("samrad-chain-v2" || the signed bytes
// "samrad-envelope-v2" || u32be(len(header)) || header || ciphertext). It
// does not depend on how the relay re-encodes the SealedEnvelope.
std::string EnvelopeChainHash(const ParsedEnvelope& envelope);

// Seals `body` for `recipients` (at least one; duplicates removed) and signs
// with `signer`. INVALID_ARGUMENT for an empty recipient list, more than
// kMaxRecipients, a low-order recipient key, a result above kMaxEnvelopeBytes,
// or a malformed context: thread and message ids must be 32 lowercase hex
// characters, sequence >= 1, the role professional or adviser, the unit
// [a-z0-9-]{1,64}, and a previous hash that is empty for sequence 1 and 32
// bytes otherwise. Returns the serialised SealedEnvelope.
[[nodiscard]] absl::StatusOr<std::string> SealEnvelope(const EnvelopeContext& context,
                                                       const v1::EnvelopeBody& body,
                                                       absl::Span<const X25519PublicKey> recipients,
                                                       const Ed25519PrivateKey& signer,
                                                       RandomSource& rng = SystemRandom());

// Parses the wire bytes and the embedded header. INVALID_ARGUMENT when
// malformed, oversized, of another version than 2, or with fields of wrong
// length (including a chain link that does not fit the sequence).
[[nodiscard]] absl::StatusOr<ParsedEnvelope> ParseEnvelope(std::string_view bytes);

// PERMISSION_DENIED when the signature does not verify under `signer`.
[[nodiscard]] absl::Status VerifyEnvelopeSignature(const ParsedEnvelope& envelope,
                                                   const Ed25519PublicKey& signer);

// Opens an envelope addressed to `recipient`. Checks, in order, and reports
// the first that fails:
//   PERMISSION_DENIED   the signature does not verify under `signer`
//   FAILED_PRECONDITION the header does not match `expected` (moved to another
//                       thread, message, sequence, role, unit or epoch)
//   NOT_FOUND           `recipient` is not among the header's recipients nor
//                       `extra_recipients` (re-wraps after a referral)
//   DATA_LOSS           the key wrap fails authentication, the unwrapped key is
//                       not the one the header commits to, or the body fails
//                       authentication
// Never returns partial plaintext.
[[nodiscard]] absl::StatusOr<v1::EnvelopeBody> OpenEnvelope(
    const ParsedEnvelope& envelope, const EnvelopeContext& expected, const Ed25519PublicKey& signer,
    const X25519PrivateKey& recipient, absl::Span<const v1::WrappedKey> extra_recipients = {});

// For a referral: recovers the content key with `recipient` (checks as
// OpenEnvelope, but without a signature check, which the caller has done) and
// wraps it to `new_recipients` with the same HPKE parameters.
[[nodiscard]] absl::StatusOr<std::vector<v1::WrappedKey>> RewrapContentKey(
    const ParsedEnvelope& envelope, const X25519PrivateKey& recipient,
    absl::Span<const v1::WrappedKey> extra_recipients,
    absl::Span<const X25519PublicKey> new_recipients, RandomSource& rng = SystemRandom());

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_ENVELOPE_H_
