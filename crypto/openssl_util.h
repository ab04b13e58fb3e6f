// Internal to samrad_crypto: owning handles for OpenSSL objects and the
// algorithms fetched once per process. Never included by a public header.
#ifndef SAMRAD_CRYPTO_OPENSSL_UTIL_H_
#define SAMRAD_CRYPTO_OPENSSL_UTIL_H_

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string_view>

#include "absl/status/status.h"

namespace samrad::crypto::internal {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using UniquePkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using UniqueMdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using UniqueKdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter>;

// An immutable EVP_PKEY shared by a key object and its clones. OpenSSL keys
// are safe for concurrent read-only use (each operation makes its own ctx).
class PkeyHandle {
 public:
  explicit PkeyHandle(UniquePkey pkey) : pkey_(std::move(pkey)) {}
  EVP_PKEY* get() const { return pkey_.get(); }

 private:
  UniquePkey pkey_;
};

// SHA-256, fetched once for the process lifetime.
const EVP_MD* Sha256Md();

// Drops OpenSSL's thread-local error queue and returns `status`, so that a
// failure does not leak stale errors into an unrelated later call.
absl::Status ClearErrorsAnd(absl::Status status);

}  // namespace samrad::crypto::internal

#endif  // SAMRAD_CRYPTO_OPENSSL_UTIL_H_
