#include "crypto/hpke.h"

#include <openssl/crypto.h>

#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/hkdf.h"

namespace samrad::crypto::hpke {
namespace {

constexpr std::string_view kVersionLabel = "HPKE-v1";
constexpr size_t kNh = kSha256Len;  // KDF output size

// Appends byte strings into one wiped buffer (labeled inputs carry secrets).
class SecretBuilder {
 public:
  explicit SecretBuilder(size_t reserve) { bytes_.reserve(reserve); }
  ~SecretBuilder() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  SecretBuilder& Add(std::string_view s) {
    bytes_.append(s);
    return *this;
  }
  SecretBuilder& Add(const SecretBytes& s) { return Add(s.view()); }
  SecretBuilder& AddU16(size_t v) {
    bytes_.push_back(static_cast<char>((v >> 8) & 0xff));
    bytes_.push_back(static_cast<char>(v & 0xff));
    return *this;
  }
  absl::Span<const uint8_t> span() const { return AsBytes(bytes_); }

 private:
  std::string bytes_;
};

std::string I2Osp2(uint16_t v) {
  return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

const std::string& KemSuiteId() {
  static const std::string* const kId = new std::string("KEM" + I2Osp2(kKemX25519HkdfSha256));
  return *kId;
}

std::string HpkeSuiteId(AeadId aead) {
  return "HPKE" + I2Osp2(kKemX25519HkdfSha256) + I2Osp2(kKdfHkdfSha256) +
         I2Osp2(static_cast<uint16_t>(aead));
}

absl::StatusOr<SecretBytes> LabeledExtract(std::string_view suite_id, std::string_view salt,
                                           std::string_view label, std::string_view ikm) {
  SecretBuilder labeled_ikm(kVersionLabel.size() + suite_id.size() + label.size() + ikm.size());
  labeled_ikm.Add(kVersionLabel).Add(suite_id).Add(label).Add(ikm);
  return HkdfSha256Extract(AsBytes(salt), labeled_ikm.span());
}

absl::StatusOr<SecretBytes> LabeledExpand(std::string_view suite_id, const SecretBytes& prk,
                                          std::string_view label, std::string_view info,
                                          size_t length) {
  if (length == 0 || length > kHkdfSha256MaxOutputLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("HPKE output length must be 1..", kHkdfSha256MaxOutputLen, ", got ", length));
  }
  SecretBuilder labeled_info(2 + kVersionLabel.size() + suite_id.size() + label.size() +
                             info.size());
  labeled_info.AddU16(length).Add(kVersionLabel).Add(suite_id).Add(label).Add(info);
  return HkdfSha256Expand(prk.span(), labeled_info.span(), length);
}

absl::Status CheckInputLen(std::string_view what, std::string_view value) {
  if (value.size() <= kMaxInputLen) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("HPKE ", std::string(what), " is ", value.size(),
                                                 " bytes; at most ", kMaxInputLen, " allowed"));
}

bool IsAuthMode(Mode mode) { return mode == Mode::kAuth || mode == Mode::kAuthPsk; }
bool IsPskMode(Mode mode) { return mode == Mode::kPsk || mode == Mode::kAuthPsk; }

// RFC 9180 §5.1 VerifyPSKInputs, plus the length limits of this file.
absl::Status VerifyPskInputs(Mode mode, std::string_view psk, std::string_view psk_id) {
  if (psk.empty() != psk_id.empty()) {
    return absl::InvalidArgumentError("HPKE psk and psk_id must be given together");
  }
  if (!psk.empty() && !IsPskMode(mode)) {
    return absl::InvalidArgumentError("HPKE psk given in a mode without PSK");
  }
  if (psk.empty() && IsPskMode(mode)) {
    return absl::InvalidArgumentError("HPKE psk mode needs a psk and a psk_id");
  }
  if (!psk.empty() && psk.size() < kMinPskLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("HPKE psk must be at least ", kMinPskLen, " bytes, got ", psk.size()));
  }
  SAMRAD_RETURN_IF_ERROR(CheckInputLen("psk", psk));
  return CheckInputLen("psk_id", psk_id);
}

absl::Status CheckAuthKey(Mode mode, bool has_key) {
  if (IsAuthMode(mode) && !has_key) {
    return absl::InvalidArgumentError("HPKE auth mode needs the sender's key");
  }
  if (!IsAuthMode(mode) && has_key) {
    return absl::InvalidArgumentError("HPKE sender key given in a mode without auth");
  }
  return absl::OkStatus();
}

