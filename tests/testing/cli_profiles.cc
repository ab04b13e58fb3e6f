#include "tests/testing/cli_profiles.h"

#include <filesystem>

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
