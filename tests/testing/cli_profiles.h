// The scratch-directory layout shared by the `samrad` end-to-end tests: each
// person `who` has <who>.conf (profile), <who>.pass (keystore passphrase) and
// <who>.keystore in the test's TempDir, and the admin's offline directory
// lives in <dir>/dir with its passphrase in dir.pass.
#ifndef SAMRAD_TESTS_TESTING_CLI_PROFILES_H_
#define SAMRAD_TESTS_TESTING_CLI_PROFILES_H_

#include <map>
#include <string>
#include <vector>

#include "tests/testing/files.h"
#include "tests/testing/relay_process.h"

namespace samrad::harness {

// The environment that runs samrad as `who`, in English, with HOME in `dir`.
std::map<std::string, std::string> CliEnvFor(const TempDir& dir, const std::string& who);

// `samrad init` arguments for `who` with certificate `cert` (<pki>/<cert>.crt
// and .key) against the relay at 127.0.0.1:`port`, pinning the directory key
// in <dir>/dir, followed by `extra`.
std::vector<std::string> CliInitArgs(const TempDir& dir, const std::string& pki,
                                     const std::string& port, const std::string& who,
                                     const std::string& cert,
                                     const std::vector<std::string>& extra);

// A relay for the CLI layout: TLS from `pki` (samrad-pki.sh), the store in
// `data_dir`, the KEK file `kek_file`, and the directory key the admin's
// offline directory <dir>/dir holds. Callers set port, retention and extra.
RelaySetup CliRelaySetup(const TempDir& dir, const std::string& pki, const std::string& data_dir,
                         const std::string& kek_file);

// The routing table `samrad admin directory init --routing` takes: the
// deployed deploy/routing.textproto, or client/testdata's when absent.
std::string RoutingTablePath();

// Writes <who>.pass ("passphrase of WHO\n") for each of `people`. False when
// one cannot be written.
bool WritePassphrases(const TempDir& dir, const std::vector<std::string>& people);

// Points the profile file `conf` from 127.0.0.1:`from_port` at
// 127.0.0.1:`to_port` (a relay restarted on a new port). False when it cannot
// be rewritten.
bool RepointProfile(const std::string& conf, const std::string& from_port,
                    const std::string& to_port);

}  // namespace samrad::harness

#endif  // SAMRAD_TESTS_TESTING_CLI_PROFILES_H_
