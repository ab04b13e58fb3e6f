#include "crypto/envelope.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "crypto/aead.h"
#include "crypto/hpke.h"
#include "crypto/serialize.h"

namespace samrad::crypto {
namespace {

constexpr uint32_t kEnvelopeVersion = 2;
constexpr std::string_view kAadLabel = "samrad-aad-v2";
constexpr std::string_view kSignatureLabel = "samrad-envelope-v2";
constexpr std::string_view kWrapInfo = "samrad-wrap-v2";
constexpr std::string_view kCommitmentLabel = "samrad-key-commitment-v2";
constexpr std::string_view kChainLabel = "samrad-chain-v2";
constexpr size_t kContentKeyLen = 32;
constexpr size_t kWrappedKeyCiphertextLen = kContentKeyLen + kAeadTagLen;

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
void AppendU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
void AppendLengthPrefixed(std::string& out, std::string_view s) {
  AppendU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

absl::Status CheckChainLink(uint64_t sequence, std::string_view previous_hash);

absl::Status ValidateContext(const EnvelopeContext& context) {
  if (!ids::IsHexId(context.thread_id)) {
    return absl::InvalidArgumentError("envelope thread id must be 32 lowercase hex characters");
  }
  if (!ids::IsHexId(context.message_id)) {
    return absl::InvalidArgumentError("envelope message id must be 32 lowercase hex characters");
  }
  if (context.sequence == 0) {
    return absl::InvalidArgumentError("envelope sequence numbers start at 1");
  }
  if (context.sender_role != v1::SENDER_ROLE_PROFESSIONAL &&
      context.sender_role != v1::SENDER_ROLE_ADVISER) {
    return absl::InvalidArgumentError("envelope sender role must be professional or adviser");
  }
  if (!ids::IsUnitId(context.unit)) {
    return absl::InvalidArgumentError("envelope unit must match [a-z0-9-]{1,64}");
  }
  return CheckChainLink(context.sequence, context.previous_envelope_hash);
}

// Sequence 1 starts the chain (no previous hash); every later message names
// its predecessor with a 32-byte hash.
absl::Status CheckChainLink(uint64_t sequence, std::string_view previous_hash) {
  if (sequence == 1 && !previous_hash.empty()) {
    return absl::InvalidArgumentError("the first message of a thread has no previous hash");
  }
  if (sequence > 1 && previous_hash.size() != kEnvelopeHashLen) {
    return absl::InvalidArgumentError(absl::StrCat(
        "envelope sequence ", sequence, " must carry the 32-byte hash of message ", sequence - 1));
  }
  return absl::OkStatus();
}

// HMAC-SHA256(content key, kCommitmentLabel): a PRF output that only this
// key produces (HMAC-SHA256 is collision resistant in its key), unlike the
// AES-GCM tag.
std::string KeyCommitment(const SecretBytes& content_key) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), content_key.data(), static_cast<int>(content_key.size()),
           reinterpret_cast<const unsigned char*>(kCommitmentLabel.data()), kCommitmentLabel.size(),
           out, &out_len);
  if (result == nullptr || out_len != kKeyCommitmentLen) return std::string();
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

}  // namespace

std::string EnvelopeSignedBytes(std::string_view header, std::string_view ciphertext) {
  std::string out;
  out.reserve(kSignatureLabel.size() + 4 + header.size() + ciphertext.size());
  out.append(kSignatureLabel);
  AppendU32(out, static_cast<uint32_t>(header.size()));
  out.append(header);
  out.append(ciphertext);
  return out;
}

namespace {

// Deduplicates by raw key, keeping the first occurrence's order.
std::vector<const X25519PublicKey*> UniqueRecipients(absl::Span<const X25519PublicKey> recipients) {
  std::vector<const X25519PublicKey*> out;
  for (const X25519PublicKey& key : recipients) {
    if (std::none_of(out.begin(), out.end(),
                     [&](const X25519PublicKey* seen) { return *seen == key; })) {
      out.push_back(&key);
    }
  }
  return out;
}

absl::StatusOr<std::vector<v1::WrappedKey>> WrapContentKey(
    const SecretBytes& content_key, std::string_view wrap_aad,
    absl::Span<const X25519PublicKey> recipients, RandomSource& rng) {
  if (recipients.empty()) {
    return absl::InvalidArgumentError("an envelope needs at least one recipient");
  }
  std::vector<const X25519PublicKey*> unique = UniqueRecipients(recipients);
  if (unique.size() > kMaxRecipients) {
    return absl::InvalidArgumentError(absl::StrCat("an envelope takes at most ", kMaxRecipients,
                                                   " recipients, got ", unique.size()));
  }
  hpke::SenderOptions options;
  options.aead = hpke::AeadId::kAes256Gcm;
  options.mode = hpke::Mode::kBase;
  options.info = kWrapInfo;
  std::vector<v1::WrappedKey> wrapped;
  wrapped.reserve(unique.size());
  for (const X25519PublicKey* recipient : unique) {
    auto sealed = hpke::Seal(options, *recipient, wrap_aad, content_key.view(), rng);
    if (!sealed.ok()) {
      return absl::Status(sealed.status().code(), absl::StrCat("wrapping the content key failed: ",
                                                               sealed.status().message()));
    }
    v1::WrappedKey& key = wrapped.emplace_back();
    key.set_key_id(recipient->KeyId());
    key.set_enc(std::move(sealed->enc));
    key.set_ciphertext(std::move(sealed->ciphertext));
  }
  return wrapped;
}

absl::Status ValidateWrappedKey(const v1::WrappedKey& key, std::string_view where) {
  if (key.key_id().size() != kKeyIdLen || key.enc().size() != hpke::kEncLen ||
      key.ciphertext().size() != kWrappedKeyCiphertextLen) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(where), " has a wrapped key with a wrong key id, enc or ciphertext length"));
  }
  return absl::OkStatus();
}

