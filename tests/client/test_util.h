// The client tests' names for the shared harness's temporary directory
// (tests/testing/files.h).
#ifndef SAMRAD_TESTS_CLIENT_TEST_UTIL_H_
#define SAMRAD_TESTS_CLIENT_TEST_UTIL_H_

#include "tests/testing/files.h"

namespace samrad::client::testing {

using ::samrad::harness::TempDir;

}  // namespace samrad::client::testing

#endif  // SAMRAD_TESTS_CLIENT_TEST_UTIL_H_
