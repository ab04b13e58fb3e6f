// The dev PKI for tests: certs/samrad-pki.sh run as a process, so tests get
// the same CA, relay and client certificates (SAN URI
// samrad://ROLE/UNIT-OR-COUNTY/ID) an operator would.
#ifndef SAMRAD_TESTS_TESTING_DEV_PKI_H_
#define SAMRAD_TESTS_TESTING_DEV_PKI_H_

#include <string>
#include <vector>

#include "tests/testing/process.h"

namespace samrad::harness {

// Runs `samrad-pki.sh --dir pki_dir args...` with its scratch files in
// `work`; callers check exit_code (its stderr says why it failed).
ProcessResult RunPki(const std::string& pki_dir, const std::vector<std::string>& args,
                     const std::string& work);

// The file stem samrad-pki.sh gives a client certificate: ROLE-SCOPE-ID.
std::string ClientCertName(const std::string& role, const std::string& scope,
                           const std::string& id);

}  // namespace samrad::harness

#endif  // SAMRAD_TESTS_TESTING_DEV_PKI_H_
