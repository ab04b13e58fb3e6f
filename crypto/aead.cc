#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/status_macros.h"
#include "crypto/aead_opener.h"

namespace samrad::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// Ciphers fetched once per process: EVP_aes_256_gcm() and friends make
// OpenSSL 3.0 look the implementation up by name on every initialisation.
EVP_CIPHER* Fetch(const char* name) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  SAMRAD_CHECK(cipher != nullptr, "OpenSSL lacks an AEAD cipher");
  return cipher;
}

const EVP_CIPHER* CipherFor(AeadAlgorithm alg) {
  static EVP_CIPHER* const kAes128Gcm = Fetch("AES-128-GCM");
  static EVP_CIPHER* const kAes256Gcm = Fetch("AES-256-GCM");
  static EVP_CIPHER* const kChaCha20Poly1305 = Fetch("ChaCha20-Poly1305");
  switch (alg) {
    case AeadAlgorithm::kAes128Gcm:
      return kAes128Gcm;
    case AeadAlgorithm::kAes256Gcm:
      return kAes256Gcm;
    case AeadAlgorithm::kChaCha20Poly1305:
      return kChaCha20Poly1305;
  }
  return nullptr;
}

absl::Status CheckLengths(AeadAlgorithm alg, absl::Span<const uint8_t> key,
                          absl::Span<const uint8_t> nonce) {
  if (key.size() != AeadKeyLen(alg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("AEAD key must be ", AeadKeyLen(alg), " bytes, got ", key.size()));
  }
  if (nonce.size() != kAeadNonceLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("AEAD nonce must be ", kAeadNonceLen, " bytes, got ", nonce.size()));
  }
  return absl::OkStatus();
}

// Sets up `ctx` for `alg` in the given direction with key and nonce.
absl::Status Init(EVP_CIPHER_CTX* ctx, AeadAlgorithm alg, absl::Span<const uint8_t> key,
                  absl::Span<const uint8_t> nonce, bool encrypt) {
  if (EVP_CipherInit_ex(ctx, CipherFor(alg), nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) !=
          1 ||
      EVP_CipherInit_ex(ctx, nullptr, nullptr, key.data(), nonce.data(), encrypt ? 1 : 0) != 1) {
    return absl::InternalError("OpenSSL AEAD initialisation failed");
  }
  return absl::OkStatus();
}

absl::Status AddAad(EVP_CIPHER_CTX* ctx, absl::Span<const uint8_t> aad) {
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return absl::InternalError("OpenSSL AEAD rejected the associated data");
  }
  return absl::OkStatus();
}

// A cipher context for `alg` keyed with `key`, for encryption (`encrypt`)
// or decryption, with the nonce length set and the nonce still to give: what
// AeadSealer and AeadOpener keep between calls.
absl::StatusOr<CipherCtx> NewKeyedContext(AeadAlgorithm alg, absl::Span<const uint8_t> key,
                                          bool encrypt) {
  if (key.size() != AeadKeyLen(alg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("AEAD key must be ", AeadKeyLen(alg), " bytes, got ", key.size()));
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return absl::ResourceExhaustedError("EVP_CIPHER_CTX_new failed");
  const int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), CipherFor(alg), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, kAeadNonceLen, nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nullptr, enc) != 1) {
    return absl::InternalError("OpenSSL AEAD initialisation failed");
  }
  return ctx;
}

}  // namespace

size_t AeadKeyLen(AeadAlgorithm alg) { return alg == AeadAlgorithm::kAes128Gcm ? 16 : 32; }

absl::StatusOr<std::string> AeadSeal(AeadAlgorithm alg, absl::Span<const uint8_t> key,
                                     absl::Span<const uint8_t> nonce,
                                     absl::Span<const uint8_t> plaintext,
                                     absl::Span<const uint8_t> aad) {
  SAMRAD_RETURN_IF_ERROR(CheckLengths(alg, key, nonce));
  if (plaintext.size() > (1u << 30)) return absl::InvalidArgumentError("AEAD plaintext too large");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return absl::ResourceExhaustedError("EVP_CIPHER_CTX_new failed");
  SAMRAD_RETURN_IF_ERROR(Init(ctx.get(), alg, key, nonce, /*encrypt=*/true));
  SAMRAD_RETURN_IF_ERROR(AddAad(ctx.get(), aad));
  std::string out(plaintext.size() + kAeadTagLen, '\0');
  auto* out_bytes = reinterpret_cast<uint8_t*>(out.data());
  int len = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out_bytes, &len, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1) {
    return absl::InternalError("OpenSSL AEAD encryption failed");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out_bytes + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kAeadTagLen,
                          out_bytes + plaintext.size()) != 1) {
    return absl::InternalError("OpenSSL AEAD finalisation failed");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AeadSealer>> AeadSealer::Create(AeadAlgorithm alg,
                                                               absl::Span<const uint8_t> key) {
  SAMRAD_ASSIGN_OR_RETURN(CipherCtx ctx, NewKeyedContext(alg, key, /*encrypt=*/true));
  return std::unique_ptr<AeadSealer>(new AeadSealer(ctx.release()));
}

AeadSealer::~AeadSealer() { EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_)); }

