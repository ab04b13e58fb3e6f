// A small real deployment for end-to-end tests of single features: a PKI from
// certs/samrad-pki.sh, a real samrad-relay process on 127.0.0.1 (port 0,
// RocksDB in the test's TempDir, real mTLS), a signed key directory listing
// advisers a-1 and a-2 of rc-kronoberg, and `samrad` profiles for the admin
// ("admin"), the two advisers ("adviser", "adviser2") and a professional
// ("pro") in the cli_profiles.h layout. Optionally the relay's store runs on
// a disk that can fill up (its SAMRAD_TEST_DISK_FULL_MARKER test hook,
// storage/simulated_disk.h), so a test can make the volume "full" and free it
// again while the relay runs.
//
// For issue 14's attacks a test can also put samrad-tamper-proxy (a
// compromised relay: the relay's own TLS key, forwarding under each caller's
// identity, rewriting replies as a rules file says) in front of the relay
// and talk through it with a second profile of the same person ("pro" ->
// ViaProxy("pro") -> "pro-via-proxy", same keystore), so one test can compare
// what the proxy shows with what the relay holds.
#ifndef SAMRAD_TESTS_CLIENT_CLI_RELAY_FIXTURE_H_
#define SAMRAD_TESTS_CLIENT_CLI_RELAY_FIXTURE_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli_profiles.h"
#include "client/file_util.h"
#include "gtest/gtest.h"
#include "process_util.h"
#include "test_util.h"
#include "tests/testing/cli_profiles.h"
#include "tests/testing/dev_pki.h"
#include "tests/testing/relay_process.h"

namespace samrad::client::testing {

class CliRelayTest : public ::testing::Test {
 protected:
  static inline const std::string kSource = SAMRAD_SOURCE_DIR;
  static inline const std::string kSamrad = std::string(SAMRAD_BINARY_DIR) + "/client/samrad";
  static inline const std::string kRelay = std::string(SAMRAD_BINARY_DIR) + "/server/samrad-relay";
  static inline const std::string kTamperProxy =
      std::string(SAMRAD_BINARY_DIR) + "/tests/client/samrad-tamper-proxy";

  struct Options {
    // Whether SetDiskFull may fill the store's volume.
    bool disk_can_fill = false;
    int shutdown_grace_seconds = 2;
    // Text-format lines appended to the relay's config (e.g. metrics_address).
    std::string extra_config = "";
  };

  // Makes the PKI, the profiles' secrets and the admin's directory key,
  // starts the relay, writes the profiles and publishes epoch 1 with a-1 and
  // a-2. Call first in the test body; ASSERT on HasFatalFailure() after it.
  void StartDeployment(const Options& options) {
    ASSERT_TRUE(PathExists(kSamrad)) << kSamrad;
    ASSERT_TRUE(PathExists(kRelay)) << kRelay;
    options_ = options;
    pki_ = dir_.File("pki");
    const std::vector<harness::CliPerson> people = harness::CliPeopleWithout("nkt");
    ASSERT_NO_FATAL_FAILURE(
        harness::PrepareCliDeployment(dir_, people, kSource + "/deploy/routing.textproto"));
    ASSERT_NO_FATAL_FAILURE(StartRelay());
    ASSERT_NO_FATAL_FAILURE(harness::InitCliProfiles(dir_, port_, people));
    for (const char* who : {"adviser", "adviser2"}) {
      const std::string bundle = dir_.File(std::string(who) + ".bundle.json");
      ASSERT_EQ(Samrad(who, {"keygen", "--out", bundle}).exit_code, 0);
      ASSERT_EQ(
          Samrad("admin", {"admin", "directory", "add-adviser", "rc-kronoberg", bundle}).exit_code,
          0);
    }
    ASSERT_EQ(Samrad("admin", {"admin", "directory", "sign"}).exit_code, 0);
    ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
    ASSERT_EQ(publish.exit_code, 0) << publish.err;
  }

  void TearDown() override {
    if (proxy_pid_ > 0) {
      ::kill(proxy_pid_, SIGKILL);
      WaitFor(proxy_pid_, std::chrono::seconds(30));
      proxy_pid_ = -1;
    }
    if (relay_.running()) StopRelay(SIGKILL);
  }

