// A real samrad-relay process for end-to-end tests: its configuration text
// for a deployment in a test directory, and the process itself, started on
// 127.0.0.1 and waited for until it names its port.
#ifndef SAMRAD_TESTS_TESTING_RELAY_PROCESS_H_
#define SAMRAD_TESTS_TESTING_RELAY_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>

namespace samrad::harness {

// What a test relay's configuration names.
struct RelaySetup {
  std::string pki_dir;  // holds relay.crt, relay.key and ca.crt (samrad-pki.sh)
  std::string data_dir;
  std::string kek_file;
  std::string directory_public_key_file;
  std::string port = "0";  // "0": the kernel picks one (RelayProcess::port())
  // The fields of the retention { } block.
  std::string retention = "sweeper_disabled: true";
  // Further text-format lines, appended verbatim (each ending in "\n").
  std::string extra;
};

// The relay.textproto text for `setup`, listening on 127.0.0.1.
std::string RelayConfigText(const RelaySetup& setup);

// One samrad-relay process; killed (SIGKILL) on destruction if it still runs.
class RelayProcess {
 public:
  RelayProcess() = default;
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  // Starts `samrad-relay serve --config config_file` with `env` added to the
  // environment, stderr to `log_file` (stdout to log_file + ".out"), and waits
  // up to 15 s until its log names its port. A gtest failure (fatal) when it
  // exits first or never does: call under ASSERT_NO_FATAL_FAILURE.
  void Start(const std::string& config_file, const std::string& log_file,
             const std::map<std::string, std::string>& env = {});

  // Sends `signal` and waits up to `limit` for the exit; its exit status, or
  // -1 when killed by a signal, still running after `limit` (then killed) or
  // not running at all.
  int Stop(int signal, std::chrono::seconds limit = std::chrono::seconds(30));

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The port of the latest start ("" before one).
  const std::string& port() const { return port_; }
  // Its log (stderr) of the latest start so far.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string port_;
  std::string log_file_;
};

}  // namespace samrad::harness

#endif  // SAMRAD_TESTS_TESTING_RELAY_PROCESS_H_
