#include "crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "crypto/openssl_util.h"

namespace samrad::crypto {

namespace internal {

const EVP_MD* Sha256Md() {
  static const EVP_MD* const kMd = [] {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    SAMRAD_CHECK(md != nullptr, "OpenSSL provides no SHA-256");
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
  return std::make_pair(std::make_shared<const PkeyHandle>(std::move(pkey), nullptr),
                        std::move(pub));
}

// ---- X25519 key import without OpenSSL's slow public-key derivation ----
//
// Importing an X25519 private key alone makes OpenSSL 3.0 compute its public
// key with generic Edwards-curve code, about twice the cost of the (assembly)
// X25519 ladder behind EVP_PKEY_derive. The public key is X25519(k, 9)
// (RFC 7748 §6.1), so we compute it with a derive instead and import both
// instead. A key then keeps only a derive-initialised context, which each
// Agree duplicates: that skips the algorithm lookups of EVP_PKEY_CTX_new and
// EVP_PKEY_derive_init.

constexpr uint8_t kX25519BasePoint[kX25519KeyLen] = {9};

// A per-thread EVP_PKEY_CTX ready for EVP_PKEY_fromdata on X25519 keys (the
// key manager is fetched once per thread instead of once per key).
EVP_PKEY_CTX* X25519FromdataCtx() {
  thread_local const UniquePkeyCtx ctx = [] {
    UniquePkeyCtx c(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
    if (c && EVP_PKEY_fromdata_init(c.get()) != 1) c.reset();
    return c;
  }();
  return ctx.get();
}

absl::StatusOr<UniquePkey> X25519FromData(const uint8_t* priv, const uint8_t* pub) {
  EVP_PKEY_CTX* ctx = X25519FromdataCtx();
  if (ctx == nullptr) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL provides no X25519 key manager"));
  }
  OSSL_PARAM params[3];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  const_cast<uint8_t*>(pub), kX25519KeyLen);
  if (priv != nullptr) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
                                                    const_cast<uint8_t*>(priv), kX25519KeyLen);
  }
  params[n] = OSSL_PARAM_construct_end();
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx, &pkey, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL refused a raw X25519 key"));
  }
  return UniquePkey(pkey);
}

absl::StatusOr<UniquePkeyCtx> NewDeriveCtx(EVP_PKEY* pkey) {
  UniquePkeyCtx ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL X25519 derive setup failed"));
  }
  return ctx;
}

// A per-thread public-key object that each derivation points at its peer
// (EVP_PKEY_set1_encoded_public_key takes 0.04 us; a new EVP_PKEY takes 2 us
// of name lookups). Only X25519Derive uses it, and never re-entrantly; the
// derive context that references it is freed before it changes again.
EVP_PKEY* ScratchPeer() {
  thread_local const UniquePkey peer = [] {
    auto key = X25519FromData(nullptr, kX25519BasePoint);
    return key.ok() ? *std::move(key) : UniquePkey();
  }();
  return peer.get();
}

// X25519 of the key behind `derive_template` and the raw `peer` u-coordinate.
// INVALID_ARGUMENT for an all-zero result.
absl::Status X25519Derive(const EVP_PKEY_CTX* derive_template, const uint8_t* peer,
                          absl::Span<uint8_t> out) {
  EVP_PKEY* peer_key = ScratchPeer();
  if (peer_key == nullptr || EVP_PKEY_set1_encoded_public_key(peer_key, peer, kX25519KeyLen) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL refused an X25519 public key"));
  }
  UniquePkeyCtx ctx(EVP_PKEY_CTX_dup(derive_template));
  if (!ctx) return ClearErrorsAnd(absl::ResourceExhaustedError("EVP_PKEY_CTX_dup failed"));
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer_key, /*validate_peer=*/0) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL X25519 setup failed"));
  }
  // Every 32-byte string is a valid u-coordinate (RFC 7748 §5); the only
  // rejected peers are those with an all-zero result, which OpenSSL refuses
  // and which is checked again below.
  size_t len = out.size();
  const absl::Status low_order = absl::InvalidArgumentError(
      "X25519 produced an all-zero shared secret: the peer public key has low order");
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != kX25519KeyLen) {
    return ClearErrorsAnd(low_order);
  }
  static constexpr uint8_t kZeros[kX25519KeyLen] = {};
  if (CRYPTO_memcmp(out.data(), kZeros, kX25519KeyLen) == 0) return low_order;
  return absl::OkStatus();
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
  SAMRAD_CHECK(EVP_Digest(data.data(), data.size(), reinterpret_cast<uint8_t*>(out.data()), &len,
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
  SAMRAD_CHECK(key.ok(), "OpenSSL could not import a fresh X25519 key");
  return *std::move(key);
}

absl::StatusOr<X25519PrivateKey> X25519PrivateKey::FromRaw(absl::Span<const uint8_t> raw) {
  if (absl::Status s = CheckLength("X25519 private key", raw.size(), kX25519KeyLen); !s.ok()) {
    return s;
  }
  // Import the scalar with a placeholder public half (so OpenSSL does not
  // compute one), then compute the real public key as X25519(k, 9). The
  // context keeps this key: derivation reads only the scalar, and nothing
  // ever reads the placeholder.
  auto pkey = X25519FromData(raw.data(), kX25519BasePoint);
  if (!pkey.ok()) return pkey.status();
  auto derive_ctx = NewDeriveCtx(pkey->get());
  if (!derive_ctx.ok()) return derive_ctx.status();
  std::string pub(kX25519KeyLen, '\0');
  if (absl::Status s =
          X25519Derive(derive_ctx->get(), kX25519BasePoint,
                       absl::MakeSpan(reinterpret_cast<uint8_t*>(pub.data()), pub.size()));
      !s.ok()) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL could not compute an X25519 public key"));
  }
  auto handle = std::make_shared<const PkeyHandle>(nullptr, *std::move(derive_ctx));
  auto public_key = X25519PublicKey::FromBytes(pub);
  if (!public_key.ok()) return public_key.status();
  return X25519PrivateKey(SecretBytes(raw), *std::move(public_key), std::move(handle));
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
  SecretBytes shared(kX25519KeyLen);
  if (absl::Status s = X25519Derive(pkey_->derive_template(),
                                    reinterpret_cast<const uint8_t*>(peer.bytes().data()),
                                    shared.mutable_span());
      !s.ok()) {
    return s;
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
  SAMRAD_CHECK(key.ok(), "OpenSSL could not import a fresh Ed25519 key");
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
  SAMRAD_CHECK(pkey_ != nullptr, "Sign on a moved-from Ed25519PrivateKey");
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  SAMRAD_CHECK(ctx != nullptr, "EVP_MD_CTX_new failed");
  std::string signature(kEd25519SignatureLen, '\0');
  size_t len = signature.size();
  SAMRAD_CHECK(
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_->get()) == 1 &&
          EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(signature.data()), &len,
                         reinterpret_cast<const uint8_t*>(message.data()), message.size()) == 1 &&
          len == kEd25519SignatureLen,
      "OpenSSL Ed25519 signing failed");
  return signature;
}

}  // namespace samrad::crypto