absl::Status CheckAeadId(AeadId aead) { return AeadIdFromId(static_cast<uint16_t>(aead)).status(); }

size_t KeyLen(AeadId aead) {
  switch (aead) {
    case AeadId::kAes128Gcm:
      return 16;
    case AeadId::kAes256Gcm:
    case AeadId::kChaCha20Poly1305:
      return 32;
    case AeadId::kExportOnly:
      return 0;
  }
  return 0;
}

AeadAlgorithm AlgorithmOf(AeadId aead) {
  switch (aead) {
    case AeadId::kAes128Gcm:
      return AeadAlgorithm::kAes128Gcm;
    case AeadId::kChaCha20Poly1305:
      return AeadAlgorithm::kChaCha20Poly1305;
    default:
      return AeadAlgorithm::kAes256Gcm;
  }
}

// RFC 9180 §4.1 ExtractAndExpand.
absl::StatusOr<SecretBytes> ExtractAndExpand(const SecretBuilder& dh,
                                             std::string_view kem_context) {
  auto eae_prk = LabeledExtract(KemSuiteId(), "", "eae_prk", AsStringView(dh.span()));
  if (!eae_prk.ok()) return eae_prk.status();
  return LabeledExpand(KemSuiteId(), *eae_prk, "shared_secret", kem_context, kSharedSecretLen);
}

absl::Status CheckSenderOptions(const SenderOptions& options) {
  SAMRAD_RETURN_IF_ERROR(CheckAeadId(options.aead));
  if (absl::Status s = CheckAuthKey(options.mode, options.sender_key != nullptr); !s.ok()) {
    return s;
  }
  if (absl::Status s = VerifyPskInputs(options.mode, options.psk, options.psk_id); !s.ok()) {
    return s;
  }
  return CheckInputLen("info", options.info);
}

absl::Status CheckReceiverOptions(const ReceiverOptions& options) {
  SAMRAD_RETURN_IF_ERROR(CheckAeadId(options.aead));
  if (absl::Status s = CheckAuthKey(options.mode, options.sender_public_key != nullptr); !s.ok()) {
    return s;
  }
  if (absl::Status s = VerifyPskInputs(options.mode, options.psk, options.psk_id); !s.ok()) {
    return s;
  }
  return CheckInputLen("info", options.info);
}

}  // namespace

absl::StatusOr<Mode> ModeFromId(uint64_t id) {
  if (id > 3) return absl::InvalidArgumentError(absl::StrCat("unknown HPKE mode ", id));
  return static_cast<Mode>(id);
}

absl::StatusOr<AeadId> AeadIdFromId(uint64_t id) {
  switch (id) {
    case 0x0001:
    case 0x0002:
    case 0x0003:
    case 0xFFFF:
      return static_cast<AeadId>(id);
    default:
      return absl::InvalidArgumentError(absl::StrCat("unsupported HPKE AEAD id ", id));
  }
}

absl::StatusOr<X25519PrivateKey> DeriveKeyPair(std::string_view ikm) {
  if (ikm.size() < kX25519KeyLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("HPKE DeriveKeyPair needs at least 32 bytes of ikm, got ", ikm.size()));
  }
  SAMRAD_RETURN_IF_ERROR(CheckInputLen("ikm", ikm));
  auto dkp_prk = LabeledExtract(KemSuiteId(), "", "dkp_prk", ikm);
  if (!dkp_prk.ok()) return dkp_prk.status();
  auto sk = LabeledExpand(KemSuiteId(), *dkp_prk, "sk", "", kX25519KeyLen);
  if (!sk.ok()) return sk.status();
  return X25519PrivateKey::FromRaw(sk->span());
}

absl::StatusOr<Encapsulation> EncapWithEphemeral(const X25519PublicKey& recipient,
                                                 const X25519PrivateKey& ephemeral,
                                                 const X25519PrivateKey* sender_key) {
  SecretBuilder dh(2 * kX25519KeyLen);
  auto dh_e = ephemeral.Agree(recipient);
  if (!dh_e.ok()) return dh_e.status();
  dh.Add(*dh_e);
  const std::string& enc = ephemeral.public_key().bytes();
  std::string kem_context = enc + recipient.bytes();
  if (sender_key != nullptr) {
    auto dh_s = sender_key->Agree(recipient);
    if (!dh_s.ok()) return dh_s.status();
    dh.Add(*dh_s);
    kem_context += sender_key->public_key().bytes();
  }
  auto shared = ExtractAndExpand(dh, kem_context);
  if (!shared.ok()) return shared.status();
  return Encapsulation{*std::move(shared), enc};
}

