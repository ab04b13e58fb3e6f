#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>

#include <utility>

namespace samrad::crypto {

SecretBytes::SecretBytes(size_t size) : bytes_(size, 0) {}

SecretBytes::SecretBytes(absl::Span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes SecretBytes::FromString(std::string_view bytes) { return SecretBytes(AsBytes(bytes)); }

SecretBytes::~SecretBytes() { Wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.Wipe();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.Wipe();
  }
  return *this;
}

SecretBytes SecretBytes::Clone() const { return SecretBytes(span()); }

bool SecretBytes::ConstantTimeEquals(const SecretBytes& other) const {
  return crypto::ConstantTimeEquals(span(), other.span());
}

void SecretBytes::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
  bytes_.shrink_to_fit();
}

bool ConstantTimeEquals(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace samrad::crypto
