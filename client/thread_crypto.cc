#include "client/thread_crypto.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/exit_codes.h"
#include "client/localized_status.h"

namespace samrad::client {
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
        Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzUnitNoAdvisers, {unit.unit_id()}),
        ExitCode::kDirectory);
  }
  return keys;
}

namespace {

bool Contains(const std::vector<std::string>& units, const std::string& unit) {
  return std::find(units.begin(), units.end(), unit) != units.end();
}

// The unit that lists `adviser_id` in `directory`, or nullptr.
const v1::UnitEntry* UnitListing(const v1::KeyDirectory& directory, const std::string& adviser_id) {
  for (const auto& unit : directory.units()) {
    for (const auto& adviser : unit.advisers()) {
      if (adviser.adviser_id() == adviser_id) return &unit;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<SignerInfo> FindAdviserSigner(const v1::KeyDirectory& directory,
                                             const v1::KeystoreContents& keystore,
                                             absl::string_view sender_key_id,
                                             const std::vector<std::string>& allowed_units) {
  for (const std::string& revoked : directory.revoked_signing_keys()) {
    absl::StatusOr<crypto::Ed25519PublicKey> key = crypto::Ed25519PublicKey::FromBytes(revoked);
    if (key.ok() && key->KeyId() == sender_key_id) {
      return Localized(absl::StatusCode::kPermissionDenied, Msg::kLzSignedByRevoked);
    }
  }
  for (const auto& unit : directory.units()) {
    for (const auto& adviser : unit.advisers()) {
      absl::StatusOr<crypto::Ed25519PublicKey> key =
          crypto::Ed25519PublicKey::FromBytes(adviser.signing_public_key());
      if (!key.ok() || key->KeyId() != sender_key_id) continue;
      if (!Contains(allowed_units, unit.unit_id())) {
        return Localized(absl::StatusCode::kPermissionDenied, Msg::kLzSignedByOtherUnit,
                         {adviser.adviser_id(), unit.unit_id()});
      }
      return SignerInfo{*key, adviser.adviser_id(), unit.unit_id()};
    }
  }
  for (const auto& known : keystore.known_signers()) {
    absl::StatusOr<crypto::Ed25519PublicKey> key =
        crypto::Ed25519PublicKey::FromBytes(known.signing_public_key());
    if (!key.ok() || key->KeyId() != sender_key_id) continue;
    // A rotated key: its adviser is still listed for a unit of this case.
    const v1::UnitEntry* listed = UnitListing(directory, known.adviser_id());
    if (listed != nullptr && listed->unit_id() == known.unit() &&
        Contains(allowed_units, known.unit())) {
      return SignerInfo{*key, known.adviser_id(), known.unit()};
    }
    return Localized(absl::StatusCode::kPermissionDenied, Msg::kLzSignedByRemovedKey,
                     {known.adviser_id(), known.unit()});
  }
  return Localized(absl::StatusCode::kNotFound, Msg::kLzSignedByUnknownKey);
}

bool IsIntegrityFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kNotFound:  // not addressed to my keys; unknown signer
      return false;
    default:
      return true;
  }
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
    const crypto::ParsedEnvelope& envelope, const crypto::EnvelopeContext& expected,
    const crypto::X25519PrivateKey& recipient,
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
  copy.set_signature(
      one_off_signer.Sign(crypto::EnvelopeSignedBytes(copy.header(), copy.ciphertext())));
  absl::StatusOr<crypto::ParsedEnvelope> parsed = crypto::ParseEnvelope(copy.SerializeAsString());
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<v1::EnvelopeBody> body =
      crypto::OpenEnvelope(*parsed, expected, one_off_signer.public_key(), one_off);
  if (!body.ok()) return body.status();

  absl::StatusOr<crypto::Ed25519PublicKey> thread_key =
      crypto::Ed25519PublicKey::FromBytes(body->thread_signing_public_key());
  if (!thread_key.ok() || thread_key->KeyId() != envelope.header.sender_key_id()) {
    return Localized(absl::StatusCode::kPermissionDenied, Msg::kLzFirstNotSignedByThreadKey);
  }
  if (absl::Status s = crypto::VerifyEnvelopeSignature(envelope, *thread_key); !s.ok()) return s;
  if (body->thread_reply_public_key().size() != crypto::kX25519KeyLen) {
    return Localized(absl::StatusCode::kPermissionDenied, Msg::kLzFirstNoReplyKey);
  }
  return body;
}

absl::StatusOr<ThreadPrivateKeys> LoadThreadKeys(const v1::ThreadKeys& stored) {
  absl::StatusOr<crypto::X25519PrivateKey> reply =
      crypto::X25519PrivateKey::Deserialize(crypto::AsBytes(stored.reply_private_key()));
  absl::StatusOr<crypto::Ed25519PrivateKey> signing =
      crypto::Ed25519PrivateKey::Deserialize(crypto::AsBytes(stored.signing_private_key()));
  if (!reply.ok() || !signing.ok()) {
    return WithExitCode(Localized(absl::StatusCode::kDataLoss, Msg::kLzDamagedCaseKeys),
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
      return WithExitCode(Localized(absl::StatusCode::kDataLoss, Msg::kLzDamagedAdviserKeys),
                          ExitCode::kKeystore);
    }
    keys.encryption.push_back(std::move(*enc));
    keys.signing.push_back(std::move(*sig));
  }
  if (keys.encryption.empty()) {
    return WithExitCode(Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzNoAdviserKeys),
                        ExitCode::kConfig);
  }
  return keys;
}

OpenedThread OpenThread(const v1::ThreadView& view, const v1::KeyDirectory& directory,
                        const v1::KeystoreContents& keystore, const ReaderKeys& keys,
                        ThreadChainState* state_out) {
  ThreadChainState state;
  state.thread_signing_key = keys.thread_signing_key;
  OpenedThread opened = OpenThread(view, directory, keystore, keys, state);
  if (state_out != nullptr) *state_out = std::move(state);
  return opened;
}

OpenedThread OpenThread(const v1::ThreadView& view, const v1::KeyDirectory& directory,
                        const v1::KeystoreContents& keystore, const ReaderKeys& keys,
                        ThreadChainState& state) {
  OpenedThread thread;
  std::vector<const v1::StoredMessage*> stored;
  for (const auto& message : view.messages()) stored.push_back(&message);
  std::stable_sort(stored.begin(), stored.end(),
                   [](const auto* a, const auto* b) { return a->sequence() < b->sequence(); });

  if (!state.thread_signing_key.has_value()) state.thread_signing_key = keys.thread_signing_key;
  std::vector<const crypto::X25519PrivateKey*> my_keys = keys.adviser_keys;
  if (keys.reply_key != nullptr) my_keys.push_back(keys.reply_key);

  for (const v1::StoredMessage* message : stored) {
    if (message->sequence() <= state.last_sequence) {
      // Delivered twice: the same bytes are harmless, others replace it.
      if (message->sequence() == state.last_sequence && !state.last_chain_hash.empty()) {
        absl::StatusOr<crypto::ParsedEnvelope> again = crypto::ParseEnvelope(message->envelope());
        if (!again.ok() || crypto::EnvelopeChainHash(*again) != state.last_chain_hash) {
          thread.problems.push_back(
              {ChainProblem::Kind::kReplaced, message->sequence(), message->sequence()});
        }
      }
      continue;
    }
    if (message->sequence() > state.last_sequence + 1) {
      thread.problems.push_back(
          {ChainProblem::Kind::kMissing, state.last_sequence + 1, message->sequence() - 1});
      state.last_chain_hash.clear();
    }
    const std::string previous_hash = std::move(state.last_chain_hash);
    state.last_chain_hash.clear();
    state.last_sequence = message->sequence();

    OpenedMessage opened;
    opened.sequence = message->sequence();
    opened.accepted_at_unix_ms = message->accepted_at_unix_ms();
    absl::StatusOr<crypto::ParsedEnvelope> envelope = crypto::ParseEnvelope(message->envelope());
    if (!envelope.ok()) {
      opened.status = ForeignText(envelope.status(), Msg::kLzMessageDoesNotOpen);
      thread.messages.push_back(std::move(opened));
      continue;
    }
    opened.role = envelope->header.sender_role();
    // Known from the bytes alone: the next verified message proves (by naming
    // it) that this one is the message its sender saw, even if I cannot read it.
    const std::string this_hash = crypto::EnvelopeChainHash(*envelope);
    const crypto::X25519PrivateKey* recipient =
        FindRecipientKey(*envelope, message->extra_recipients(), my_keys);
    crypto::EnvelopeContext expected = envelope->context();
    expected.unit.clear();  // checked below against the signed unit chain
    expected.directory_epoch = 0;
    expected.sequence = message->sequence();
    expected.thread_id = view.summary().thread_id();
    expected.message_id = message->message_id();
    expected.previous_envelope_hash = previous_hash;  // empty: link unknown
    std::vector<v1::WrappedKey> extra(message->extra_recipients().begin(),
                                      message->extra_recipients().end());

    absl::StatusOr<v1::EnvelopeBody> body;
    std::string signer_unit;
    if (recipient == nullptr) {
      body = Localized(absl::StatusCode::kNotFound, Msg::kLzNotAddressedToMe);
    } else if (opened.role == v1::SENDER_ROLE_PROFESSIONAL) {
      if (!state.thread_signing_key.has_value() && opened.sequence == 1) {
        body =
            OpenFirstMessageAsAdviser(*envelope, expected, *recipient, message->extra_recipients());
      } else if (!state.thread_signing_key.has_value()) {
        body = Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzThreadKeyUnknown);
      } else {
        body =
            crypto::OpenEnvelope(*envelope, expected, *state.thread_signing_key, *recipient, extra);
      }
    } else if (opened.role == v1::SENDER_ROLE_ADVISER) {
      // Without message 1 (a reader who joined the unit later) the signed
      // unit chain is unknown; the relay's word is all there is, so nothing
      // read this way can establish the unit (units_complete).
      std::vector<std::string> allowed = state.units;
      if (allowed.empty()) {
        allowed = {view.summary().unit()};
        state.units_complete = false;
      }
      absl::StatusOr<SignerInfo> signer =
          FindAdviserSigner(directory, keystore, envelope->header.sender_key_id(), allowed);
      if (!signer.ok()) {
        body = signer.status();
      } else {
        opened.adviser_id = signer->adviser_id;
        opened.unit = signer->unit;
        signer_unit = signer->unit;
        body = crypto::OpenEnvelope(*envelope, expected, signer->key, *recipient, extra);
      }
    } else {
      body = absl::InvalidArgumentError("unknown sender role");
    }

    if (body.ok() && opened.sequence == 1) {
      if (opened.role != v1::SENDER_ROLE_PROFESSIONAL) {
        body = Localized(absl::StatusCode::kPermissionDenied, Msg::kLzFirstNotQuestion);
      } else {
        state.units = {envelope->header.unit()};
        thread.thread_reply_public_key = body->thread_reply_public_key();
        if (!state.thread_signing_key.has_value()) {
          absl::StatusOr<crypto::Ed25519PublicKey> key =
              crypto::Ed25519PublicKey::FromBytes(body->thread_signing_public_key());
          if (key.ok()) state.thread_signing_key = *key;
        }
      }
    } else if (body.ok() && !state.units.empty()) {
      const std::string& current = state.units.back();
      const std::string& referred = body->referred_to_unit();
      const std::string& sealed_for = envelope->header.unit();
      if (!referred.empty() && signer_unit != current) {
        body = signer_unit.empty()
                   ? Localized(absl::StatusCode::kPermissionDenied, Msg::kLzReferralNoUnit,
                               {referred, current})
                   : Localized(absl::StatusCode::kPermissionDenied, Msg::kLzReferralWrongUnit,
                               {referred, signer_unit, current});
      } else if (sealed_for != (referred.empty() ? current : referred)) {
        body = Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzSealedForOtherUnit,
                         {sealed_for, current});
      } else if (!referred.empty()) {
        state.units.push_back(referred);
      }
    } else if (!body.ok() && opened.role != v1::SENDER_ROLE_PROFESSIONAL) {
      state.units_complete = false;  // it may have been a referral
    }
    state.last_chain_hash = this_hash;
    if (body.ok()) {
      opened.body = std::move(*body);
    } else {
      opened.status = ForeignText(body.status(), Msg::kLzMessageDoesNotOpen);
    }
    thread.messages.push_back(std::move(opened));
  }
  // A relay that cuts the end off still counts it in the summary.
  if (view.summary().message_count() > state.last_sequence) {
    thread.problems.push_back(
        {ChainProblem::Kind::kMissing, state.last_sequence + 1, view.summary().message_count()});
  }
  return thread;
}

}  // namespace samrad::client