absl::StatusOr<SecretBytes> Decap(std::string_view enc, const X25519PrivateKey& recipient,
                                  const X25519PublicKey* sender_public_key) {
  if (enc.size() != kEncLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("HPKE enc must be ", kEncLen, " bytes, got ", enc.size()));
  }
  auto ephemeral_public = X25519PublicKey::FromBytes(enc);
  if (!ephemeral_public.ok()) return ephemeral_public.status();
  SecretBuilder dh(2 * kX25519KeyLen);
  auto dh_e = recipient.Agree(*ephemeral_public);
  if (!dh_e.ok()) return dh_e.status();
  dh.Add(*dh_e);
  std::string kem_context = std::string(enc) + recipient.public_key().bytes();
  if (sender_public_key != nullptr) {
    auto dh_s = recipient.Agree(*sender_public_key);
    if (!dh_s.ok()) return dh_s.status();
    dh.Add(*dh_s);
    kem_context += sender_public_key->bytes();
  }
  return ExtractAndExpand(dh, kem_context);
}

namespace {

// key_schedule_context = mode || psk_id_hash || info_hash depends only on
// public inputs, and callers use the same info and psk_id again and again
// (the envelope always wraps with one info), so each thread remembers the
// last one it computed: two HMACs fewer per setup.
absl::StatusOr<std::string> KeyScheduleContext(AeadId aead, Mode mode, std::string_view info,
                                               std::string_view psk_id) {
  struct Remembered {
    bool valid = false;
    AeadId aead;
    Mode mode;
    std::string info, psk_id, context;
  };
  constexpr size_t kMaxRememberedInput = 1024;
  thread_local Remembered last;
  if (last.valid && last.aead == aead && last.mode == mode && last.info == info &&
      last.psk_id == psk_id) {
    return last.context;
  }
  const std::string suite_id = HpkeSuiteId(aead);
  auto psk_id_hash = LabeledExtract(suite_id, "", "psk_id_hash", psk_id);
  if (!psk_id_hash.ok()) return psk_id_hash.status();
  auto info_hash = LabeledExtract(suite_id, "", "info_hash", info);
  if (!info_hash.ok()) return info_hash.status();
  std::string context;
  context.reserve(1 + 2 * kNh);
  context.push_back(static_cast<char>(mode));
  context.append(psk_id_hash->view());
  context.append(info_hash->view());
  if (info.size() + psk_id.size() <= kMaxRememberedInput) {
    last = Remembered{true, aead, mode, std::string(info), std::string(psk_id), context};
  }
  return context;
}

// RFC 9180 §5.1 KeySchedule. The exporter secret is only derived when asked
// for: single-shot Seal/Open never export.
absl::StatusOr<KeySchedule> Schedule(AeadId aead, Mode mode, const SecretBytes& shared_secret,
                                     std::string_view info, std::string_view psk,
                                     std::string_view psk_id, bool with_exporter) {
  SAMRAD_RETURN_IF_ERROR(CheckAeadId(aead));
  SAMRAD_RETURN_IF_ERROR(ModeFromId(static_cast<uint8_t>(mode)).status());
  SAMRAD_RETURN_IF_ERROR(VerifyPskInputs(mode, psk, psk_id));
  SAMRAD_RETURN_IF_ERROR(CheckInputLen("info", info));
  if (shared_secret.size() != kSharedSecretLen) {
    return absl::InvalidArgumentError("HPKE shared secret must be 32 bytes");
  }
  KeySchedule out;
  auto context = KeyScheduleContext(aead, mode, info, psk_id);
  if (!context.ok()) return context.status();
  out.key_schedule_context = *std::move(context);

  const std::string suite_id = HpkeSuiteId(aead);
  auto secret = LabeledExtract(suite_id, shared_secret.view(), "secret", psk);
  if (!secret.ok()) return secret.status();
  out.secret = *std::move(secret);
  if (aead != AeadId::kExportOnly) {
    auto key = LabeledExpand(suite_id, out.secret, "key", out.key_schedule_context, KeyLen(aead));
    if (!key.ok()) return key.status();
    out.key = *std::move(key);
    auto nonce =
        LabeledExpand(suite_id, out.secret, "base_nonce", out.key_schedule_context, kAeadNonceLen);
    if (!nonce.ok()) return nonce.status();
    out.base_nonce = *std::move(nonce);
  }
  if (with_exporter) {
    auto exporter = LabeledExpand(suite_id, out.secret, "exp", out.key_schedule_context, kNh);
    if (!exporter.ok()) return exporter.status();
    out.exporter_secret = *std::move(exporter);
  }
  return out;
}

}  // namespace