  // A further person: makes the certificate <pki>/<cert>.crt with
  // `samrad-pki.sh client <pki_args>`, the passphrase file and the profile
  // `who` (pointing at the relay) with `init_extra` added to `samrad init`.
  // Call before StartTamperProxy if the proxy must forward for them.
  void AddPerson(const std::string& who, const std::vector<std::string>& pki_args,
                 const std::vector<std::string>& init_extra) {
    std::vector<std::string> args = {"client"};
    args.insert(args.end(), pki_args.begin(), pki_args.end());
    ASSERT_NO_FATAL_FAILURE(Pki(args));
    ASSERT_EQ(pki_args.size(), 3u);
    ASSERT_TRUE(harness::WritePassphrases(dir_, {who}));
    ASSERT_NO_FATAL_FAILURE(InitProfile(
        who, absl::StrCat(pki_args[0], "-", pki_args[1], "-", pki_args[2]), init_extra));
  }

  // Admin: edits the offline directory with `edit` (e.g. remove-adviser
  // rc-kronoberg a-2), signs the next epoch and publishes it directly.
  void PublishNextEpoch(const std::vector<std::string>& edit,
                        const std::vector<std::string>& sign_extra = {}) {
    if (!edit.empty()) {
      std::vector<std::string> args = {"admin", "directory"};
      args.insert(args.end(), edit.begin(), edit.end());
      ProcessResult edited = Samrad("admin", args);
      ASSERT_EQ(edited.exit_code, 0) << edited.err;
    }
    std::vector<std::string> sign = {"admin", "directory", "sign"};
    sign.insert(sign.end(), sign_extra.begin(), sign_extra.end());
    ProcessResult signed_now = Samrad("admin", sign);
    ASSERT_EQ(signed_now.exit_code, 0) << signed_now.err;
    ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
    ASSERT_EQ(publish.exit_code, 0) << publish.err;
  }

  // Starts samrad-tamper-proxy in front of the relay with the relay's
  // certificate and key and an identity for every client certificate in the
  // PKI so far; its rules file is TamperRulesFile() (absent: transparent).
  void StartTamperProxy() {
    ASSERT_TRUE(PathExists(kTamperProxy)) << kTamperProxy;
    ASSERT_LE(proxy_pid_, 0) << "the proxy already runs";
    std::vector<std::string> argv = {
        kTamperProxy,           "--upstream", "127.0.0.1:" + port_, "--cert",
        pki_ + "/relay.crt",    "--key",      pki_ + "/relay.key",  "--ca",
        pki_ + "/ca.crt",       "--rules",    TamperRulesFile(),    "--port-file",
        dir_.File("proxy.port")};
    for (const auto& entry : std::filesystem::directory_iterator(pki_)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".crt" || name == "ca.crt" || name == "relay.crt") continue;
      const std::string stem = entry.path().stem().string();
      if (!PathExists(pki_ + "/" + stem + ".key")) continue;
      argv.push_back("--client-identity");
      argv.push_back(absl::StrCat(pki_, "/", stem, ".crt,", pki_, "/", stem, ".key"));
    }
    proxy_log_ = dir_.File("proxy.log");
    proxy_pid_ = Spawn(argv, MakeEnv({}), "", dir_.File("proxy.out"), proxy_log_);
    ASSERT_GT(proxy_pid_, 0);
    for (int i = 0; i < 300 && proxy_port_.empty(); ++i) {
      std::string text = ReadFileToString(dir_.File("proxy.port")).value_or("");
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      proxy_port_ = text;
      int status = 0;
      ASSERT_EQ(::waitpid(proxy_pid_, &status, WNOHANG), 0) << "proxy exited: " << ProxyLog();
      if (proxy_port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(proxy_port_.empty()) << ProxyLog();
  }

  // The proxy's rules, re-read by it on every call.
  std::string TamperRulesFile() const { return dir_.File("tamper.rules"); }
  // Replaces the rules (empty: none, the proxy forwards unchanged).
  void SetTamperRules(const std::string& rules) {
    if (rules.empty()) {
      std::filesystem::remove(TamperRulesFile());
    } else {
      ASSERT_TRUE(WriteFileAtomically(TamperRulesFile(), rules).ok());
    }
  }
  std::string ProxyLog() const { return ReadFileToString(proxy_log_).value_or(""); }

  // A second profile of `who` that talks to the proxy instead of the relay
  // (same certificate, keystore and passphrase); returns its name
  // "<who>-via-proxy". Needs StartTamperProxy.
  std::string ViaProxy(const std::string& who) {
    const std::string name = who + "-via-proxy";
    EXPECT_FALSE(proxy_port_.empty()) << "StartTamperProxy first";
    std::string conf = ReadFileToString(dir_.File(who + ".conf")).value_or("");
    const std::string direct = "127.0.0.1:" + port_;
    const size_t at = conf.find(direct);
    EXPECT_NE(at, std::string::npos) << conf;
    if (at != std::string::npos) conf.replace(at, direct.size(), "127.0.0.1:" + proxy_port_);
    EXPECT_TRUE(WriteFileAtomically(dir_.File(name + ".conf"), conf).ok());
    EXPECT_TRUE(WriteFileAtomically(dir_.File(name + ".pass"),
                                    ReadFileToString(dir_.File(who + ".pass")).value_or(""))
                    .ok());
    return name;
  }

  // Runs samrad as `who` with `extra_env` added (e.g. the time-shift shim).
  ProcessResult SamradWithEnv(const std::string& who, std::vector<std::string> args,
                              const std::map<std::string, std::string>& extra_env,
                              const std::string& stdin_text = "") {
    std::vector<std::string> argv = {kSamrad};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = CliEnvFor(dir_, who);
    for (const auto& [k, v] : extra_env) env[k] = v;
    return RunProcess(argv, env, dir_.path(), stdin_text);
  }

  // Sends `signal` to the relay and waits (bounded) for it to exit; returns
  // its exit status (-1: killed by a signal or still running after 30 s).
  int StopRelay(int signal) { return relay_.Stop(signal); }

  // Stops the relay (SIGTERM) and starts it again on the same data directory
  // with `env` added to its environment (e.g. the time-shift shim), then
  // points every profile in the test directory at its new port.
  void RestartRelay(const std::map<std::string, std::string>& env) {
    ASSERT_EQ(StopRelay(SIGTERM), 0) << RelayLog();
    const std::string old_port = port_;
    port_.clear();
    ASSERT_NO_FATAL_FAILURE(StartRelay(env));
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      if (entry.path().extension() != ".conf") continue;
      ASSERT_TRUE(harness::RepointProfile(entry.path().string(), old_port, port_));
    }
  }

