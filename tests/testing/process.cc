#include "tests/testing/process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "tests/testing/files.h"

namespace samrad::harness {

std::vector<std::string> MakeEnv(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : overrides) {
    if (v.empty()) {
      env.erase(k);
    } else {
      env[k] = v;
    }
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

void ExecInChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                 const std::string& cwd) {
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(args[0], args.data(), envp.data());
  ::_exit(127);
}

pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& stdin_path, const std::string& out_path, const std::string& err_path,
            const std::string& cwd) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setpgid(0, 0);
  int in = ::open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || out < 0 || err < 0) ::_exit(126);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  ExecInChild(argv, env, cwd);
}

int WaitFor(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int StopGroup(pid_t pid, std::chrono::milliseconds limit) {
  ::kill(-pid, SIGTERM);
  return WaitFor(pid, limit);
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env_overrides,
                         const std::string& work, const std::string& stdin_text,
                         std::chrono::milliseconds limit) {
  static std::atomic<int> counter{0};
  const std::string base = work + "/proc-" + std::to_string(++counter);
  std::string stdin_path;
  if (!stdin_text.empty()) {
    stdin_path = base + ".in";
    (void)WriteFile(stdin_path, stdin_text, 0600);
  }
  ProcessResult result;
  pid_t pid = Spawn(argv, MakeEnv(env_overrides), stdin_path, base + ".out", base + ".err", work);
  if (pid < 0) return result;
  result.exit_code = WaitFor(pid, limit);
  result.out = ReadFile(base + ".out");
  result.err = ReadFile(base + ".err");
  return result;
}

ProcessResult RunOnTerminal(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, const std::string& cwd,
                            const std::string& prompt, const std::vector<std::string>& answers,
                            std::chrono::milliseconds limit) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) ExecInChild(argv, env, cwd);
  ProcessResult result;
  if (pid < 0) return result;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  size_t answered = 0;
  int status = 0;
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char buf[512];
      const ssize_t n = ::read(master, buf, sizeof(buf));
      if (n > 0) result.out.append(buf, static_cast<size_t>(n));
    }
    size_t prompts = 0;
    for (size_t at = result.out.find(prompt); !prompt.empty() && at != std::string::npos;
         at = result.out.find(prompt, at + 1)) {
      ++prompts;
    }
    termios mode{};
    if (prompts > answered && answered < answers.size() && ::tcgetattr(master, &mode) == 0 &&
        (mode.c_lflag & ECHO) == 0) {
      const std::string line = answers[answered++] + "\n";
      (void)!::write(master, line.data(), line.size());
    }
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  pollfd p{master, POLLIN, 0};
  while (::poll(&p, 1, 100) > 0) {
    char buf[512];
    const ssize_t n = ::read(master, buf, sizeof(buf));
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  ::close(master);
  result.exit_code = exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace samrad::harness
