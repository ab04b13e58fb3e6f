// Randomness, injected so that tests and vectors are deterministic.
//
// Production code uses SystemRandom() (OpenSSL RAND_bytes). Thread-safe.
#ifndef SAMRAD_CRYPTO_RANDOM_H_
#define SAMRAD_CRYPTO_RANDOM_H_

#include <cstdint>
#include <string>

#include "absl/types/span.h"

namespace samrad::crypto {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Aborts (CHECK) only if the OS RNG fails,
  // which OpenSSL treats as unrecoverable.
  virtual void Fill(absl::Span<uint8_t> out) = 0;
};

// The process-wide OpenSSL RAND_bytes source. Never null, never destroyed.
RandomSource& SystemRandom();

// `n` random bytes from `rng` as a byte string.
std::string RandomString(size_t n, RandomSource& rng = SystemRandom());

// 128 random bits as 32 lowercase hex characters (thread and message ids).
std::string RandomId(RandomSource& rng = SystemRandom());

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_RANDOM_H_
