// The wall clock in Unix milliseconds: the one default clock of the relay,
// the store and the client. Code that takes an injected clock
// (std::function<int64_t()>) falls back to this when none is given.
// Thread-safe.
#ifndef SAMRAD_COMMON_CLOCK_H_
#define SAMRAD_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace samrad {

inline int64_t SystemNowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace samrad

#endif  // SAMRAD_COMMON_CLOCK_H_
