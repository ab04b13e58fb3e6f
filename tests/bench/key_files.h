// Reading the directory keys the load tool is given: the pinned directory
// public key (--directory-key) and, for --mix on a test deployment, the
// directory signing seed (--directory-signing-key).
//
// Accepted file forms, whichever the operator has at hand: the 32 raw bytes;
// 64 hexadecimal characters (surrounding whitespace ignored); or PEM as
// written by `openssl genpkey -algorithm ed25519` / `openssl pkey -pubout`
// (PKCS#8 PRIVATE KEY, SubjectPublicKeyInfo PUBLIC KEY).
#ifndef SAMRAD_TESTS_BENCH_KEY_FILES_H_
#define SAMRAD_TESTS_BENCH_KEY_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace samrad::bench {

enum class Ed25519KeyFileKind { kPublic, kPrivateSeed };

// The 32 raw key bytes from the file contents `data`. INVALID_ARGUMENT naming
// `what` when the contents are none of the accepted forms, or PEM of another
// algorithm or kind.
absl::StatusOr<std::string> DecodeEd25519KeyFile(absl::string_view data, Ed25519KeyFileKind kind,
                                                 absl::string_view what);

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_KEY_FILES_H_
