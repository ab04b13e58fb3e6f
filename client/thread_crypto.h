// Sealing and opening the messages of a thread for the two roles, on top of
// crypto/envelope.h: who the recipients are, which key signed a message, and
// reading a whole thread into verified, decrypted messages.
//
// Stateless functions; thread-safe.
#ifndef SAMRAD_CLIENT_THREAD_CRYPTO_H_
#define SAMRAD_CLIENT_THREAD_CRYPTO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "crypto/ownership_proof.h"
#include "proto/client.pb.h"
#include "proto/directory.pb.h"
#include "proto/relay.pb.h"

namespace samrad::client {

// The X25519 keys of every adviser of `unit`. FAILED_PRECONDITION (tagged
// kDirectory) when the unit lists no adviser: nobody could read the message.
[[nodiscard]] absl::StatusOr<std::vector<crypto::X25519PublicKey>> UnitRecipients(
    const v1::UnitEntry& unit);

// An adviser signing key, with whose it is.
struct SignerInfo {
  crypto::Ed25519PublicKey key;
  std::string adviser_id;
  std::string unit;
};

// The adviser key whose key id is `sender_key_id`, trusted only for a unit in
// `allowed_units` (the thread's signed unit chain):
//   - a key the current directory lists for an adviser of an allowed unit;
//   - a key remembered from an earlier directory whose adviser the current
//     directory still lists in an allowed unit (a rotated key).
// PERMISSION_DENIED, with a message that says which, for a key the directory
// revokes, a key of an adviser of another unit, and a key no longer in the
// directory (its adviser was removed); NOT_FOUND for a key never seen.
[[nodiscard]] absl::StatusOr<SignerInfo> FindAdviserSigner(
    const v1::KeyDirectory& directory, const v1::KeystoreContents& keystore,
    absl::string_view sender_key_id, const std::vector<std::string>& allowed_units);

// One message of a thread after verification and decryption.
struct OpenedMessage {
  uint64_t sequence = 0;
  v1::SenderRole role = v1::SENDER_ROLE_UNSPECIFIED;
  std::string adviser_id;  // adviser messages: from the verified signer
  std::string unit;        // adviser messages: the signer's unit
  int64_t accepted_at_unix_ms = 0;
  // OK when verified and decrypted; otherwise why not (the text is empty).
  absl::Status status;
  v1::EnvelopeBody body;
};

// The keys a reader brings.
struct ReaderKeys {
  // Professional: the thread's keys (both set).
  const crypto::X25519PrivateKey* reply_key = nullptr;
  std::optional<crypto::Ed25519PublicKey> thread_signing_key;
  // Adviser: every adviser key pair in the keystore (any epoch).
  std::vector<const crypto::X25519PrivateKey*> adviser_keys;
};

// What a reader has verified of a thread so far, carried from one read to the
// next (a whole `show`, or message after message in `watch`).
struct ThreadChainState {
  uint64_t last_sequence = 0;   // the highest sequence processed
  std::string last_chain_hash;  // its EnvelopeChainHash; empty when unknown
  // The signed unit chain: message 1's header unit, then every verified
  // referral's target. back() is the unit the case is with.
  std::vector<std::string> units;
  // False once a message that could carry a referral could not be read, so
  // `units` may be out of date.
  bool units_complete = true;
  std::optional<crypto::Ed25519PublicKey> thread_signing_key;
};

// A break in the thread the relay delivered: sequences [first, last] are
// missing (withheld, or cut off the end), or message `first` does not name
// the message before it (replaced).
struct ChainProblem {
  enum class Kind { kMissing, kReplaced };
  Kind kind = Kind::kMissing;
  uint64_t first = 0;
  uint64_t last = 0;
};

// Verifies and decrypts the messages of `view` after `state` (from a fresh
// state: the whole thread), in sequence order, and advances `state`.
//   - A professional's messages verify under the thread signing key; an
//     adviser's only under a key FindAdviserSigner accepts for the units of
//     the signed chain so far. For an adviser reader without the thread key,
//     message 1 is opened first and its body's thread keys are then used (its
//     own signature is checked under the key it carries first).
//   - Every message after the first must name its predecessor's chain hash,
//     carry the unit the case was with (a referral note: the unit it refers
//     to), and a referral must come from an adviser of that unit.
// A message that fails gets a non-OK status (IsIntegrityFailure tells whether
// it points at tampering); the others are still returned. Gaps, a cut-off end
// (view.summary().message_count above the last delivered sequence) and broken
// links are listed in `problems`. The reply key is message 1's (empty when it
// was not in `view` or could not be opened); its thread signing key goes to
// `state.thread_signing_key`.
struct OpenedThread {
  std::vector<OpenedMessage> messages;
  std::vector<ChainProblem> problems;
  std::string thread_reply_public_key;  // X25519, from message 1
};
OpenedThread OpenThread(const v1::ThreadView& view, const v1::KeyDirectory& directory,
                        const v1::KeystoreContents& keystore, const ReaderKeys& keys,
                        ThreadChainState& state);
// The same from a fresh state; `state_out`, when given, receives the end state.
OpenedThread OpenThread(const v1::ThreadView& view, const v1::KeyDirectory& directory,
                        const v1::KeystoreContents& keystore, const ReaderKeys& keys,
                        ThreadChainState* state_out = nullptr);

// Whether a message's status means it was forged, altered or misattributed
// (bad signature, untrusted signer, header or chain mismatch, failed
// authentication or commitment) rather than merely not addressed to the
// reader's keys.
bool IsIntegrityFailure(const absl::Status& status);

// Opens message 1 for an adviser: checks the header against `expected` (as
// crypto::OpenEnvelope does), recovers the content key with `recipient`,
// decrypts, then checks that the thread signing key in the body has the
// header's sender key id and verifies the envelope's signature under it.
// FAILED_PRECONDITION for a header that does not match; PERMISSION_DENIED
// when the signature check fails.
[[nodiscard]] absl::StatusOr<v1::EnvelopeBody> OpenFirstMessageAsAdviser(
    const crypto::ParsedEnvelope& envelope, const crypto::EnvelopeContext& expected,
    const crypto::X25519PrivateKey& recipient,
    const google::protobuf::RepeatedPtrField<v1::WrappedKey>& extra_recipients);

// The first of `keys` named among the envelope's recipients or the extra
// ones, or nullptr.
const crypto::X25519PrivateKey* FindRecipientKey(
    const crypto::ParsedEnvelope& envelope,
    const google::protobuf::RepeatedPtrField<v1::WrappedKey>& extra_recipients,
    const std::vector<const crypto::X25519PrivateKey*>& keys);

// A professional's private keys of one case, parsed from the keystore.
struct ThreadPrivateKeys {
  crypto::X25519PrivateKey reply;
  crypto::Ed25519PrivateKey signing;
};
// DATA_LOSS tagged kKeystore when the stored keys do not parse.
[[nodiscard]] absl::StatusOr<ThreadPrivateKeys> LoadThreadKeys(const v1::ThreadKeys& stored);

// An adviser's key pairs of every epoch, parsed from the keystore; the
// current (newest, not superseded) pair first.
struct AdviserPrivateKeys {
  std::vector<crypto::X25519PrivateKey> encryption;
  std::vector<crypto::Ed25519PrivateKey> signing;
};
[[nodiscard]] absl::StatusOr<AdviserPrivateKeys> LoadAdviserKeys(
    const v1::KeystoreContents& contents);

// Sets `request.proof` to a fresh ownership proof for `method` by the
// thread key (the digest covers the request with the proof cleared).
template <typename Request>
void AttachOwnershipProof(Request& request, std::string_view method,
                          const crypto::Ed25519PrivateKey& thread_key, int64_t now_unix_ms) {
  request.clear_proof();
  const std::string digest = crypto::RequestDigest(request);
  *request.mutable_proof() =
      crypto::MakeOwnershipProof(method, request.thread_id(), digest, now_unix_ms, thread_key);
}

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_THREAD_CRYPTO_H_
