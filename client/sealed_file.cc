#include "client/sealed_file.h"

#include <argon2.h>

#include "absl/strings/str_cat.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "crypto/aead.h"
#include "crypto/keys.h"

namespace samrad::client {
namespace {

using crypto::SecretBytes;

absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

constexpr uint8_t kFormatVersion = 1;
constexpr uint8_t kKdfArgon2id = 1;
constexpr size_t kSaltLen = 16;
constexpr size_t kCheckLen = 32;
constexpr size_t kKeyLen = 32;
constexpr size_t kDigestOffset = 72;
constexpr size_t kDigestLen = 16;
constexpr size_t kNonceOffset = 88;
constexpr size_t kCiphertextLenOffset = 100;
constexpr size_t kMaxCiphertextLen = 256u * 1024 * 1024;

void PutU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

uint32_t GetU32(absl::string_view in, size_t offset) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data() + offset);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// 64 bytes: AES key || passphrase check.
absl::StatusOr<SecretBytes> DeriveKeyMaterial(const SecretBytes& passphrase, absl::string_view salt,
                                              const Argon2Params& params) {
  SecretBytes out(kKeyLen + kCheckLen);
  int rc =
      argon2id_hash_raw(params.time_cost, params.memory_kib, params.parallelism, passphrase.data(),
                        passphrase.size(), salt.data(), salt.size(), out.data(), out.size());
  if (rc != ARGON2_OK) {
    return absl::ResourceExhaustedError(
        absl::StrCat("Argon2id key derivation failed: ", argon2_error_message(rc)));
  }
  return out;
}

std::string HeaderDigest(absl::string_view header_prefix) {
  return crypto::Sha256(std::string_view(header_prefix.data(), header_prefix.size()))
      .substr(0, kDigestLen);
}

struct Header {
  Argon2Params params;
  absl::string_view salt;
  absl::string_view check;
  absl::string_view nonce;
  absl::string_view aad;
  absl::string_view ciphertext;
};

absl::StatusOr<Header> ParseHeader(absl::string_view magic, absl::string_view bytes) {
  if (bytes.size() < kSealedHeaderLen + crypto::kAeadTagLen) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzFileTruncated);
  }
  if (bytes.substr(0, kSealedMagicLen) != magic) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzFileWrongKind);
  }
  if (!crypto::ConstantTimeEquals(AsBytes(HeaderDigest(bytes.substr(0, kDigestOffset))),
                                  AsBytes(bytes.substr(kDigestOffset, kDigestLen)))) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzFileHeaderDamaged);
  }
  if (static_cast<uint8_t>(bytes[8]) != kFormatVersion ||
      static_cast<uint8_t>(bytes[9]) != kKdfArgon2id || bytes[10] != 0 || bytes[11] != 0) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzFileUnknownVersion);
  }
  Header h;
  h.params.time_cost = GetU32(bytes, 12);
  h.params.memory_kib = GetU32(bytes, 16);
  h.params.parallelism = GetU32(bytes, 20);
  if (!ValidateArgon2Params(h.params).ok()) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzFileParamsOutOfRange);
  }
  h.salt = bytes.substr(24, kSaltLen);
  h.check = bytes.substr(40, kCheckLen);
  h.nonce = bytes.substr(kNonceOffset, crypto::kAeadNonceLen);
  uint32_t ct_len = GetU32(bytes, kCiphertextLenOffset);
  if (ct_len < crypto::kAeadTagLen || ct_len > kMaxCiphertextLen ||
      bytes.size() != kSealedHeaderLen + ct_len) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzFileTruncatedOrExtra);
  }
  h.aad = bytes.substr(0, kSealedHeaderLen);
  h.ciphertext = bytes.substr(kSealedHeaderLen);
  return h;
}

}  // namespace

// Stays English: the parameters come from this program (a file's header is
// checked in ParseHeader, localized), so only a bug gets here.
absl::Status ValidateArgon2Params(const Argon2Params& p) {
  if (p.time_cost < 1 || p.time_cost > 64) {
    return absl::InvalidArgumentError("Argon2 time cost must be 1..64");
  }
  if (p.parallelism < 1 || p.parallelism > 16) {
    return absl::InvalidArgumentError("Argon2 parallelism must be 1..16");
  }
  if (p.memory_kib < 8 * p.parallelism || p.memory_kib > 2u * 1024 * 1024) {
    return absl::InvalidArgumentError("Argon2 memory must be 8*parallelism KiB .. 2 GiB");
  }
  return absl::OkStatus();
}

absl::StatusOr<SealingKey> NewSealingKey(const SecretBytes& passphrase, const Argon2Params& params,
                                         crypto::RandomSource& rng) {
  if (passphrase.empty())
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzPassphraseEmpty);
  if (absl::Status s = ValidateArgon2Params(params); !s.ok()) return s;
  SealingKey key;
  key.salt = crypto::RandomString(kSaltLen, rng);
  key.params = params;
  absl::StatusOr<SecretBytes> material = DeriveKeyMaterial(passphrase, key.salt, params);
  if (!material.ok()) return material.status();
  key.material = std::move(*material);
  return key;
}

absl::StatusOr<SealingKey> DeriveSealingKey(absl::string_view magic, absl::string_view file_bytes,
                                            const SecretBytes& passphrase) {
  absl::StatusOr<Header> h = ParseHeader(magic, file_bytes);
  if (!h.ok()) return h.status();
  absl::StatusOr<SecretBytes> material = DeriveKeyMaterial(passphrase, h->salt, h->params);
  if (!material.ok()) return material.status();
  return SealingKeyForFile(magic, file_bytes, std::move(*material));
}