  // Starts the relay again after StopRelay: same port, data directory and
  // configuration (a relay restart as clients see it).
  void StartRelayAgain() {
    ASSERT_FALSE(relay_.running()) << "the relay still runs; StopRelay first";
    ASSERT_NO_FATAL_FAILURE(StartRelay());
  }

  // The relay's stderr log so far (of its latest start).
  std::string RelayLog() const { return relay_.Log(); }

  // Runs samrad as `who` (profile, keystore passphrase, admin folder).
  ProcessResult Samrad(const std::string& who, std::vector<std::string> args,
                       const std::string& stdin_text = "") {
    return harness::RunSamradAs(dir_, who, args, stdin_text);
  }

  // Runs samrad as `who` in a session without a controlling terminal
  // (setsid), so a confirmation cannot be asked on /dev/tty.
  ProcessResult SamradWithoutTerminal(const std::string& who, std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/setsid", "-w", kSamrad};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, CliEnvFor(dir_, who), dir_.path());
  }

  // The 32-character reference in `ask --json` output (empty if none).
  static std::string Reference(const std::string& json) {
    std::smatch match;
    return std::regex_search(json, match, std::regex("\"reference\":\"([0-9a-f]{32})\""))
               ? match[1].str()
               : "";
  }

  // `samrad ask` as the professional for county 07 (rc-kronoberg), --json.
  ProcessResult Ask(const std::string& text) {
    return Samrad("pro",
                  {"ask", "--county", "07", "--category", "honour-violence", "--urgency", "normal",
                   "--org", "school", "--age", "child", "--json"},
                  text);
  }

  // Makes the relay's store volume full (true) or frees it (false); needs
  // Options::disk_can_fill.
  void SetDiskFull(bool full) {
    ASSERT_TRUE(options_.disk_can_fill);
    if (full) {
      ASSERT_TRUE(WriteFileAtomically(disk_full_flag(), "full\n").ok());
    } else {
      std::filesystem::remove(disk_full_flag());
    }
  }

