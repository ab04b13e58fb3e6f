// The scratch-directory layout shared by the `samrad` end-to-end tests: each
// person `who` has <who>.conf (profile), <who>.pass (keystore passphrase) and
// <who>.keystore in the test's TempDir, and the admin's offline directory
// lives in <dir>/dir with its passphrase in dir.pass. The deployment helpers
// below build that layout with the dev PKI and a real relay, so a suite
// states only what is particular to it.
#ifndef SAMRAD_TESTS_TESTING_CLI_PROFILES_H_
#define SAMRAD_TESTS_TESTING_CLI_PROFILES_H_

#include <map>
#include <string>
#include <vector>

#include "tests/testing/files.h"
#include "tests/testing/process.h"
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

// One person of a CLI deployment: the profile name `who` (<who>.conf,
// <who>.pass, <who>.keystore) and the client certificate samrad-pki.sh makes
// for ROLE SCOPE ID, with the extra `samrad init` arguments.
struct CliPerson {
  std::string who;
  std::string role;
  std::string scope;
  std::string id;
  std::vector<std::string> init_extra;
  // The certificate's file stem in the PKI (ClientCertName).
  std::string cert() const;
};

// The people of the CLI suites: "admin" (national ops-1), "adviser" and
// "adviser2" (rc-kronoberg a-1, a-2), "nkt" (adviser n-1 of nkt) and "pro"
// (professional of county 07, p-1).
std::vector<CliPerson> StandardCliPeople();
// StandardCliPeople() without the one whose `who` is `left_out`.
std::vector<CliPerson> CliPeopleWithout(const std::string& left_out);

// A CLI deployment's files before its relay starts: the dev PKI in
// <dir>/pki (CA, a relay certificate for 127.0.0.1 and localhost, one client
// certificate per person), every person's passphrase file and dir.pass, and
// the admin's offline directory <dir>/dir (`samrad admin directory init`
// with `routing`, default RoutingTablePath()). A fatal gtest failure naming
// the step otherwise: call under ASSERT_NO_FATAL_FAILURE.
void PrepareCliDeployment(const TempDir& dir, const std::vector<CliPerson>& people,
                          const std::string& routing = "");

// The relay of a CLI deployment (CliRelaySetup): the store in
// <dir>/relay-data and a fixed test KEK written to <dir>/kek.hex. Callers
// add retention and extra config before StartCliRelay.
RelaySetup NewCliRelaySetup(const TempDir& dir);

// Writes <dir>/relay.textproto for `setup` and starts `relay` on it, its log
// in <dir>/relay.log. Fatal gtest failure when it does not start.
void StartCliRelay(const TempDir& dir, const RelaySetup& setup, RelayProcess& relay);

// `samrad init` for each of `people` against 127.0.0.1:`port` (the layout
// above). Fatal gtest failure naming the person otherwise.
void InitCliProfiles(const TempDir& dir, const std::string& port,
                     const std::vector<CliPerson>& people);

// The string value of "key" in a one-line JSON object such as `samrad
// --json` prints ("" when absent; values needing escapes are not read).
std::string JsonString(const std::string& json, const std::string& key);

// Runs the built `samrad` as `who` (CliEnvFor) in `dir`.
ProcessResult RunSamradAs(const TempDir& dir, const std::string& who,
                          const std::vector<std::string>& args, const std::string& stdin_text = "");

// Points the profile file `conf` from 127.0.0.1:`from_port` at
// 127.0.0.1:`to_port` (a relay restarted on a new port). False when it cannot
// be rewritten.
bool RepointProfile(const std::string& conf, const std::string& from_port,
                    const std::string& to_port);

}  // namespace samrad::harness

#endif  // SAMRAD_TESTS_TESTING_CLI_PROFILES_H_
