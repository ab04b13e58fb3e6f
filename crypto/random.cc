#include "crypto/random.h"

#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "common/check.h"

namespace samrad::crypto {
namespace {

class OpenSslRandom final : public RandomSource {
 public:
  void Fill(absl::Span<uint8_t> out) override {
    if (out.empty()) return;
    // A failing system RNG is unrecoverable: continuing would produce weak keys.
    SAMRAD_CHECK(RAND_bytes(out.data(), static_cast<int>(out.size())) == 1,
                 "OpenSSL RAND_bytes failed: the system random generator is unusable");
  }
};

}  // namespace

RandomSource& SystemRandom() {
  static OpenSslRandom* const kRandom = new OpenSslRandom();
  return *kRandom;
}

std::string RandomString(size_t n, RandomSource& rng) {
  std::string out(n, '\0');
  rng.Fill(absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

std::string RandomId(RandomSource& rng) { return absl::BytesToHexString(RandomString(16, rng)); }

}  // namespace samrad::crypto