  const std::string& port() const { return port_; }
  const std::string& proxy_port() const { return proxy_port_; }
  const std::string& pki() const { return pki_; }
  const TempDir& dir() const { return dir_; }
  pid_t relay_pid() const { return relay_.pid(); }

 private:
  std::string disk_full_flag() const { return dir_.File("disk-full.flag"); }

  void Pki(std::vector<std::string> args) {
    ProcessResult r = harness::RunPki(pki_, args, dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void StartRelay(const std::map<std::string, std::string>& extra_env = {}) {
    // On port 0 the first time (and after RestartRelay), on the same port after StopRelay.
    const std::string wanted_port = port_.empty() ? "0" : port_;
    port_.clear();
    const std::string kek = dir_.File("kek.hex");
    ASSERT_TRUE(WriteFileAtomically(kek, std::string(64, 'b') + "\n").ok());
    const std::string data_dir = dir_.File("relay-data");
    std::filesystem::create_directories(data_dir);
    harness::RelaySetup setup = harness::CliRelaySetup(dir_, pki_, data_dir, kek);
    setup.port = wanted_port;
    setup.extra = absl::StrCat("shutdown_grace_seconds: ", options_.shutdown_grace_seconds, "\n",
                               options_.extra_config);
    ASSERT_TRUE(
        WriteFileAtomically(dir_.File("relay.textproto"), harness::RelayConfigText(setup)).ok());
    std::map<std::string, std::string> env = extra_env;
    if (options_.disk_can_fill) env["SAMRAD_TEST_DISK_FULL_MARKER"] = disk_full_flag();
    const std::string log =
        dir_.File(restarts_ == 0 ? "relay.log" : absl::StrCat("relay-", restarts_, ".log"));
    ++restarts_;
    ASSERT_NO_FATAL_FAILURE(relay_.Start(dir_.File("relay.textproto"), log, env));
    port_ = relay_.port();
    if (wanted_port != "0") {
      ASSERT_EQ(port_, wanted_port) << RelayLog();
    }
  }

  void InitProfile(const std::string& who, const std::string& cert,
                   const std::vector<std::string>& extra) {
    ProcessResult r = Samrad(who, CliInitArgs(dir_, pki_, port_, who, cert, extra));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  Options options_;
  std::string pki_;
  harness::RelayProcess relay_;
  std::string port_;
  int restarts_ = 0;  // relay starts so far (each restart logs to its own file)
  std::string proxy_log_;
  std::string proxy_port_;
  pid_t proxy_pid_ = -1;
};

// A `samrad watch` running in the background as one person (CliEnvFor, with
// `extra_env` added), its output in <who>-watch.out and .err.
class BackgroundWatch {
 public:
  BackgroundWatch(const TempDir& dir, const std::string& who, const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& extra_env = {})
      : out_(dir.File(who + "-watch.out")), err_(dir.File(who + "-watch.err")) {
    std::vector<std::string> argv = {std::string(SAMRAD_BINARY_DIR) + "/client/samrad", "watch"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = CliEnvFor(dir, who);
    for (const auto& [k, v] : extra_env) env[k] = v;
    pid_ = Spawn(argv, MakeEnv(env), "", out_, err_, dir.path());
  }
  ~BackgroundWatch() {
    if (pid_ > 0) Stop();
  }
  // Stops it (SIGTERM) and returns its exit status.
  int Stop() {
    ::kill(pid_, SIGTERM);
    const int status = WaitFor(pid_, std::chrono::seconds(20));
    pid_ = -1;
    return status;
  }
  // Waits (bounded) for it to exit by itself; its exit code or -1.
  int Wait(std::chrono::seconds limit) {
    const int status = WaitFor(pid_, limit);
    pid_ = -1;
    return status;
  }
  std::string Out() const { return ReadFileToString(out_).value_or(""); }
  std::string Err() const { return ReadFileToString(err_).value_or(""); }

 private:
  std::string out_;
  std::string err_;
  pid_t pid_ = -1;
};

}  // namespace samrad::client::testing

#endif  // SAMRAD_TESTS_CLIENT_CLI_RELAY_FIXTURE_H_
