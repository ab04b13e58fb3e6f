#include "crypto/keys.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/openssl_util.h"

namespace samrad::crypto {

namespace internal {

const EVP_MD* Sha256Md() {
  static const EVP_MD* const kMd = [] {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    ABSL_RAW_CHECK(md != nullptr, "OpenSSL provides no SHA-256");
    return md;
  }();
  return kMd;
}

absl::Status ClearErrorsAnd(absl::Status status) {
  ERR_clear_error();
  return status;
}

}  // namespace internal

namespace {

using internal::ClearErrorsAnd;
using internal::PkeyHandle;
using internal::UniqueMdCtx;
using internal::UniquePkey;
using internal::UniquePkeyCtx;

constexpr uint8_t kSerializationVersion = 1;
constexpr uint8_t kTypeX25519Private = 1;
constexpr uint8_t kTypeEd25519Private = 2;
constexpr size_t kSerializedLen = 2 + 32;

absl::Status CheckLength(std::string_view what, size_t got, size_t want) {
  if (got == want) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(what), " must be ", want, " bytes, got ", got));
}

// Imports a raw private key of `type` and reads back its public half.
absl::StatusOr<std::pair<std::shared_ptr<const PkeyHandle>, std::string>> ImportPrivate(
    int type, absl::Span<const uint8_t> raw) {
  UniquePkey pkey(EVP_PKEY_new_raw_private_key(type, nullptr, raw.data(), raw.size()));
  if (!pkey) return ClearErrorsAnd(absl::InternalError("OpenSSL refused a raw private key"));
  std::string pub(32, '\0');
  size_t pub_len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<uint8_t*>(pub.data()), &pub_len) !=
          1 ||
      pub_len != 32) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL could not compute a public key"));
  }
  return std::make_pair(std::make_shared<const PkeyHandle>(std::move(pkey)), std::move(pub));
}

// Checks the versioned private key form and returns the 32 raw bytes.
absl::StatusOr<absl::Span<const uint8_t>> ParseSerialized(absl::Span<const uint8_t> bytes,
                                                          uint8_t want_type,
                                                          std::string_view type_name) {
  if (bytes.empty()) return absl::InvalidArgumentError("serialized private key is empty");
  if (bytes[0] != kSerializationVersion) {
    return absl::UnimplementedError(absl::StrCat("serialized ", std::string(type_name),
                                                 " private key has unknown format version ",
                                                 int{bytes[0]}, " (this build reads version 1)"));
  }
  if (bytes.size() != kSerializedLen) {
    return absl::InvalidArgumentError(absl::StrCat("serialized ", std::string(type_name),
                                                   " private key must be ", kSerializedLen,
                                                   " bytes, got ", bytes.size()));
  }
  if (bytes[1] != want_type) {
    return absl::InvalidArgumentError(absl::StrCat("serialized key is of type ", int{bytes[1]},
                                                   ", not a ", std::string(type_name),
                                                   " private key (type ", int{want_type}, ")"));
  }
  return bytes.subspan(2);
}

SecretBytes Serialized(uint8_t type, const SecretBytes& raw) {
  SecretBytes out(kSerializedLen);
  out.data()[0] = kSerializationVersion;
  out.data()[1] = type;
  std::copy(raw.span().begin(), raw.span().end(), out.data() + 2);
  return out;
}

std::string KeyIdOf(std::string_view raw) { return Sha256(raw).substr(0, kKeyIdLen); }

}  // namespace

std::string Sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  ABSL_RAW_CHECK(EVP_Digest(data.data(), data.size(), reinterpret_cast<uint8_t*>(out.data()), &len,
                            internal::Sha256Md(), nullptr) == 1 &&
                     len == 32,
                 "OpenSSL SHA-256 failed");
  return out;
}

// ---- X25519 ----

absl::StatusOr<X25519PublicKey> X25519PublicKey::FromBytes(std::string_view raw) {
  if (absl::Status s = CheckLength("X25519 public key", raw.size(), kX25519KeyLen); !s.ok()) {
    return s;
  }
  return X25519PublicKey(std::string(raw));
}

std::string X25519PublicKey::KeyId() const { return KeyIdOf(raw_); }

X25519PrivateKey X25519PrivateKey::Generate(RandomSource& rng) {
  SecretBytes raw(kX25519KeyLen);
  rng.Fill(raw.mutable_span());
  absl::StatusOr<X25519PrivateKey> key = FromRaw(raw.span());
  ABSL_RAW_CHECK(key.ok(), "OpenSSL could not import a fresh X25519 key");
  return *std::move(key);
}

absl::StatusOr<X25519PrivateKey> X25519PrivateKey::FromRaw(absl::Span<const uint8_t> raw) {
  if (absl::Status s = CheckLength("X25519 private key", raw.size(), kX25519KeyLen); !s.ok()) {
    return s;
  }
  auto imported = ImportPrivate(EVP_PKEY_X25519, raw);
  if (!imported.ok()) return imported.status();
  auto pub = X25519PublicKey::FromBytes(imported->second);
  if (!pub.ok()) return pub.status();
  return X25519PrivateKey(SecretBytes(raw), *std::move(pub), std::move(imported->first));
}

absl::StatusOr<X25519PrivateKey> X25519PrivateKey::Deserialize(absl::Span<const uint8_t> bytes) {
  auto raw = ParseSerialized(bytes, kTypeX25519Private, "X25519");
  if (!raw.ok()) return raw.status();
  return FromRaw(*raw);
}

