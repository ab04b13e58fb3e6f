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
absl::StatusOr<std::vector<crypto::X25519PublicKey>> UnitRecipients(const v1::UnitEntry& unit);

// An adviser signing key, with whose it is.
struct SignerInfo {
  crypto::Ed25519PublicKey key;
  std::string adviser_id;
  std::string unit;
};

// The adviser key whose key id is `sender_key_id`: first in `directory`,
// then among keys remembered from earlier directories. NOT_FOUND otherwise.
absl::StatusOr<SignerInfo> FindAdviserSigner(const v1::KeyDirectory& directory,
                                             const v1::KeystoreContents& keystore,
                                             absl::string_view sender_key_id);

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

// Verifies and decrypts every message of `view`, in sequence order. A
// professional's messages verify under the thread signing key; an adviser's
// under the adviser key the directory (or the keystore's memory) lists for
// the header's sender_key_id. For an adviser reader without the thread key,
// the first message is opened first and its body's thread keys are then used
// (its own signature is checked under the key it carries before anything of
// it is returned). A message that fails gets a non-OK status; the others are
// still returned. The returned thread keys are those of the first message
// (empty when it could not be opened).
struct OpenedThread {
  std::vector<OpenedMessage> messages;
  std::string thread_reply_public_key;    // X25519, from message 1
  std::string thread_signing_public_key;  // Ed25519, from message 1
};
OpenedThread OpenThread(const v1::ThreadView& view, const v1::KeyDirectory& directory,
                        const v1::KeystoreContents& keystore, const ReaderKeys& keys);

// Opens message 1 for an adviser: recovers the content key with `recipient`,
// decrypts, then checks that the thread signing key in the body has the
// header's sender key id and verifies the envelope's signature under it.
// PERMISSION_DENIED when that check fails.
absl::StatusOr<v1::EnvelopeBody> OpenFirstMessageAsAdviser(
    const crypto::ParsedEnvelope& envelope, const crypto::X25519PrivateKey& recipient,
    const google::protobuf::RepeatedPtrField<v1::WrappedKey>& extra_recipients);

// The sequence number the next message of `view` must carry.
uint64_t NextSequence(const v1::ThreadView& view);

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
absl::StatusOr<ThreadPrivateKeys> LoadThreadKeys(const v1::ThreadKeys& stored);

// An adviser's key pairs of every epoch, parsed from the keystore; the
// current (newest, not superseded) pair first.
struct AdviserPrivateKeys {
  std::vector<crypto::X25519PrivateKey> encryption;
  std::vector<crypto::Ed25519PrivateKey> signing;
};
absl::StatusOr<AdviserPrivateKeys> LoadAdviserKeys(const v1::KeystoreContents& contents);

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
