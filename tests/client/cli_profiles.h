// The scratch-directory layout shared by the `samrad` end-to-end tests: each
// person `who` has <who>.conf (profile), <who>.pass (keystore passphrase) and
// <who>.keystore in the test's TempDir, and the admin's offline directory
// lives in <dir>/dir with its passphrase in dir.pass.
#ifndef SAMRAD_TESTS_CLIENT_CLI_PROFILES_H_
#define SAMRAD_TESTS_CLIENT_CLI_PROFILES_H_

#include <map>
#include <string>
#include <vector>

#include "test_util.h"

namespace samrad::client::testing {

// The environment that runs samrad as `who`, in English, with HOME in `dir`.
inline std::map<std::string, std::string> CliEnvFor(const TempDir& dir, const std::string& who) {
  return {{"SAMRAD_CONFIG", dir.File(who + ".conf")},
          {"SAMRAD_PASSPHRASE_FILE", dir.File(who + ".pass")},
          {"SAMRAD_DIRECTORY_PASSPHRASE_FILE", dir.File("dir.pass")},
          {"SAMRAD_ADMIN_DIR", dir.File("dir")},
          {"LANG", "C.UTF-8"},
          {"LC_ALL", ""},
          {"HOME", dir.path()}};
}

// `samrad init` arguments for `who` with certificate `cert` (<pki>/<cert>.crt
// and .key) against the relay at 127.0.0.1:`port`, pinning the directory key
// in <dir>/dir, followed by `extra`.
inline std::vector<std::string> CliInitArgs(const TempDir& dir, const std::string& pki,
                                            const std::string& port, const std::string& who,
                                            const std::string& cert,
                                            const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"init",
                                   "--relay",
                                   "127.0.0.1:" + port,
                                   "--cert",
                                   pki + "/" + cert + ".crt",
                                   "--key",
                                   pki + "/" + cert + ".key",
                                   "--ca",
                                   pki + "/ca.crt",
                                   "--directory-key",
                                   dir.File("dir") + "/directory.pub",
                                   "--keystore",
                                   dir.File(who + ".keystore")};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace samrad::client::testing

#endif  // SAMRAD_TESTS_CLIENT_CLI_PROFILES_H_
