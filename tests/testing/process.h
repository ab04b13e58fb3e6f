// Running real processes from tests: one-shot commands with a time limit, and
// background processes (in their own process group) whose output goes to
// files.
#ifndef SAMRAD_TESTS_TESTING_PROCESS_H_
#define SAMRAD_TESTS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace samrad::harness {

struct ProcessResult {
  int exit_code = -1;  // -1: killed after the time limit or by a signal
  std::string out;
  std::string err;
};

// Environment: the current one with `overrides` applied (empty value removes).
std::vector<std::string> MakeEnv(const std::map<std::string, std::string>& overrides);

// In a forked child: changes to `cwd` (unless empty) and execs argv[0] with
// `env`. Never returns (exit 126 when cwd fails, 127 when exec fails).
[[noreturn]] void ExecInChild(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, const std::string& cwd);

// Starts argv[0] in a new process group with stdin from `stdin_path` (or
// /dev/null), stdout and stderr to the given files. Returns the pid or -1.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& stdin_path, const std::string& out_path, const std::string& err_path,
            const std::string& cwd = "");

// Waits up to `limit` for `pid`; kills its process group after that. The exit
// status, or -1 when it was killed (by us or by a signal).
int WaitFor(pid_t pid, std::chrono::milliseconds limit);

// Sends SIGTERM to the process group of `pid` and waits up to `limit`.
int StopGroup(pid_t pid, std::chrono::milliseconds limit = std::chrono::seconds(10));

// Runs a command to completion (at most `limit`) in scratch dir `work`, where
// its stdin, stdout and stderr files are kept.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env_overrides,
                         const std::string& work, const std::string& stdin_text = "",
                         std::chrono::milliseconds limit = std::chrono::seconds(60));

// Runs argv[0] (at most `limit`) with a new pseudo-terminal as its stdin,
// stdout, stderr and controlling terminal, in `cwd`. Each time the output
// shows `prompt` once more and the terminal's echo is off (a secret is
// asked), the next of `answers` is typed with a newline. The exit code (-1
// after the limit or a signal) and everything written, in `out`.
ProcessResult RunOnTerminal(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, const std::string& cwd,
                            const std::string& prompt, const std::vector<std::string>& answers,
                            std::chrono::milliseconds limit = std::chrono::seconds(60));

}  // namespace samrad::harness

#endif  // SAMRAD_TESTS_TESTING_PROCESS_H_
