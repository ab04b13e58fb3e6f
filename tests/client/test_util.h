// Helpers for the client tests: a fresh temporary directory per test.
#ifndef SAMRAD_TESTS_CLIENT_TEST_UTIL_H_
#define SAMRAD_TESTS_CLIENT_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace samrad::client::testing {

// A directory created for one test and removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* root = std::getenv("TMPDIR");
    std::string pattern =
        std::string(root != nullptr && *root ? root : "/tmp") + "/samrad-client-test-XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace samrad::client::testing

#endif  // SAMRAD_TESTS_CLIENT_TEST_UTIL_H_
