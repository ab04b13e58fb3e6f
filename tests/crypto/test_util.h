// Helpers shared by the crypto tests.
#ifndef SAMRAD_TESTS_CRYPTO_TEST_UTIL_H_
#define SAMRAD_TESTS_CRYPTO_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/random.h"

namespace samrad::crypto::testing {

// A deterministic RandomSource: a counter-seeded xorshift stream. Not random;
// only for making outputs reproducible in tests.
class FakeRandom final : public RandomSource {
 public:
  explicit FakeRandom(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  void Fill(absl::Span<uint8_t> out) override {
    for (uint8_t& b : out) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      b = static_cast<uint8_t>(state_ >> 24);
    }
  }

 private:
  uint64_t state_;
};

inline std::string Unhex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
  return out;
}

inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace samrad::crypto::testing

#endif  // SAMRAD_TESTS_CRYPTO_TEST_UTIL_H_
