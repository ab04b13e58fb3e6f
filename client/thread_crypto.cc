#include "client/thread_crypto.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/exit_codes.h"

namespace samrad::client {
namespace {

std::string U32Be(uint32_t v) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
  return out;
}

// The bytes an envelope signature covers (proto/envelope.proto).
std::string EnvelopeSigningInput(const v1::SealedEnvelope& sealed) {
  return absl::StrCat("samrad-envelope-v1", U32Be(static_cast<uint32_t>(sealed.header().size())),
                      sealed.header(), sealed.ciphertext());
}

}  // namespace

absl::StatusOr<std::vector<crypto::X25519PublicKey>> UnitRecipients(const v1::UnitEntry& unit) {
  std::vector<crypto::X25519PublicKey> keys;
  for (const auto& adviser : unit.advisers()) {
    absl::StatusOr<crypto::X25519PublicKey> key =
        crypto::X25519PublicKey::FromBytes(adviser.encryption_public_key());
    if (!key.ok()) return WithExitCode(key.status(), ExitCode::kDirectory);
    keys.push_back(*key);
  }
  if (keys.empty()) {
    return WithExitCode(
        absl::FailedPreconditionError(absl::StrCat(
            "unit \"", unit.unit_id(),
            "\" has no advisers in the key directory, so nobody could read the message; "
            "tell your administrator")),
        ExitCode::kDirectory);
  }
  return keys;
}

absl::StatusOr<SignerInfo> FindAdviserSigner(const v1::KeyDirectory& directory,
                                             const v1::KeystoreContents& keystore,
                                             absl::string_view sender_key_id) {
  for (const auto& unit : directory.units()) {
    for (const auto& adviser : unit.advisers()) {
      absl::StatusOr<crypto::Ed25519PublicKey> key =
          crypto::Ed25519PublicKey::FromBytes(adviser.signing_public_key());
      if (key.ok() && key->KeyId() == sender_key_id) {
        return SignerInfo{*key, adviser.adviser_id(), unit.unit_id()};
      }
    }
  }
  for (const auto& known : keystore.known_signers()) {
    absl::StatusOr<crypto::Ed25519PublicKey> key =
        crypto::Ed25519PublicKey::FromBytes(known.signing_public_key());
    if (key.ok() && key->KeyId() == sender_key_id) {
      return SignerInfo{*key, known.adviser_id(), known.unit()};
    }
  }
  return absl::NotFoundError("signed by a key that no verified directory lists");
}

const crypto::X25519PrivateKey* FindRecipientKey(
    const crypto::ParsedEnvelope& envelope,
    const google::protobuf::RepeatedPtrField<v1::WrappedKey>& extra_recipients,
    const std::vector<const crypto::X25519PrivateKey*>& keys) {
  for (const crypto::X25519PrivateKey* key : keys) {
    const std::string id = key->public_key().KeyId();
    for (const auto& wrap : envelope.header.recipients()) {
      if (wrap.key_id() == id) return key;
    }
    for (const auto& wrap : extra_recipients) {
      if (wrap.key_id() == id) return key;
    }
  }
  return nullptr;
}

