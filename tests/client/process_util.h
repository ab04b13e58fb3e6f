// The client tests' names for the shared harness's process helpers
// (tests/testing/process.h).
#ifndef SAMRAD_TESTS_CLIENT_PROCESS_UTIL_H_
#define SAMRAD_TESTS_CLIENT_PROCESS_UTIL_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "client/file_util.h"  // the suites' ReadFileToString, WriteFileAtomically
#include "tests/testing/process.h"

namespace samrad::client::testing {

using ::samrad::harness::MakeEnv;
using ::samrad::harness::ProcessResult;
using ::samrad::harness::RunProcess;
using ::samrad::harness::Spawn;
using ::samrad::harness::StopGroup;
using ::samrad::harness::WaitFor;

}  // namespace samrad::client::testing

#endif  // SAMRAD_TESTS_CLIENT_PROCESS_UTIL_H_