absl::StatusOr<KeySchedule> DeriveKeySchedule(AeadId aead, Mode mode,
                                              const SecretBytes& shared_secret,
                                              std::string_view info, std::string_view psk,
                                              std::string_view psk_id) {
  return Schedule(aead, mode, shared_secret, info, psk, psk_id, /*with_exporter=*/true);
}

// ---- Contexts ----

Context::Context(AeadId aead, KeySchedule schedule)
    : aead_(aead),
      key_(std::move(schedule.key)),
      base_nonce_(std::move(schedule.base_nonce)),
      exporter_secret_(std::move(schedule.exporter_secret)) {}

absl::StatusOr<SecretBytes> Context::Export(std::string_view exporter_context,
                                            size_t length) const {
  SAMRAD_RETURN_IF_ERROR(CheckInputLen("exporter context", exporter_context));
  if (exporter_secret_.size() != kNh) {
    return absl::FailedPreconditionError("HPKE context has no exporter secret (moved from)");
  }
  return LabeledExpand(HpkeSuiteId(aead_), exporter_secret_, "sec", exporter_context, length);
}

absl::StatusOr<SecretBytes> Context::CurrentNonce() const {
  if (aead_ == AeadId::kExportOnly) {
    return absl::FailedPreconditionError("an export-only HPKE context cannot seal or open");
  }
  if (base_nonce_.size() != kAeadNonceLen) {
    return absl::FailedPreconditionError("HPKE context was moved from");
  }
  if (sequence_ == std::numeric_limits<uint64_t>::max()) {
    return absl::ResourceExhaustedError("HPKE context sequence number exhausted");
  }
  SecretBytes nonce = base_nonce_.Clone();
  for (size_t i = 0; i < 8; ++i) {
    nonce.data()[kAeadNonceLen - 1 - i] ^= static_cast<uint8_t>(sequence_ >> (8 * i));
  }
  return nonce;
}

absl::Status Context::IncrementSequence() {
  if (sequence_ == std::numeric_limits<uint64_t>::max()) {
    return absl::ResourceExhaustedError("HPKE context sequence number exhausted");
  }
  ++sequence_;
  return absl::OkStatus();
}

absl::StatusOr<std::string> SenderContext::Seal(std::string_view aad, std::string_view plaintext) {
  auto nonce = CurrentNonce();
  if (!nonce.ok()) return nonce.status();
  auto ct =
      AeadSeal(AlgorithmOf(aead_), key_.span(), nonce->span(), AsBytes(plaintext), AsBytes(aad));
  if (!ct.ok()) return ct.status();
  SAMRAD_RETURN_IF_ERROR(IncrementSequence());
  return ct;
}

absl::StatusOr<std::string> ReceiverContext::Open(std::string_view aad,
                                                  std::string_view ciphertext) {
  auto nonce = CurrentNonce();
  if (!nonce.ok()) return nonce.status();
  auto pt =
      AeadOpen(AlgorithmOf(aead_), key_.span(), nonce->span(), AsBytes(ciphertext), AsBytes(aad));
  if (!pt.ok()) return pt.status();
  SAMRAD_RETURN_IF_ERROR(IncrementSequence());
  return pt;
}

SenderContext MakeSenderContext(AeadId aead, KeySchedule schedule) {
  return SenderContext(aead, std::move(schedule));
}

ReceiverContext MakeReceiverContext(AeadId aead, KeySchedule schedule) {
  return ReceiverContext(aead, std::move(schedule));
}

// ---- Setup ----

