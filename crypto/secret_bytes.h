// SecretBytes: an owned byte buffer for key material that wipes itself.
//
// Move-only (no accidental copies of secrets), wiped with OPENSSL_cleanse on
// destruction and on move-from, compared in constant time. Not thread-safe for
// concurrent mutation; const access from several threads is fine.
#ifndef SAMRAD_CRYPTO_SECRET_BYTES_H_
#define SAMRAD_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace samrad::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  // Zero-filled buffer of `size` bytes.
  explicit SecretBytes(size_t size);
  // Copies `bytes`; the caller remains responsible for wiping its own copy.
  explicit SecretBytes(absl::Span<const uint8_t> bytes);
  static SecretBytes FromString(std::string_view bytes);
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // An explicit, greppable copy.
  SecretBytes Clone() const;

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  absl::Span<const uint8_t> span() const { return bytes_; }
  absl::Span<uint8_t> mutable_span() { return absl::MakeSpan(bytes_); }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

  // Constant-time in the contents (CRYPTO_memcmp); sizes are not secret.
  bool ConstantTimeEquals(const SecretBytes& other) const;

 private:
  void Wipe();
  std::vector<uint8_t> bytes_;
};

// Constant-time comparison of two equally long buffers; false if sizes differ.
bool ConstantTimeEquals(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b);

// Helpers for byte strings held in std::string (protobuf `bytes` fields).
inline absl::Span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsStringView(absl::Span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_SECRET_BYTES_H_
