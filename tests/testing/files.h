// Files for tests: a temporary directory per test and whole-file reads and
// writes. Used by every suite (tests/testing is the one harness).
#ifndef SAMRAD_TESTS_TESTING_FILES_H_
#define SAMRAD_TESTS_TESTING_FILES_H_

#include <string>

namespace samrad::harness {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on
// destruction. A failure to create it is a test failure (EXPECT).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);
// Replaces the file's contents; a new file gets `mode` (less the umask).
// False on failure.
bool WriteFile(const std::string& path, const std::string& contents, int mode = 0644);
// Waits up to `timeout_ms` (polling every 50 ms) for `needle` to appear in
// the file `path`; true when it did.
bool WaitForText(const std::string& path, const std::string& needle, int timeout_ms);

// `relative` under the source tree / the build tree of this build.
std::string SourcePath(const std::string& relative);
std::string BuildPath(const std::string& relative);
// The text of the file `relative` under the source tree, for the tests that
// check our own sources. Fails the calling test (ADD_FAILURE) when the file
// cannot be read or is empty, so such a check never passes over a file that
// was moved or renamed.
std::string ReadSourceFile(const std::string& relative);

}  // namespace samrad::harness

#endif  // SAMRAD_TESTS_TESTING_FILES_H_
