#include "crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "absl/base/internal/raw_logging.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/openssl_util.h"

namespace samrad::crypto {
namespace {

using internal::ClearErrorsAnd;
using internal::UniqueKdfCtx;

// HKDF, fetched once per process (fetching by name takes a lock and a
// lookup). OpenSSL 3.0's HKDF cannot duplicate a context, so each call makes a
// fresh one and names the digest in its parameters.
EVP_KDF* HkdfKdf() {
  static EVP_KDF* const kKdf = [] {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
    ABSL_RAW_CHECK(kdf != nullptr, "OpenSSL provides no HKDF");
    return kdf;
  }();
  return kKdf;
}

// OpenSSL wants a non-null pointer even for an empty octet string.
void* OctetPtr(absl::Span<const uint8_t> bytes) {
  static uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : const_cast<uint8_t*>(bytes.data());
}

absl::StatusOr<SecretBytes> RunHkdf(int mode, absl::Span<const uint8_t> salt,
                                    absl::Span<const uint8_t> key, absl::Span<const uint8_t> info,
                                    size_t length) {
  UniqueKdfCtx ctx(EVP_KDF_CTX_new(HkdfKdf()));
  if (!ctx) return ClearErrorsAnd(absl::ResourceExhaustedError("EVP_KDF_CTX_new failed"));
  char digest[] = "SHA256";
  OSSL_PARAM params[6];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, OctetPtr(key), key.size());
  if (mode != EVP_KDF_HKDF_MODE_EXPAND_ONLY) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, OctetPtr(salt), salt.size());
  }
  if (mode != EVP_KDF_HKDF_MODE_EXTRACT_ONLY && !info.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, OctetPtr(info), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return ClearErrorsAnd(absl::InternalError("OpenSSL HKDF-SHA256 failed"));
  }
  return out;
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
  return RunHkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, ikm, {}, kSha256Len);
}

absl::StatusOr<SecretBytes> HkdfSha256Expand(absl::Span<const uint8_t> prk,
                                             absl::Span<const uint8_t> info, size_t length) {
  if (absl::Status s = CheckExpandLength(length); !s.ok()) return s;
  if (prk.size() < kSha256Len) {
    return absl::InvalidArgumentError(
        absl::StrCat("HKDF-SHA256 PRK must be at least 32 bytes, got ", prk.size()));
  }
  return RunHkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, {}, prk, info, length);
}

absl::StatusOr<SecretBytes> HkdfSha256(absl::Span<const uint8_t> salt,
                                       absl::Span<const uint8_t> ikm,
                                       absl::Span<const uint8_t> info, size_t length) {
  if (absl::Status s = CheckExpandLength(length); !s.ok()) return s;
  return RunHkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, salt, ikm, info, length);
}

}  // namespace samrad::crypto
