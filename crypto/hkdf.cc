#include "crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/status_macros.h"
#include "crypto/openssl_util.h"

namespace samrad::crypto {
namespace {

using internal::ClearErrorsAnd;
using internal::UniqueMacCtx;

// HKDF is built here from HMAC-SHA256 (RFC 5869 §2.2-2.3) rather than on
// EVP_KDF "HKDF": in OpenSSL 3.0 every HKDF extract fetches HMAC and SHA-256
// by name internally and an HKDF context cannot be duplicated, which made it
// cost 2-4 us per call against 0.9 us for a duplicated HMAC context; HPKE runs
// eight of these per seal or open (docs/benchmarks/crypto.md). Both are
// checked against the Wycheproof HKDF-SHA-256 vectors and RFC 9180.
//
// The template is an HMAC-SHA256 context without a key, made once per
// process; each operation duplicates it (a copy, no lookups) and keys it.
const EVP_MAC_CTX* HmacSha256Template() {
  static EVP_MAC_CTX* const kTemplate = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    SAMRAD_CHECK(mac != nullptr, "OpenSSL provides no HMAC");
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    SAMRAD_CHECK(ctx != nullptr, "EVP_MAC_CTX_new failed");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    SAMRAD_CHECK(EVP_MAC_CTX_set_params(ctx, params) == 1, "HMAC refused SHA-256");
    return ctx;
  }();
  return kTemplate;
}

// HMAC-SHA256 keyed with HashLen zero bytes, the salt of every unsalted
// extract (HPKE's eae_prk, dkp_prk, psk_id_hash, info_hash), made once.
const EVP_MAC_CTX* ZeroKeyedTemplate() {
  static EVP_MAC_CTX* const kTemplate = [] {
    static constexpr uint8_t kZeroSalt[kSha256Len] = {};
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(HmacSha256Template());
    SAMRAD_CHECK(ctx != nullptr && EVP_MAC_init(ctx, kZeroSalt, sizeof(kZeroSalt), nullptr) == 1,
                 "HMAC-SHA256 setup failed");
    return ctx;
  }();
  return kTemplate;
}

// A fresh HMAC-SHA256 context keyed with `key` (non-empty).
absl::StatusOr<UniqueMacCtx> KeyedHmac(absl::Span<const uint8_t> key) {
  UniqueMacCtx ctx(EVP_MAC_CTX_dup(HmacSha256Template()));
  if (!ctx) return ClearErrorsAnd(absl::ResourceExhaustedError("EVP_MAC_CTX_dup failed"));
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), nullptr) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL HMAC-SHA256 key setup failed"));
  }
  return ctx;
}

absl::Status Update(EVP_MAC_CTX* ctx, absl::Span<const uint8_t> data) {
  if (!data.empty() && EVP_MAC_update(ctx, data.data(), data.size()) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL HMAC-SHA256 update failed"));
  }
  return absl::OkStatus();
}

absl::Status Final(EVP_MAC_CTX* ctx, uint8_t* out) {
  size_t len = 0;
  if (EVP_MAC_final(ctx, out, &len, kSha256Len) != 1 || len != kSha256Len) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL HMAC-SHA256 failed"));
  }
  return absl::OkStatus();
}

absl::Status CheckExpandLength(size_t length) {
  if (length == 0 || length > kHkdfSha256MaxOutputLen) {
    return absl::InvalidArgumentError(absl::StrCat("HKDF-SHA256 output length must be 1..",
                                                   kHkdfSha256MaxOutputLen, ", got ", length));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SecretBytes> HkdfSha256Extract(absl::Span<const uint8_t> salt,
                                              absl::Span<const uint8_t> ikm) {
  // RFC 5869 §2.2: no salt means HashLen zero bytes (HMAC pads keys with
  // zeros, so this equals an empty key).
  absl::StatusOr<UniqueMacCtx> ctx;
  if (salt.empty()) {
    ctx = UniqueMacCtx(EVP_MAC_CTX_dup(ZeroKeyedTemplate()));
    if (*ctx == nullptr) {
      return ClearErrorsAnd(absl::ResourceExhaustedError("EVP_MAC_CTX_dup failed"));
    }
  } else {
    ctx = KeyedHmac(salt);
    if (!ctx.ok()) return ctx.status();
  }
  SecretBytes prk(kSha256Len);
  SAMRAD_RETURN_IF_ERROR(Update(ctx->get(), ikm));
  SAMRAD_RETURN_IF_ERROR(Final(ctx->get(), prk.data()));
  return prk;
}

absl::StatusOr<SecretBytes> HkdfSha256Expand(absl::Span<const uint8_t> prk,
                                             absl::Span<const uint8_t> info, size_t length) {
  SAMRAD_RETURN_IF_ERROR(CheckExpandLength(length));
  if (prk.size() < kSha256Len) {
    return absl::InvalidArgumentError(
        absl::StrCat("HKDF-SHA256 PRK must be at least 32 bytes, got ", prk.size()));
  }
  auto keyed = KeyedHmac(prk);
  if (!keyed.ok()) return keyed.status();
  SecretBytes okm(length);
  SecretBytes block(kSha256Len);  // T(i)
  const size_t blocks = (length + kSha256Len - 1) / kSha256Len;
  for (size_t i = 1; i <= blocks; ++i) {
    // The last block may use the keyed context itself; others use a copy.
    UniqueMacCtx copy;
    EVP_MAC_CTX* ctx = keyed->get();
    if (i < blocks) {
      copy.reset(EVP_MAC_CTX_dup(keyed->get()));
      if (!copy) return ClearErrorsAnd(absl::ResourceExhaustedError("EVP_MAC_CTX_dup failed"));
      ctx = copy.get();
    }
    const uint8_t counter = static_cast<uint8_t>(i);
    if (i > 1) {
      SAMRAD_RETURN_IF_ERROR(Update(ctx, block.span()));
    }
    SAMRAD_RETURN_IF_ERROR(Update(ctx, info));
    SAMRAD_RETURN_IF_ERROR(Update(ctx, absl::MakeConstSpan(&counter, 1)));
    SAMRAD_RETURN_IF_ERROR(Final(ctx, block.data()));
    const size_t offset = (i - 1) * kSha256Len;
    const size_t n = std::min(kSha256Len, length - offset);
    std::copy_n(block.data(), n, okm.data() + offset);
  }
  return okm;
}

absl::StatusOr<SecretBytes> HkdfSha256(absl::Span<const uint8_t> salt,
                                       absl::Span<const uint8_t> ikm,
                                       absl::Span<const uint8_t> info, size_t length) {
  SAMRAD_RETURN_IF_ERROR(CheckExpandLength(length));
  auto prk = HkdfSha256Extract(salt, ikm);
  if (!prk.ok()) return prk.status();
  return HkdfSha256Expand(prk->span(), info, length);
}

}  // namespace samrad::crypto
