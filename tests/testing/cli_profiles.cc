#include "tests/testing/cli_profiles.h"

#include <filesystem>
#include <regex>

#include "gtest/gtest.h"
#include "tests/testing/dev_pki.h"

namespace samrad::harness {

std::map<std::string, std::string> CliEnvFor(const TempDir& dir, const std::string& who) {
  return {{"SAMRAD_CONFIG", dir.File(who + ".conf")},
          {"SAMRAD_PASSPHRASE_FILE", dir.File(who + ".pass")},
          {"SAMRAD_DIRECTORY_PASSPHRASE_FILE", dir.File("dir.pass")},
          {"SAMRAD_ADMIN_DIR", dir.File("dir")},
          {"LANG", "C.UTF-8"},
          {"LC_ALL", ""},
          {"HOME", dir.path()}};
}

std::vector<std::string> CliInitArgs(const TempDir& dir, const std::string& pki,
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

RelaySetup CliRelaySetup(const TempDir& dir, const std::string& pki, const std::string& data_dir,
                         const std::string& kek_file) {
  RelaySetup setup;
  setup.pki_dir = pki;
  setup.data_dir = data_dir;
  setup.kek_file = kek_file;
  setup.directory_public_key_file = dir.File("dir") + "/directory.pub";
  return setup;
}

std::string RoutingTablePath() {
  const std::string deployed = SourcePath("deploy/routing.textproto");
  return std::filesystem::exists(deployed) ? deployed
                                           : SourcePath("client/testdata/routing.textproto");
}

bool WritePassphrases(const TempDir& dir, const std::vector<std::string>& people) {
  for (const std::string& who : people) {
    if (!WriteFile(dir.File(who + ".pass"), "passphrase of " + who + "\n", 0600)) return false;
  }
  return true;
}

std::string CliPerson::cert() const { return ClientCertName(role, scope, id); }

std::vector<CliPerson> StandardCliPeople() {
  return {{"admin", "admin", "national", "ops-1", {}},
          {"adviser", "adviser", "rc-kronoberg", "a-1", {"--adviser-id", "a-1"}},
          {"adviser2", "adviser", "rc-kronoberg", "a-2", {"--adviser-id", "a-2"}},
          {"nkt", "adviser", "nkt", "n-1", {"--adviser-id", "n-1"}},
          {"pro", "professional", "07", "p-1", {}}};
}

std::vector<CliPerson> CliPeopleWithout(const std::string& left_out) {
  std::vector<CliPerson> people = StandardCliPeople();
  std::erase_if(people, [&](const CliPerson& person) { return person.who == left_out; });
  return people;
}

void PrepareCliDeployment(const TempDir& dir, const std::vector<CliPerson>& people,
                          const std::string& routing) {
  const std::string pki = dir.File("pki");
  const auto pki_step = [&](const std::vector<std::string>& args) {
    const ProcessResult r = RunPki(pki, args, dir.path());
    ASSERT_EQ(r.exit_code, 0) << "samrad-pki.sh " << args[0] << ": " << r.err;
  };
  ASSERT_NO_FATAL_FAILURE(pki_step({"init"}));
  ASSERT_NO_FATAL_FAILURE(pki_step({"server", "relay", "--ip", "127.0.0.1", "--dns", "localhost"}));
  std::vector<std::string> secrets = {"dir"};
  for (const CliPerson& person : people) {
    ASSERT_NO_FATAL_FAILURE(pki_step({"client", person.role, person.scope, person.id}));
    secrets.push_back(person.who);
  }
  ASSERT_TRUE(WritePassphrases(dir, secrets));
  const ProcessResult init =
      RunSamradAs(dir, "admin",
                  {"admin", "directory", "init", "--out", dir.File("dir"), "--routing",
                   routing.empty() ? RoutingTablePath() : routing});
  ASSERT_EQ(init.exit_code, 0) << "samrad admin directory init: " << init.err;
}

RelaySetup NewCliRelaySetup(const TempDir& dir) {
  const std::string kek = dir.File("kek.hex");
  EXPECT_TRUE(WriteFile(kek, std::string(64, 'a') + "\n", 0600)) << kek;
  return CliRelaySetup(dir, dir.File("pki"), dir.File("relay-data"), kek);
}

void StartCliRelay(const TempDir& dir, const RelaySetup& setup, RelayProcess& relay) {
  ASSERT_TRUE(WriteFile(dir.File("relay.textproto"), RelayConfigText(setup), 0600));
  ASSERT_NO_FATAL_FAILURE(relay.Start(dir.File("relay.textproto"), dir.File("relay.log")));
}

void InitCliProfiles(const TempDir& dir, const std::string& port,
                     const std::vector<CliPerson>& people) {
  for (const CliPerson& person : people) {
    const ProcessResult r = RunSamradAs(
        dir, person.who,
        CliInitArgs(dir, dir.File("pki"), port, person.who, person.cert(), person.init_extra));
    ASSERT_EQ(r.exit_code, 0) << "samrad init for " << person.who << ": " << r.err;
  }
}

std::string JsonString(const std::string& json, const std::string& key) {
  std::smatch match;
  const std::regex pattern("\"" + key + "\":\"([^\"]*)\"");
  return std::regex_search(json, match, pattern) ? match[1].str() : "";
}

ProcessResult RunSamradAs(const TempDir& dir, const std::string& who,
                          const std::vector<std::string>& args, const std::string& stdin_text) {
  std::vector<std::string> argv = {BuildPath("client/samrad")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, CliEnvFor(dir, who), dir.path(), stdin_text);
}

bool RepointProfile(const std::string& conf, const std::string& from_port,
                    const std::string& to_port) {
  std::string text = ReadFile(conf);
  const std::string from = "127.0.0.1:" + from_port;
  const std::string to = "127.0.0.1:" + to_port;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return WriteFile(conf, text, 0600);
}

}  // namespace samrad::harness