SecretBytes X25519PrivateKey::Serialize() const { return Serialized(kTypeX25519Private, raw_); }

X25519PrivateKey X25519PrivateKey::Clone() const {
  return X25519PrivateKey(raw_.Clone(), public_, pkey_);
}

absl::StatusOr<SecretBytes> X25519PrivateKey::Agree(const X25519PublicKey& peer) const {
  if (pkey_ == nullptr) return absl::FailedPreconditionError("X25519 key was moved from");
  UniquePkey peer_key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const uint8_t*>(peer.bytes().data()),
      peer.bytes().size()));
  if (!peer_key) return ClearErrorsAnd(absl::InvalidArgumentError("bad X25519 public key"));
  UniquePkeyCtx ctx(EVP_PKEY_CTX_new(pkey_->get(), nullptr));
  if (!ctx) return ClearErrorsAnd(absl::ResourceExhaustedError("EVP_PKEY_CTX_new failed"));
  SecretBytes shared(kX25519KeyLen);
  size_t len = shared.size();
  // Every 32-byte string is a valid u-coordinate (RFC 7748 §5); the only
  // rejected peers are those with an all-zero result, which OpenSSL refuses.
  if (EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer_key.get(), /*validate_peer=*/0) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL X25519 setup failed"));
  }
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != kX25519KeyLen) {
    return ClearErrorsAnd(absl::InvalidArgumentError(
        "X25519 produced an all-zero shared secret: the peer public key has low order"));
  }
  static constexpr uint8_t kZeros[kX25519KeyLen] = {};
  if (CRYPTO_memcmp(shared.data(), kZeros, kX25519KeyLen) == 0) {
    return absl::InvalidArgumentError(
        "X25519 produced an all-zero shared secret: the peer public key has low order");
  }
  return shared;
}

// ---- Ed25519 ----

absl::StatusOr<Ed25519PublicKey> Ed25519PublicKey::FromBytes(std::string_view raw) {
  if (absl::Status s = CheckLength("Ed25519 public key", raw.size(), kEd25519KeyLen); !s.ok()) {
    return s;
  }
  return Ed25519PublicKey(std::string(raw));
}

std::string Ed25519PublicKey::KeyId() const { return KeyIdOf(raw_); }

absl::Status Ed25519PublicKey::Verify(std::string_view message, std::string_view signature) const {
  const absl::Status denied = absl::PermissionDeniedError("signature does not verify");
  if (signature.size() != kEd25519SignatureLen) return denied;
  UniquePkey pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const uint8_t*>(raw_.data()), raw_.size()));
  if (!pkey) return ClearErrorsAnd(denied);
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return ClearErrorsAnd(absl::ResourceExhaustedError("EVP_MD_CTX_new failed"));
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return ClearErrorsAnd(denied);
  }
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const uint8_t*>(signature.data()),
                       signature.size(), reinterpret_cast<const uint8_t*>(message.data()),
                       message.size()) != 1) {
    return ClearErrorsAnd(denied);
  }
  return absl::OkStatus();
}

Ed25519PrivateKey Ed25519PrivateKey::Generate(RandomSource& rng) {
  SecretBytes seed(kEd25519KeyLen);
  rng.Fill(seed.mutable_span());
  absl::StatusOr<Ed25519PrivateKey> key = FromSeed(seed.span());
  ABSL_RAW_CHECK(key.ok(), "OpenSSL could not import a fresh Ed25519 key");
  return *std::move(key);
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(absl::Span<const uint8_t> seed) {
  if (absl::Status s = CheckLength("Ed25519 seed", seed.size(), kEd25519KeyLen); !s.ok()) {
    return s;
  }
  auto imported = ImportPrivate(EVP_PKEY_ED25519, seed);
  if (!imported.ok()) return imported.status();
  auto pub = Ed25519PublicKey::FromBytes(imported->second);
  if (!pub.ok()) return pub.status();
  return Ed25519PrivateKey(SecretBytes(seed), *std::move(pub), std::move(imported->first));
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::Deserialize(absl::Span<const uint8_t> bytes) {
  auto seed = ParseSerialized(bytes, kTypeEd25519Private, "Ed25519");
  if (!seed.ok()) return seed.status();
  return FromSeed(*seed);
}

SecretBytes Ed25519PrivateKey::Serialize() const { return Serialized(kTypeEd25519Private, seed_); }

Ed25519PrivateKey Ed25519PrivateKey::Clone() const {
  return Ed25519PrivateKey(seed_.Clone(), public_, pkey_);
}

std::string Ed25519PrivateKey::Sign(std::string_view message) const {
  ABSL_RAW_CHECK(pkey_ != nullptr, "Sign on a moved-from Ed25519PrivateKey");
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  ABSL_RAW_CHECK(ctx != nullptr, "EVP_MD_CTX_new failed");
  std::string signature(kEd25519SignatureLen, '\0');
  size_t len = signature.size();
  ABSL_RAW_CHECK(
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_->get()) == 1 &&
          EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(signature.data()), &len,
                         reinterpret_cast<const uint8_t*>(message.data()), message.size()) == 1 &&
          len == kEd25519SignatureLen,
      "OpenSSL Ed25519 signing failed");
  return signature;
}

}  // namespace samrad::crypto
