// A real Samråd deployment on 127.0.0.1 for the crash and fault tests: a PKI
// from certs/samrad-pki.sh, a key directory made, signed and published with
// the `samrad` CLI (one adviser a-1 of rc-kronoberg with a real keystore), a
// samrad-relay child process with a text-format config, samrad-bench runs in
// the foreground or background, `samrad-relay fsck --expect-ids`, and the
// `samrad` CLI as the adviser to read threads end to end.
//
// Everything lives in one temp dir that the destructor removes after killing
// every child it started (each child runs in its own process group). Every
// wait is bounded.
#ifndef SAMRAD_TESTS_FAULTS_DEPLOYMENT_H_
#define SAMRAD_TESTS_FAULTS_DEPLOYMENT_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace samrad::faults {

struct Outcome {
  int exit_code = -1;  // -1: killed by a signal or after the time limit
  std::string out;     // stdout
  std::string err;     // stderr
  std::string all() const { return out + err; }
};

// A child process in its own process group with stdout/stderr in files.
// The destructor SIGKILLs the group and reaps the child.
class Child {
 public:
  // Starts argv (argv[0] a path) with `env` overrides; empty `out`/`err`
  // mean /dev/null. Returns nullptr when fork fails.
  static std::unique_ptr<Child> Spawn(const std::vector<std::string>& argv,
                                      const std::map<std::string, std::string>& env,
                                      const std::string& out, const std::string& err,
                                      const std::string& stdin_text = "");
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int signal) const;
  // Waits at most `limit`; then SIGKILLs the group and reaps. Returns the raw
  // wait status, or -1 when the limit was hit (the child is gone either way).
  int Wait(std::chrono::milliseconds limit);
  const std::string& out_path() const { return out_; }
  const std::string& err_path() const { return err_; }

 private:
  Child() = default;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_, err_;
};

// Runs argv to completion (at most `limit`, then killed: exit_code -1).
Outcome Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& scratch_dir,
            std::chrono::milliseconds limit = std::chrono::seconds(60),
            const std::string& stdin_text = "");

std::string ReadFile(const std::string& path);
bool WriteFile(const std::string& path, const std::string& text);
// The non-empty lines of `path`.
std::vector<std::string> ReadLines(const std::string& path);

// SAMRAD_FAULT_SEED when set (decimal), else the clock. Printed by callers.
uint64_t FaultSeed();

struct DeploymentOptions {
  std::string name = "faults";
  // Where the relay keeps its store; empty: <dir>/data.
  std::string data_dir;
  uint32_t tls_refresh_seconds = 60;
  uint32_t shutdown_grace_seconds = 10;
  // Environment overrides for `samrad-relay serve` (e.g. the test hooks of
  // storage/simulated_disk.h); changeable between runs with SetRelayEnv.
  std::map<std::string, std::string> relay_env;
};

class Deployment {
 public:
  // PKI, directory key, adviser keystore, signed directory and relay config.
  // Does not start the relay.
  static absl::StatusOr<std::unique_ptr<Deployment>> Create(DeploymentOptions options);
  ~Deployment();  // kills the relay and every background bench, removes dir()

  const std::string& dir() const { return dir_; }
  const std::string& data_dir() const { return options_.data_dir; }
  const std::string& tls_dir() const { return tls_dir_; }
  int port() const { return port_; }
  pid_t relay_pid() const { return relay_ ? relay_->pid() : -1; }
  bool relay_running() const { return relay_ && relay_->running(); }
  // The last 4000 bytes of the relay's stderr (its log) of the current or last run.
  std::string relay_log() const;

  // Starts `samrad-relay serve` and waits (at most 30 s) until it prints
  // "listening on port N", which it does once it is serving and healthy. The
  // port is kept across restarts (the first start picks a free one).
  absl::Status StartRelay();
  // Replaces the relay's environment overrides for its next start.
  void SetRelayEnv(std::map<std::string, std::string> env) { options_.relay_env = std::move(env); }
  // Sends `signal` and waits at most `limit` (then SIGKILL). Returns the raw
  // wait status (-1 after the limit) and sets *seconds to the time taken.
  int StopRelay(int signal, std::chrono::milliseconds limit = std::chrono::seconds(30),
                double* seconds = nullptr);
  // Publishes the signed directory (once, after the first start).
  absl::Status PublishDirectory();

  // samrad-bench with the professional's certificate against the relay plus
  // `flags`.
  Outcome RunBench(const std::vector<std::string>& flags,
                   std::chrono::milliseconds limit = std::chrono::seconds(90));
  std::unique_ptr<Child> StartBench(const std::vector<std::string>& flags, const std::string& tag);
  // `samrad-relay fsck --expect-ids ack_file` (relay must be stopped).
  Outcome Fsck(const std::string& ack_file);
  // The samrad CLI as the adviser a-1 of rc-kronoberg (profile + keystore).
  Outcome Adviser(const std::vector<std::string>& args);
  // The samrad CLI as the professional p-bench of county 07 (own keystore
  // holding the thread keys of what it asked).
  Outcome Professional(const std::vector<std::string>& args, const std::string& stdin_text = "");
  // Issues a new relay certificate and key (same CA, new serial) and swaps the
  // watched TLS directory atomically by rename. Returns the new serial.
  absl::StatusOr<std::string> RotateRelayCertificate();
  // The serial (uppercase hex) a fresh TLS connection to the relay sees.
  std::string ServedSerial();
  // The serial of the certificate currently in tls_dir().
  std::string FileSerial();

 private:
  explicit Deployment(DeploymentOptions options) : options_(std::move(options)) {}
  absl::Status Setup();
  absl::Status Pki(const std::vector<std::string>& args);
  Outcome Samrad(const std::string& who, const std::vector<std::string>& args,
                 const std::string& stdin_text = "");
  std::map<std::string, std::string> EnvFor(const std::string& who) const;
  std::vector<std::string> BenchArgs(const std::vector<std::string>& flags) const;
  absl::Status WriteConfig();

  DeploymentOptions options_;
  std::string dir_, pki_, tls_dir_, config_;
  std::unique_ptr<Child> relay_;
  int port_ = 0;
  int relay_runs_ = 0;
  int rotations_ = 0;
};

}  // namespace samrad::faults

#endif  // SAMRAD_TESTS_FAULTS_DEPLOYMENT_H_
