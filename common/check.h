// SAMRAD_CHECK(condition, message): aborts the process, after writing
// "file:line: check failed: CONDITION: MESSAGE" to stderr, when `condition`
// is false. For invariants whose violation means a bug in Samråd (never for
// bad input, which gets a Status). Always on, also in release builds.
//
// Replaces Abseil's internal ABSL_RAW_CHECK (absl/base/internal/
// raw_logging.h), which is not part of Abseil's public API.
//
// Thread-safe (one write(2) per report, then abort()).
#ifndef SAMRAD_COMMON_CHECK_H_
#define SAMRAD_COMMON_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define SAMRAD_CHECK(condition, message)                                                    \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", __FILE__, __LINE__, #condition, \
                   message);                                                                \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)

#endif  // SAMRAD_COMMON_CHECK_H_