absl::StatusOr<std::string> AeadSealer::Seal(absl::Span<const uint8_t> nonce,
                                             absl::Span<const uint8_t> plaintext,
                                             absl::Span<const uint8_t> aad) {
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(ctx_);
  if (nonce.size() != kAeadNonceLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("AEAD nonce must be ", kAeadNonceLen, " bytes, got ", nonce.size()));
  }
  if (plaintext.size() > (1u << 30)) return absl::InvalidArgumentError("AEAD plaintext too large");
  // A nonce alone restarts the operation under the kept key schedule.
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) {
    return absl::InternalError("OpenSSL AEAD initialisation failed");
  }
  SAMRAD_RETURN_IF_ERROR(AddAad(ctx, aad));
  std::string out(plaintext.size() + kAeadTagLen, '\0');
  auto* out_bytes = reinterpret_cast<uint8_t*>(out.data());
  int len = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx, out_bytes, &len, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1) {
    return absl::InternalError("OpenSSL AEAD encryption failed");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx, out_bytes + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagLen, out_bytes + plaintext.size()) !=
          1) {
    return absl::InternalError("OpenSSL AEAD finalisation failed");
  }
  return out;
}

absl::StatusOr<std::string> AeadOpen(AeadAlgorithm alg, absl::Span<const uint8_t> key,
                                     absl::Span<const uint8_t> nonce,
                                     absl::Span<const uint8_t> ciphertext,
                                     absl::Span<const uint8_t> aad) {
  SAMRAD_RETURN_IF_ERROR(CheckLengths(alg, key, nonce));
  if (ciphertext.size() < kAeadTagLen) {
    return absl::InvalidArgumentError("AEAD ciphertext is shorter than its tag");
  }
  const size_t body_len = ciphertext.size() - kAeadTagLen;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return absl::ResourceExhaustedError("EVP_CIPHER_CTX_new failed");
  SAMRAD_RETURN_IF_ERROR(Init(ctx.get(), alg, key, nonce, /*encrypt=*/false));
  SAMRAD_RETURN_IF_ERROR(AddAad(ctx.get(), aad));
  std::string out(body_len, '\0');
  auto* out_bytes = reinterpret_cast<uint8_t*>(out.data());
  int len = 0;
  if (body_len > 0 && EVP_DecryptUpdate(ctx.get(), out_bytes, &len, ciphertext.data(),
                                        static_cast<int>(body_len)) != 1) {
    return absl::InternalError("OpenSSL AEAD decryption failed");
  }
  // The tag is an input to the final check; OpenSSL takes a non-const pointer.
  uint8_t tag[kAeadTagLen];
  std::copy(ciphertext.begin() + body_len, ciphertext.end(), tag);
  int final_len = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kAeadTagLen, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out_bytes + len, &final_len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::DataLossError("AEAD authentication failed: ciphertext, key, nonce or AAD differ");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AeadOpener>> AeadOpener::Create(AeadAlgorithm alg,
                                                               absl::Span<const uint8_t> key) {
  SAMRAD_ASSIGN_OR_RETURN(CipherCtx ctx, NewKeyedContext(alg, key, /*encrypt=*/false));
  return std::unique_ptr<AeadOpener>(new AeadOpener(ctx.release()));
}

AeadOpener::~AeadOpener() { EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_)); }

absl::Status AeadOpener::Open(absl::Span<const uint8_t> nonce, absl::Span<const uint8_t> ciphertext,
                              absl::Span<const uint8_t> aad, std::string& plaintext) {
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(ctx_);
  plaintext.clear();
  if (nonce.size() != kAeadNonceLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("AEAD nonce must be ", kAeadNonceLen, " bytes, got ", nonce.size()));
  }
  if (ciphertext.size() < kAeadTagLen) {
    return absl::InvalidArgumentError("AEAD ciphertext is shorter than its tag");
  }
  const size_t body_len = ciphertext.size() - kAeadTagLen;
  // A nonce alone restarts the operation under the kept key schedule.
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) {
    return absl::InternalError("OpenSSL AEAD initialisation failed");
  }
  if (absl::Status s = AddAad(ctx, aad); !s.ok()) return s;
  plaintext.resize(body_len);
  auto* out_bytes = reinterpret_cast<uint8_t*>(plaintext.data());
  int len = 0;
  if (body_len > 0 &&
      EVP_DecryptUpdate(ctx, out_bytes, &len, ciphertext.data(), static_cast<int>(body_len)) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    plaintext.clear();
    return absl::InternalError("OpenSSL AEAD decryption failed");
  }
  uint8_t tag[kAeadTagLen];
  std::copy(ciphertext.begin() + body_len, ciphertext.end(), tag);
  int final_len = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagLen, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx, out_bytes + len, &final_len) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    plaintext.clear();
    return absl::DataLossError("AEAD authentication failed: ciphertext, key, nonce or AAD differ");
  }
  return absl::OkStatus();
}

}  // namespace samrad::crypto
