// Runs public test-vector files against samrad_crypto: RFC 9180 HPKE vectors
// (test-vectors.json layout) and Wycheproof testvectors_v1 files for XDH
// (X25519), EDDSA (Ed25519 verify), HKDF-SHA-256, AES-GCM and
// CHACHA20-POLY1305. Layouts: tests/vectors/README.md.
//
// Semantics: a "valid" case must succeed with the given output, an
// "invalid" one must be rejected, an "acceptable" one may do either but must
// not produce a different output. Cases whose parameters this library does
// not implement (AES-192, IVs other than 96 bits, tags other than 128 bits,
// other curves, other HPKE suites) are counted as passed when they are
// invalid and the API rejects them, and otherwise as skipped with a reason
// (after checking that the API rejects the input rather than misreading it).
//
// Used by the samrad-vectors tool and the vector tests. Stateless.
#ifndef SAMRAD_CRYPTO_VECTORS_VECTOR_RUNNER_H_
#define SAMRAD_CRYPTO_VECTORS_VECTOR_RUNNER_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace samrad::crypto::vectors {

struct VectorReport {
  std::string kind;  // e.g. "HPKE (RFC 9180)", "Wycheproof XDH"
  size_t passed = 0;
  size_t failed = 0;
  size_t skipped = 0;
  // One line per failed case: where it is in the file and what differed.
  std::vector<std::string> failures;
  // Why cases were skipped, with counts.
  std::map<std::string, size_t> skip_reasons;
};

// INVALID_ARGUMENT when `json` is not an HPKE vector array or holds no entry.
absl::StatusOr<VectorReport> RunHpkeVectors(std::string_view json);

// INVALID_ARGUMENT when `json` is not a Wycheproof file or holds no test;
// UNIMPLEMENTED for an `algorithm` this runner does not know.
absl::StatusOr<VectorReport> RunWycheproofVectors(std::string_view json);

// The whole file. NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT (e.g. a
// directory, or larger than 256 MiB) with the path in the message.
absl::StatusOr<std::string> ReadVectorFile(const std::string& path);

// Human-readable report: the failures, the skip reasons, and as the last line
// exactly "<passed> passed, <failed> failed".
std::string FormatReport(const VectorReport& report);

}  // namespace samrad::crypto::vectors

#endif  // SAMRAD_CRYPTO_VECTORS_VECTOR_RUNNER_H_
