// Internal to samrad_crypto: owning handles for OpenSSL objects and the
// algorithms fetched once per process. Never included by a public header.
#ifndef SAMRAD_CRYPTO_OPENSSL_UTIL_H_
#define SAMRAD_CRYPTO_OPENSSL_UTIL_H_

#include <openssl/evp.h>

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
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using UniquePkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using UniqueMdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using UniqueMacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// What a private key object holds of OpenSSL, shared with its clones and
// immutable: an EVP_PKEY (Ed25519), or for X25519 only a context initialised
// for derivation (whose key's public half is a placeholder that is never
// read). Operations never use these directly: they work on a fresh context or
// a duplicate (EVP_PKEY_CTX_dup only reads its source), so sharing across
// threads is safe.
class PkeyHandle {
 public:
  PkeyHandle(UniquePkey pkey, UniquePkeyCtx derive_template)
      : pkey_(std::move(pkey)), derive_template_(std::move(derive_template)) {}
  EVP_PKEY* get() const { return pkey_.get(); }
  // Null for Ed25519 keys.
  const EVP_PKEY_CTX* derive_template() const { return derive_template_.get(); }

 private:
  UniquePkey pkey_;
  UniquePkeyCtx derive_template_;
};

// SHA-256, fetched once for the process lifetime.
const EVP_MD* Sha256Md();

// Drops OpenSSL's thread-local error queue and returns `status`, so that a
// failure does not leak stale errors into an unrelated later call.
[[nodiscard]] absl::Status ClearErrorsAnd(absl::Status status);

}  // namespace samrad::crypto::internal

#endif  // SAMRAD_CRYPTO_OPENSSL_UTIL_H_