absl::StatusOr<v1::EnvelopeBody> OpenFirstMessageAsAdviser(
    const crypto::ParsedEnvelope& envelope, const crypto::X25519PrivateKey& recipient,
    const google::protobuf::RepeatedPtrField<v1::WrappedKey>& extra_recipients) {
  // The thread key travels inside the body, so the body must be decrypted
  // before the signature can be checked. crypto/envelope.h opens only signed
  // envelopes, so the content key is re-wrapped to a one-off key and the
  // header re-signed with a one-off key; the AAD (thread, message, sequence,
  // role, unit, epoch) is unchanged, so the body still authenticates exactly
  // as sealed. Nothing is returned before the original signature verifies.
  crypto::X25519PrivateKey one_off = crypto::X25519PrivateKey::Generate();
  crypto::Ed25519PrivateKey one_off_signer = crypto::Ed25519PrivateKey::Generate();
  std::vector<v1::WrappedKey> extra(extra_recipients.begin(), extra_recipients.end());
  absl::StatusOr<std::vector<v1::WrappedKey>> rewrapped =
      crypto::RewrapContentKey(envelope, recipient, extra, {one_off.public_key()});
  if (!rewrapped.ok()) return rewrapped.status();
  v1::EnvelopeHeader header = envelope.header;
  header.clear_recipients();
  for (auto& wrap : *rewrapped) *header.add_recipients() = std::move(wrap);
  header.set_sender_key_id(one_off_signer.public_key().KeyId());
  v1::SealedEnvelope copy;
  copy.set_header(header.SerializeAsString());
  copy.set_ciphertext(envelope.sealed.ciphertext());
  copy.set_signature(one_off_signer.Sign(EnvelopeSigningInput(copy)));
  absl::StatusOr<crypto::ParsedEnvelope> parsed = crypto::ParseEnvelope(copy.SerializeAsString());
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<v1::EnvelopeBody> body =
      crypto::OpenEnvelope(*parsed, envelope.context(), one_off_signer.public_key(), one_off);
  if (!body.ok()) return body.status();

  absl::StatusOr<crypto::Ed25519PublicKey> thread_key =
      crypto::Ed25519PublicKey::FromBytes(body->thread_signing_public_key());
  if (!thread_key.ok() || thread_key->KeyId() != envelope.header.sender_key_id()) {
    return absl::PermissionDeniedError(
        "the first message is not signed by the thread key it carries");
  }
  if (absl::Status s = crypto::VerifyEnvelopeSignature(envelope, *thread_key); !s.ok()) return s;
  if (body->thread_reply_public_key().size() != crypto::kX25519KeyLen) {
    return absl::PermissionDeniedError("the first message carries no thread reply key");
  }
  return body;
}

absl::StatusOr<ThreadPrivateKeys> LoadThreadKeys(const v1::ThreadKeys& stored) {
  absl::StatusOr<crypto::X25519PrivateKey> reply =
      crypto::X25519PrivateKey::Deserialize(crypto::AsBytes(stored.reply_private_key()));
  absl::StatusOr<crypto::Ed25519PrivateKey> signing =
      crypto::Ed25519PrivateKey::Deserialize(crypto::AsBytes(stored.signing_private_key()));
  if (!reply.ok() || !signing.ok()) {
    return WithExitCode(absl::DataLossError("the keystore holds damaged keys for this case"),
                        ExitCode::kKeystore);
  }
  return ThreadPrivateKeys{std::move(*reply), std::move(*signing)};
}

absl::StatusOr<AdviserPrivateKeys> LoadAdviserKeys(const v1::KeystoreContents& contents) {
  std::vector<const v1::AdviserKeyPair*> pairs;
  for (const auto& pair : contents.adviser_keys()) pairs.push_back(&pair);
  // Current pair first, then newest to oldest.
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto* a, const auto* b) {
    bool a_current = a->superseded_at_unix_ms() == 0, b_current = b->superseded_at_unix_ms() == 0;
    if (a_current != b_current) return a_current;
    return a->created_at_unix_ms() > b->created_at_unix_ms();
  });
  AdviserPrivateKeys keys;
  for (const v1::AdviserKeyPair* pair : pairs) {
    absl::StatusOr<crypto::X25519PrivateKey> enc =
        crypto::X25519PrivateKey::Deserialize(crypto::AsBytes(pair->encryption_private_key()));
    absl::StatusOr<crypto::Ed25519PrivateKey> sig =
        crypto::Ed25519PrivateKey::Deserialize(crypto::AsBytes(pair->signing_private_key()));
    if (!enc.ok() || !sig.ok()) {
      return WithExitCode(absl::DataLossError("the keystore holds damaged adviser keys"),
                          ExitCode::kKeystore);
    }
    keys.encryption.push_back(std::move(*enc));
    keys.signing.push_back(std::move(*sig));
  }
  if (keys.encryption.empty()) {
    return WithExitCode(
        absl::FailedPreconditionError("this keystore holds no adviser keys; run `samrad keygen`"),
        ExitCode::kConfig);
  }
  return keys;
}