// Finds the wrap addressed to `recipient` among the header's and the extra
// recipients and recovers the content key. NOT_FOUND or DATA_LOSS.
absl::StatusOr<SecretBytes> UnwrapContentKey(const ParsedEnvelope& envelope,
                                             const X25519PrivateKey& recipient,
                                             absl::Span<const v1::WrappedKey> extra_recipients) {
  const std::string key_id = recipient.public_key().KeyId();
  const std::string wrap_aad = Sha256(EnvelopeAad(envelope.context()));
  hpke::ReceiverOptions options;
  options.aead = hpke::AeadId::kAes256Gcm;
  options.mode = hpke::Mode::kBase;
  options.info = kWrapInfo;
  bool listed = false;
  bool commitment_mismatch = false;
  auto try_wrap = [&](const v1::WrappedKey& wrap) -> absl::StatusOr<SecretBytes> {
    listed = true;
    auto opened = hpke::Open(options, recipient, wrap.enc(), wrap_aad, wrap.ciphertext());
    if (!opened.ok()) return opened.status();
    SecretBytes key = SecretBytes::FromString(*opened);
    OPENSSL_cleanse(opened->data(), opened->size());
    if (key.size() != kContentKeyLen) {
      return absl::DataLossError("the wrapped content key has a wrong length");
    }
    const std::string commitment = KeyCommitment(key);
    const std::string& expected = envelope.header.key_commitment();
    if (commitment.size() != expected.size() ||
        CRYPTO_memcmp(commitment.data(), expected.data(), expected.size()) != 0) {
      commitment_mismatch = true;
      return absl::DataLossError("key commitment mismatch");
    }
    return key;
  };
  for (const v1::WrappedKey& wrap : envelope.header.recipients()) {
    if (wrap.key_id() != key_id) continue;
    auto key = try_wrap(wrap);
    if (key.ok()) return key;
  }
  for (const v1::WrappedKey& wrap : extra_recipients) {
    if (wrap.key_id() != key_id || !ValidateWrappedKey(wrap, "a re-wrap").ok()) continue;
    auto key = try_wrap(wrap);
    if (key.ok()) return key;
  }
  if (!listed) {
    return absl::NotFoundError("this envelope is not addressed to the given recipient key");
  }
  // A key that unwraps but is not the committed one says more than a wrap
  // that does not authenticate.
  if (commitment_mismatch) {
    return absl::DataLossError(
        "the content key wrapped to this recipient is not the one the sender committed to");
  }
  return absl::DataLossError("the content key wrapped to this recipient fails authentication");
}

absl::StatusOr<v1::EnvelopeBody> DecryptBody(const ParsedEnvelope& envelope,
                                             const SecretBytes& content_key) {
  const std::string aad = EnvelopeAad(envelope.context());
  auto plaintext =
      AeadOpen(AeadAlgorithm::kAes256Gcm, content_key.span(), AsBytes(envelope.header.body_nonce()),
               AsBytes(envelope.sealed.ciphertext()), AsBytes(aad));
  if (!plaintext.ok()) {
    return absl::DataLossError("the envelope body fails authentication");
  }
  v1::EnvelopeBody body;
  const bool parsed = body.ParseFromString(*plaintext);
  OPENSSL_cleanse(plaintext->data(), plaintext->size());
  if (!parsed) return absl::DataLossError("the decrypted envelope body is not a valid message");
  return body;
}

}  // namespace

std::string EnvelopeAad(const EnvelopeContext& context) {
  std::string out;
  out.append(kAadLabel);
  AppendLengthPrefixed(out, context.thread_id);
  AppendLengthPrefixed(out, context.message_id);
  AppendU64(out, context.sequence);
  AppendU32(out, static_cast<uint32_t>(context.sender_role));
  AppendLengthPrefixed(out, context.unit);
  AppendU64(out, context.directory_epoch);
  AppendLengthPrefixed(out, context.previous_envelope_hash);
  return out;
}

