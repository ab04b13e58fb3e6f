// The client tests' names for the shared harness's CLI profile layout
// (tests/testing/cli_profiles.h).
#ifndef SAMRAD_TESTS_CLIENT_CLI_PROFILES_H_
#define SAMRAD_TESTS_CLIENT_CLI_PROFILES_H_

#include "test_util.h"
#include "tests/testing/cli_profiles.h"

namespace samrad::client::testing {

using ::samrad::harness::CliEnvFor;
using ::samrad::harness::CliInitArgs;

}  // namespace samrad::client::testing

#endif  // SAMRAD_TESTS_CLIENT_CLI_PROFILES_H_
