// Tests only: a throwaway mutual-TLS PKI generated with the openssl CLI into a
// directory the caller owns (a CA, a server certificate for 127.0.0.1 and
// localhost, and one client certificate with a samrad:// SAN URI).
#ifndef SAMRAD_TESTS_BENCH_TEST_PKI_H_
#define SAMRAD_TESTS_BENCH_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace samrad::bench::testing {

struct TestPki {
  std::string dir;
  std::string ca_cert, server_cert, server_key, client_cert, client_key;
};

// Writes the PKI under `dir` (which must exist). INTERNAL with the failing
// command when openssl fails.
absl::StatusOr<TestPki> MakeTestPki(
    const std::string& dir, const std::string& client_uri = "samrad://professional/07/p-bench");

// A fresh directory under $TMPDIR (or /tmp); RemoveTree() deletes it.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& dir);

}  // namespace samrad::bench::testing

#endif  // SAMRAD_TESTS_BENCH_TEST_PKI_H_
