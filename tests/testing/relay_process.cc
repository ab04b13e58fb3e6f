#include "tests/testing/relay_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/files.h"
#include "tests/testing/process.h"

namespace samrad::harness {

std::string RelayConfigText(const RelaySetup& setup) {
  return absl::StrCat("listen_address: \"127.0.0.1:", setup.port, "\"\n", "tls { cert_file: \"",
                      setup.pki_dir, "/relay.crt\" key_file: \"", setup.pki_dir,
                      "/relay.key\" client_ca_file: \"", setup.pki_dir, "/ca.crt\" }\n",
                      "data_dir: \"", setup.data_dir, "\"\n", "kek_file: \"", setup.kek_file,
                      "\"\n", "directory_public_key_file: \"", setup.directory_public_key_file,
                      "\"\n", "retention { ", setup.retention, " }\n", setup.extra);
}

RelayProcess::~RelayProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

void RelayProcess::Start(const std::string& config_file, const std::string& log_file,
                         const std::map<std::string, std::string>& env) {
  ASSERT_LE(pid_, 0) << "the relay still runs; Stop it first";
  const std::string relay = BuildPath("server/samrad-relay");
  log_file_ = log_file;
  port_.clear();
  pid_ = Spawn({relay, "serve", "--config", config_file}, MakeEnv(env), "", log_file + ".out",
               log_file);
  ASSERT_GT(pid_, 0);
  const std::regex port_pattern(" port=([0-9]+)");
  for (int i = 0; i < 300 && port_.empty(); ++i) {
    const std::string log = Log();
    std::smatch match;
    if (std::regex_search(log, match, port_pattern)) port_ = match[1].str();
    int status = 0;
    ASSERT_EQ(::waitpid(pid_, &status, WNOHANG), 0) << "relay exited: " << log;
    if (port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(port_.empty()) << "relay did not start: " << Log();
}

int RelayProcess::Stop(int signal, std::chrono::seconds limit) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  const int status = WaitFor(pid_, limit);
  pid_ = -1;
  return status;
}

std::string RelayProcess::Log() const { return ReadFile(log_file_); }

}  // namespace samrad::harness