absl::StatusOr<SealingKey> SealingKeyForFile(absl::string_view magic, absl::string_view file_bytes,
                                             SecretBytes material) {
  if (material.size() != kSealingKeyMaterialLen) {  // a bug: English on purpose
    return absl::InvalidArgumentError("sealing key material must be 64 bytes");
  }
  absl::StatusOr<Header> h = ParseHeader(magic, file_bytes);
  if (!h.ok()) return h.status();
  if (!crypto::ConstantTimeEquals(material.span().subspan(kKeyLen, kCheckLen), AsBytes(h->check))) {
    return Localized(absl::StatusCode::kUnauthenticated, Msg::kLzPassphraseWrong);
  }
  return SealingKey{std::move(material), std::string(h->salt), h->params};
}

// The malformed-argument texts below stay English: only a bug can provoke
// them (the size limit is checked before sealing by the commands).
absl::StatusOr<std::string> SealWithKey(absl::string_view magic, absl::string_view plaintext,
                                        const SealingKey& key, crypto::RandomSource& rng) {
  if (magic.size() != kSealedMagicLen) {
    return absl::InvalidArgumentError("sealed-file magic must be 8 bytes");
  }
  if (key.material.size() != kSealingKeyMaterialLen || key.salt.size() != kSaltLen) {
    return absl::InvalidArgumentError("malformed sealing key");
  }
  if (absl::Status s = ValidateArgon2Params(key.params); !s.ok()) return s;
  if (plaintext.size() + crypto::kAeadTagLen > kMaxCiphertextLen) {
    return absl::ResourceExhaustedError("the contents are too large to seal");
  }
  const std::string nonce = crypto::RandomString(crypto::kAeadNonceLen, rng);
  std::string out(magic);
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(static_cast<char>(kKdfArgon2id));
  out.push_back(0);
  out.push_back(0);
  PutU32(out, key.params.time_cost);
  PutU32(out, key.params.memory_kib);
  PutU32(out, key.params.parallelism);
  out += key.salt;
  out.append(key.material.view().substr(kKeyLen, kCheckLen));
  out += HeaderDigest(out);
  out += nonce;
  PutU32(out, static_cast<uint32_t>(plaintext.size() + crypto::kAeadTagLen));
  absl::StatusOr<std::string> ct =
      crypto::AeadSeal(crypto::AeadAlgorithm::kAes256Gcm, key.material.span().subspan(0, kKeyLen),
                       AsBytes(nonce), AsBytes(plaintext), AsBytes(out));
  if (!ct.ok()) return ct.status();
  out += *ct;
  return out;
}

absl::StatusOr<std::string> SealWithPassphrase(absl::string_view magic, absl::string_view plaintext,
                                               const SecretBytes& passphrase,
                                               const Argon2Params& params,
                                               crypto::RandomSource& rng) {
  if (magic.size() != kSealedMagicLen) {
    return absl::InvalidArgumentError("sealed-file magic must be 8 bytes");
  }
  absl::StatusOr<SealingKey> key = NewSealingKey(passphrase, params, rng);
  if (!key.ok()) return key.status();
  return SealWithKey(magic, plaintext, *key, rng);
}

absl::StatusOr<Argon2Params> ReadSealedParams(absl::string_view magic,
                                              absl::string_view file_bytes) {
  absl::StatusOr<Header> h = ParseHeader(magic, file_bytes);
  if (!h.ok()) return h.status();
  return h->params;
}

absl::Status CheckSealingKey(absl::string_view magic, absl::string_view file_bytes,
                             const SealingKey& key) {
  absl::StatusOr<Header> h = ParseHeader(magic, file_bytes);
  if (!h.ok()) return h.status();
  if (key.material.size() != kSealingKeyMaterialLen || key.salt != h->salt ||
      key.params.time_cost != h->params.time_cost ||
      key.params.memory_kib != h->params.memory_kib ||
      key.params.parallelism != h->params.parallelism ||
      !crypto::ConstantTimeEquals(key.material.span().subspan(kKeyLen, kCheckLen),
                                  AsBytes(h->check))) {
    return Localized(absl::StatusCode::kUnauthenticated, Msg::kLzKeyDoesNotOpen);
  }
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> OpenWithKey(absl::string_view magic, absl::string_view file_bytes,
                                        const SealingKey& key) {
  if (absl::Status s = CheckSealingKey(magic, file_bytes, key); !s.ok()) return s;
  absl::StatusOr<Header> h = ParseHeader(magic, file_bytes);
  if (!h.ok()) return h.status();
  absl::StatusOr<std::string> plain =
      crypto::AeadOpen(crypto::AeadAlgorithm::kAes256Gcm, key.material.span().subspan(0, kKeyLen),
                       AsBytes(h->nonce), AsBytes(h->ciphertext), AsBytes(h->aad));
  if (!plain.ok()) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzFileDamaged);
  }
  SecretBytes out = SecretBytes::FromString(*plain);
  WipeString(*plain);
  return out;
}

absl::StatusOr<SecretBytes> OpenWithPassphrase(absl::string_view magic,
                                               absl::string_view file_bytes,
                                               const SecretBytes& passphrase) {
  absl::StatusOr<SealingKey> key = DeriveSealingKey(magic, file_bytes, passphrase);
  if (!key.ok()) return key.status();
  return OpenWithKey(magic, file_bytes, *key);
}

}  // namespace samrad::client
