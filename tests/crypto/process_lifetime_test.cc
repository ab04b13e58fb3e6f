// KeepOpenSslForProcessLifetime (crypto/process_lifetime.h): a thread that
// ends while the process exits must not leak its OpenSSL state. Replays the
// leak LeakSanitizer reported at random in CI (gRPC pool threads ending after
// OpenSSL's atexit handler) deterministically in a child process, once
// without the call (the control, which must leak) and once with it.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/files.h"
#include "tests/testing/process.h"

namespace samrad::crypto {
namespace {

using harness::ProcessResult;
using harness::RunProcess;
using harness::TempDir;

constexpr int kLeakExitCode = 23;
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderLeakSanitizer = true;
#else
constexpr bool kUnderLeakSanitizer = false;
#endif

ProcessResult RunChild(const TempDir& dir, const std::string& mode) {
  const std::string log = dir.File("asan" + mode);
  std::vector<std::string> argv = {SAMRAD_OPENSSL_EXIT_CHILD};
  if (!mode.empty()) argv.push_back(mode);
  return RunProcess(argv,
                    {{"ASAN_OPTIONS", absl::StrCat("detect_leaks=1:abort_on_error=0:exitcode=",
                                                   kLeakExitCode, ":log_path=", log)},
                     {"LSAN_OPTIONS", ""}},
                    dir.path());
}

TEST(ProcessLifetimeTest, AThreadEndingWhileTheProcessExitsLeaksNoOpenSslState) {
  if (!kUnderLeakSanitizer) GTEST_SKIP() << "needs LeakSanitizer: deploy/sanitize.sh runs it";
  TempDir dir;
  const ProcessResult control = RunChild(dir, "");
  EXPECT_EQ(control.exit_code, kLeakExitCode)
      << "without KeepOpenSslForProcessLifetime the thread's OpenSSL state should leak; "
         "if OpenSSL no longer does, this test shows nothing\n"
      << control.err;
  const ProcessResult kept = RunChild(dir, "--keep");
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
}

}  // namespace
}  // namespace samrad::crypto