namespace {

absl::StatusOr<SenderSetup> SetupSenderImpl(const SenderOptions& options,
                                            const X25519PublicKey& recipient,
                                            const X25519PrivateKey& ephemeral, bool with_exporter) {
  SAMRAD_RETURN_IF_ERROR(CheckSenderOptions(options));
  auto encapsulation = EncapWithEphemeral(recipient, ephemeral, options.sender_key);
  if (!encapsulation.ok()) return encapsulation.status();
  auto schedule = Schedule(options.aead, options.mode, encapsulation->shared_secret, options.info,
                           options.psk, options.psk_id, with_exporter);
  if (!schedule.ok()) return schedule.status();
  return SenderSetup{std::move(encapsulation->enc),
                     MakeSenderContext(options.aead, *std::move(schedule))};
}

absl::StatusOr<ReceiverContext> SetupReceiverImpl(const ReceiverOptions& options,
                                                  std::string_view enc,
                                                  const X25519PrivateKey& recipient,
                                                  bool with_exporter) {
  SAMRAD_RETURN_IF_ERROR(CheckReceiverOptions(options));
  auto shared = Decap(enc, recipient, options.sender_public_key);
  if (!shared.ok()) return shared.status();
  auto schedule = Schedule(options.aead, options.mode, *shared, options.info, options.psk,
                           options.psk_id, with_exporter);
  if (!schedule.ok()) return schedule.status();
  return MakeReceiverContext(options.aead, *std::move(schedule));
}

}  // namespace

absl::StatusOr<SenderSetup> SetupSender(const SenderOptions& options,
                                        const X25519PublicKey& recipient, RandomSource& rng) {
  SAMRAD_RETURN_IF_ERROR(CheckSenderOptions(options));
  X25519PrivateKey ephemeral = X25519PrivateKey::Generate(rng);
  return SetupSenderImpl(options, recipient, ephemeral, /*with_exporter=*/true);
}

absl::StatusOr<SenderSetup> SetupSenderWithEphemeral(const SenderOptions& options,
                                                     const X25519PublicKey& recipient,
                                                     const X25519PrivateKey& ephemeral) {
  return SetupSenderImpl(options, recipient, ephemeral, /*with_exporter=*/true);
}

absl::StatusOr<ReceiverContext> SetupReceiver(const ReceiverOptions& options, std::string_view enc,
                                              const X25519PrivateKey& recipient) {
  return SetupReceiverImpl(options, enc, recipient, /*with_exporter=*/true);
}

// ---- Single-shot ----

absl::StatusOr<Sealed> Seal(const SenderOptions& options, const X25519PublicKey& recipient,
                            std::string_view aad, std::string_view plaintext, RandomSource& rng) {
  SAMRAD_RETURN_IF_ERROR(CheckSenderOptions(options));
  X25519PrivateKey ephemeral = X25519PrivateKey::Generate(rng);
  return SealWithEphemeral(options, recipient, aad, plaintext, ephemeral);
}

absl::StatusOr<Sealed> SealWithEphemeral(const SenderOptions& options,
                                         const X25519PublicKey& recipient, std::string_view aad,
                                         std::string_view plaintext,
                                         const X25519PrivateKey& ephemeral) {
  auto setup = SetupSenderImpl(options, recipient, ephemeral, /*with_exporter=*/false);
  if (!setup.ok()) return setup.status();
  auto ct = setup->context.Seal(aad, plaintext);
  if (!ct.ok()) return ct.status();
  return Sealed{std::move(setup->enc), *std::move(ct)};
}

absl::StatusOr<std::string> Open(const ReceiverOptions& options, const X25519PrivateKey& recipient,
                                 std::string_view enc, std::string_view aad,
                                 std::string_view ciphertext) {
  auto context = SetupReceiverImpl(options, enc, recipient, /*with_exporter=*/false);
  if (!context.ok()) return context.status();
  return context->Open(aad, ciphertext);
}

absl::StatusOr<SentExport> SendExport(const SenderOptions& options,
                                      const X25519PublicKey& recipient,
                                      std::string_view exporter_context, size_t length,
                                      RandomSource& rng) {
  auto setup = SetupSender(options, recipient, rng);
  if (!setup.ok()) return setup.status();
  auto secret = setup->context.Export(exporter_context, length);
  if (!secret.ok()) return secret.status();
  return SentExport{std::move(setup->enc), *std::move(secret)};
}

absl::StatusOr<SecretBytes> ReceiveExport(const ReceiverOptions& options,
                                          const X25519PrivateKey& recipient, std::string_view enc,
                                          std::string_view exporter_context, size_t length) {
  auto context = SetupReceiver(options, enc, recipient);
  if (!context.ok()) return context.status();
  return context->Export(exporter_context, length);
}

}  // namespace samrad::crypto::hpke