std::string EnvelopeChainHash(const ParsedEnvelope& envelope) {
  std::string input(kChainLabel);
  input.append(EnvelopeSignedBytes(envelope.sealed.header(), envelope.sealed.ciphertext()));
  return Sha256(input);
}

EnvelopeContext ParsedEnvelope::context() const {
  EnvelopeContext context;
  context.thread_id = header.thread_id();
  context.message_id = header.message_id();
  context.sequence = header.sequence();
  context.sender_role = header.sender_role();
  context.unit = header.unit();
  context.directory_epoch = header.directory_epoch();
  context.previous_envelope_hash = header.previous_envelope_hash();
  return context;
}

absl::StatusOr<std::string> SealEnvelope(const EnvelopeContext& context,
                                         const v1::EnvelopeBody& body,
                                         absl::Span<const X25519PublicKey> recipients,
                                         const Ed25519PrivateKey& signer, RandomSource& rng) {
  SAMRAD_RETURN_IF_ERROR(ValidateContext(context));
  if (body.ByteSizeLong() > kMaxEnvelopeBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the envelope body is ", body.ByteSizeLong(),
                                                   " bytes; at most ", kMaxEnvelopeBytes,
                                                   " fit in an envelope"));
  }
  SecretBytes content_key(kContentKeyLen);
  rng.Fill(content_key.mutable_span());
  const std::string aad = EnvelopeAad(context);
  auto wrapped = WrapContentKey(content_key, Sha256(aad), recipients, rng);
  if (!wrapped.ok()) return wrapped.status();

  const std::string nonce = RandomString(kAeadNonceLen, rng);
  std::string body_bytes = SerializeDeterministically(body);
  auto ciphertext = AeadSeal(AeadAlgorithm::kAes256Gcm, content_key.span(), AsBytes(nonce),
                             AsBytes(body_bytes), AsBytes(aad));
  OPENSSL_cleanse(body_bytes.data(), body_bytes.size());
  if (!ciphertext.ok()) return ciphertext.status();

  v1::EnvelopeHeader header;
  header.set_version(kEnvelopeVersion);
  header.set_thread_id(context.thread_id);
  header.set_message_id(context.message_id);
  header.set_sequence(context.sequence);
  header.set_sender_role(context.sender_role);
  header.set_unit(context.unit);
  header.set_directory_epoch(context.directory_epoch);
  header.set_body_nonce(nonce);
  for (v1::WrappedKey& key : *wrapped) *header.add_recipients() = std::move(key);
  header.set_sender_key_id(signer.public_key().KeyId());
  header.set_previous_envelope_hash(context.previous_envelope_hash);
  header.set_key_commitment(KeyCommitment(content_key));
  if (header.key_commitment().size() != kKeyCommitmentLen) {
    return absl::InternalError("computing the key commitment failed");
  }

  v1::SealedEnvelope sealed;
  sealed.set_header(SerializeDeterministically(header));
  sealed.set_ciphertext(*std::move(ciphertext));
  sealed.set_signature(signer.Sign(EnvelopeSignedBytes(sealed.header(), sealed.ciphertext())));
  std::string out = SerializeDeterministically(sealed);
  if (out.size() > kMaxEnvelopeBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the sealed envelope would be ", out.size(),
                                                   " bytes; at most ", kMaxEnvelopeBytes,
                                                   " are accepted"));
  }
  return out;
}