uint64_t NextSequence(const v1::ThreadView& view) {
  uint64_t last = 0;
  for (const auto& message : view.messages()) last = std::max(last, message.sequence());
  return last + 1;
}

OpenedThread OpenThread(const v1::ThreadView& view, const v1::KeyDirectory& directory,
                        const v1::KeystoreContents& keystore, const ReaderKeys& keys) {
  OpenedThread thread;
  std::vector<const v1::StoredMessage*> stored;
  for (const auto& message : view.messages()) stored.push_back(&message);
  std::sort(stored.begin(), stored.end(),
            [](const auto* a, const auto* b) { return a->sequence() < b->sequence(); });

  std::optional<crypto::Ed25519PublicKey> thread_key = keys.thread_signing_key;
  std::vector<const crypto::X25519PrivateKey*> my_keys = keys.adviser_keys;
  if (keys.reply_key != nullptr) my_keys.push_back(keys.reply_key);

  for (const v1::StoredMessage* message : stored) {
    OpenedMessage opened;
    opened.sequence = message->sequence();
    opened.accepted_at_unix_ms = message->accepted_at_unix_ms();
    absl::StatusOr<crypto::ParsedEnvelope> envelope = crypto::ParseEnvelope(message->envelope());
    if (!envelope.ok()) {
      opened.status = envelope.status();
      thread.messages.push_back(std::move(opened));
      continue;
    }
    opened.role = envelope->header.sender_role();
    const crypto::X25519PrivateKey* recipient =
        FindRecipientKey(*envelope, message->extra_recipients(), my_keys);
    crypto::EnvelopeContext expected = envelope->context();
    expected.unit.clear();  // any unit (referrals move threads)
    expected.directory_epoch = 0;
    expected.sequence = message->sequence();
    expected.thread_id = view.summary().thread_id();
    expected.message_id = message->message_id();

    absl::StatusOr<v1::EnvelopeBody> body;
    if (recipient == nullptr) {
      body = absl::NotFoundError("not addressed to any of my keys");
    } else if (opened.role == v1::SENDER_ROLE_PROFESSIONAL) {
      if (!thread_key.has_value() && opened.sequence == 1) {
        body = OpenFirstMessageAsAdviser(*envelope, *recipient, message->extra_recipients());
      } else if (!thread_key.has_value()) {
        body =
            absl::FailedPreconditionError("the thread key is unknown (first message unreadable)");
      } else {
        std::vector<v1::WrappedKey> extra(message->extra_recipients().begin(),
                                          message->extra_recipients().end());
        body = crypto::OpenEnvelope(*envelope, expected, *thread_key, *recipient, extra);
      }
    } else if (opened.role == v1::SENDER_ROLE_ADVISER) {
      absl::StatusOr<SignerInfo> signer =
          FindAdviserSigner(directory, keystore, envelope->header.sender_key_id());
      if (!signer.ok()) {
        body = signer.status();
      } else {
        opened.adviser_id = signer->adviser_id;
        opened.unit = signer->unit;
        std::vector<v1::WrappedKey> extra(message->extra_recipients().begin(),
                                          message->extra_recipients().end());
        body = crypto::OpenEnvelope(*envelope, expected, signer->key, *recipient, extra);
      }
    } else {
      body = absl::InvalidArgumentError("unknown sender role");
    }
    if (body.ok()) {
      if (opened.sequence == 1 && opened.role == v1::SENDER_ROLE_PROFESSIONAL) {
        thread.thread_reply_public_key = body->thread_reply_public_key();
        thread.thread_signing_public_key = body->thread_signing_public_key();
        if (!thread_key.has_value()) {
          absl::StatusOr<crypto::Ed25519PublicKey> key =
              crypto::Ed25519PublicKey::FromBytes(body->thread_signing_public_key());
          if (key.ok()) thread_key = *key;
        }
      }
      opened.body = std::move(*body);
    } else {
      opened.status = body.status();
    }
    thread.messages.push_back(std::move(opened));
  }
  return thread;
}

}  // namespace samrad::client