absl::StatusOr<ParsedEnvelope> ParseEnvelope(std::string_view bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) {
    return absl::InvalidArgumentError(absl::StrCat("envelope is ", bytes.size(), " bytes; at most ",
                                                   kMaxEnvelopeBytes, " are accepted"));
  }
  ParsedEnvelope out;
  if (!out.sealed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("envelope is not a valid SealedEnvelope message");
  }
  if (out.sealed.signature().size() != kEd25519SignatureLen) {
    return absl::InvalidArgumentError("envelope signature must be 64 bytes");
  }
  if (out.sealed.ciphertext().size() < kAeadTagLen) {
    return absl::InvalidArgumentError("envelope ciphertext is shorter than its tag");
  }
  if (!out.header.ParseFromString(out.sealed.header())) {
    return absl::InvalidArgumentError("envelope header is not a valid EnvelopeHeader message");
  }
  const v1::EnvelopeHeader& header = out.header;
  if (header.version() == 1) {
    return absl::InvalidArgumentError(
        "envelope version 1 was sealed by an older samrad without a hash chain or key "
        "commitment; this build reads only version 2 (send the message again with this "
        "version)");
  }
  if (header.version() != kEnvelopeVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("envelope version ", header.version(), " is unknown (this build reads 2)"));
  }
  if (!ids::IsHexId(header.thread_id()) || !ids::IsHexId(header.message_id())) {
    return absl::InvalidArgumentError("envelope header ids must be 32 lowercase hex characters");
  }
  if (header.body_nonce().size() != kAeadNonceLen) {
    return absl::InvalidArgumentError("envelope body nonce must be 12 bytes");
  }
  if (header.sender_key_id().size() != kKeyIdLen) {
    return absl::InvalidArgumentError("envelope sender key id must be 16 bytes");
  }
  if (header.sequence() == 0) {
    return absl::InvalidArgumentError("envelope sequence numbers start at 1");
  }
  if (absl::Status s = CheckChainLink(header.sequence(), header.previous_envelope_hash());
      !s.ok()) {
    return s;
  }
  if (header.key_commitment().size() != kKeyCommitmentLen) {
    return absl::InvalidArgumentError("envelope key commitment must be 32 bytes");
  }
  if (header.recipients().empty() ||
      static_cast<size_t>(header.recipients_size()) > kMaxRecipients) {
    return absl::InvalidArgumentError(
        absl::StrCat("envelope must list 1..", kMaxRecipients, " recipients"));
  }
  for (const v1::WrappedKey& key : header.recipients()) {
    SAMRAD_RETURN_IF_ERROR(ValidateWrappedKey(key, "envelope header"));
  }
  return out;
}

absl::Status VerifyEnvelopeSignature(const ParsedEnvelope& envelope,
                                     const Ed25519PublicKey& signer) {
  if (envelope.header.sender_key_id() != signer.KeyId()) {
    return absl::PermissionDeniedError("envelope was signed by another key than expected");
  }
  absl::Status verified =
      signer.Verify(EnvelopeSignedBytes(envelope.sealed.header(), envelope.sealed.ciphertext()),
                    envelope.sealed.signature());
  if (!verified.ok()) return absl::PermissionDeniedError("envelope signature does not verify");
  return absl::OkStatus();
}

absl::StatusOr<v1::EnvelopeBody> OpenEnvelope(const ParsedEnvelope& envelope,
                                              const EnvelopeContext& expected,
                                              const Ed25519PublicKey& signer,
                                              const X25519PrivateKey& recipient,
                                              absl::Span<const v1::WrappedKey> extra_recipients) {
  SAMRAD_RETURN_IF_ERROR(VerifyEnvelopeSignature(envelope, signer));
  const v1::EnvelopeHeader& header = envelope.header;
  if (header.thread_id() != expected.thread_id) {
    return absl::FailedPreconditionError("envelope belongs to another thread");
  }
  if (header.message_id() != expected.message_id) {
    return absl::FailedPreconditionError("envelope belongs to another message id");
  }
  if (header.sequence() != expected.sequence) {
    return absl::FailedPreconditionError(absl::StrCat(
        "envelope has sequence number ", header.sequence(), ", expected ", expected.sequence));
  }
  if (header.sender_role() != expected.sender_role) {
    return absl::FailedPreconditionError("envelope was sealed by another sender role");
  }
  if (!expected.unit.empty() && header.unit() != expected.unit) {
    return absl::FailedPreconditionError("envelope was sealed for another unit");
  }
  if (!expected.previous_envelope_hash.empty() &&
      header.previous_envelope_hash() != expected.previous_envelope_hash) {
    return absl::FailedPreconditionError("envelope names another previous message");
  }
  if (expected.directory_epoch != 0 && header.directory_epoch() != expected.directory_epoch) {
    return absl::FailedPreconditionError(absl::StrCat("envelope was sealed at directory epoch ",
                                                      header.directory_epoch(), ", expected ",
                                                      expected.directory_epoch));
  }
  auto content_key = UnwrapContentKey(envelope, recipient, extra_recipients);
  if (!content_key.ok()) return content_key.status();
  return DecryptBody(envelope, *content_key);
}

absl::StatusOr<std::vector<v1::WrappedKey>> RewrapContentKey(
    const ParsedEnvelope& envelope, const X25519PrivateKey& recipient,
    absl::Span<const v1::WrappedKey> extra_recipients,
    absl::Span<const X25519PublicKey> new_recipients, RandomSource& rng) {
  if (new_recipients.empty()) {
    return absl::InvalidArgumentError("a re-wrap needs at least one new recipient");
  }
  auto content_key = UnwrapContentKey(envelope, recipient, extra_recipients);
  if (!content_key.ok()) return content_key.status();
  // The key must open the body: never re-wrap a key that does not belong here.
  SAMRAD_RETURN_IF_ERROR(DecryptBody(envelope, *content_key).status());
  return WrapContentKey(*content_key, Sha256(EnvelopeAad(envelope.context())), new_recipients, rng);
}

}  // namespace samrad::crypto
