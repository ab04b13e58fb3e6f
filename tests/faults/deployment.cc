#include "tests/faults/deployment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/bench/test_pki.h"

extern char** environ;

namespace samrad::faults {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kSource = SAMRAD_SOURCE_DIR;
const std::string kRelay = std::string(SAMRAD_BINARY_DIR) + "/server/samrad-relay";
const std::string kBench = std::string(SAMRAD_BINARY_DIR) + "/samrad-bench";
const std::string kSamrad = std::string(SAMRAD_BINARY_DIR) + "/client/samrad";
const std::string kPki = kSource + "/certs/samrad-pki.sh";

// The current environment with `overrides` applied.
std::vector<std::string> MakeEnv(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : overrides) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

absl::Status Failed(const std::string& what, const Outcome& o) {
  return absl::InternalError(
      absl::StrCat(what, " failed (exit ", o.exit_code, "): ", o.out, o.err));
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  // Private, like every key the relay accepts (it refuses keys open to others).
  return static_cast<bool>(out) && ::chmod(path.c_str(), 0600) == 0;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
  }
  return lines;
}

uint64_t FaultSeed() {
  const char* env = std::getenv("SAMRAD_FAULT_SEED");
  if (env != nullptr && *env != '\0') return std::strtoull(env, nullptr, 10);
  return static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch() /
                               std::chrono::microseconds(1));
}

// ---------------------------------------------------------------------------
std::unique_ptr<Child> Child::Spawn(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env,
                                    const std::string& out, const std::string& err,
                                    const std::string& stdin_text) {
  std::string stdin_path = "/dev/null";
  if (!stdin_text.empty()) {
    stdin_path = (out.empty() ? std::string("/tmp/samrad-faults") : out) + ".in";
    if (!WriteFile(stdin_path, stdin_text)) return nullptr;
  }
  const std::vector<std::string> envp_strings = MakeEnv(env);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : envp_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string out_path = out.empty() ? "/dev/null" : out;
  const std::string err_path = err.empty() ? "/dev/null" : err;
  const pid_t pid = ::fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    ::setpgid(0, 0);
    // Dies with the test process, even when ctest kills it on a timeout.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int in_fd = ::open(stdin_path.c_str(), O_RDONLY);
    const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so Signal() never races exec
  std::unique_ptr<Child> child(new Child());
  child->pid_ = pid;
  child->out_ = out_path;
  child->err_ = err_path;
  return child;
}

Child::~Child() {
  if (!reaped_) Wait(std::chrono::milliseconds(0));
}

bool Child::running() {
  if (reaped_) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

void Child::Signal(int signal) const {
  if (!reaped_) ::kill(pid_, signal);
}

int Child::Wait(std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!reaped_) {
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      reaped_ = true;
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

Outcome Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& scratch_dir, std::chrono::milliseconds limit,
            const std::string& stdin_text) {
  static int counter = 0;
  const std::string base = absl::StrCat(scratch_dir, "/run-", ++counter);
  Outcome outcome;
  std::unique_ptr<Child> child = Child::Spawn(argv, env, base + ".out", base + ".err", stdin_text);
  if (child == nullptr) return outcome;
  const int status = child->Wait(limit);
  outcome.exit_code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = ReadFile(base + ".out");
  outcome.err = ReadFile(base + ".err");
  if (status < 0) outcome.err += "\n[killed after the time limit]";
  return outcome;
}

// ---------------------------------------------------------------------------
absl::StatusOr<std::unique_ptr<Deployment>> Deployment::Create(DeploymentOptions options) {
  std::unique_ptr<Deployment> d(new Deployment(std::move(options)));
  if (absl::Status s = d->Setup(); !s.ok()) return s;
  return d;
}

Deployment::~Deployment() {
  relay_.reset();  // SIGKILL + reap when still running
  bench::testing::RemoveTree(dir_);
}

absl::Status Deployment::Pki(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/bash", kPki, "--dir", pki_};
  argv.insert(argv.end(), args.begin(), args.end());
  const Outcome o = Run(argv, {}, dir_);
  return o.exit_code == 0 ? absl::OkStatus() : Failed(absl::StrJoin(args, " "), o);
}

std::map<std::string, std::string> Deployment::EnvFor(const std::string& who) const {
  return {{"SAMRAD_CONFIG", absl::StrCat(dir_, "/", who, ".conf")},
          {"SAMRAD_PASSPHRASE_FILE", absl::StrCat(dir_, "/", who, ".pass")},
          {"SAMRAD_DIRECTORY_PASSPHRASE_FILE", dir_ + "/dir.pass"},
          {"SAMRAD_ADMIN_DIR", dir_ + "/dir"},
          {"LANG", "C.UTF-8"},
          {"HOME", dir_}};
}

Outcome Deployment::Samrad(const std::string& who, const std::vector<std::string>& args,
                           const std::string& stdin_text) {
  std::vector<std::string> argv = {kSamrad};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, EnvFor(who), dir_, std::chrono::seconds(60), stdin_text);
}

Outcome Deployment::Professional(const std::vector<std::string>& args,
                                 const std::string& stdin_text) {
  return Samrad("pro", args, stdin_text);
}

Outcome Deployment::Adviser(const std::vector<std::string>& args) {
  return Samrad("adviser", args);
}

absl::Status Deployment::Setup() {
  dir_ = bench::testing::MakeTempDir("samrad-" + options_.name);
  if (dir_.empty()) return absl::InternalError("cannot make a temp dir");
  pki_ = dir_ + "/pki";
  tls_dir_ = dir_ + "/tls";
  if (options_.data_dir.empty()) options_.data_dir = dir_ + "/data";
  for (const auto& step : std::vector<std::vector<std::string>>{
           {"init"},
           {"server", "relay", "--ip", "127.0.0.1", "--dns", "localhost"},
           {"client", "admin", "national", "ops-1"},
           {"client", "adviser", "rc-kronoberg", "a-1"},
           {"client", "professional", "07", "p-bench"}}) {
    if (absl::Status s = Pki(step); !s.ok()) return s;
  }
  // The relay reads its pair from tls/, which rotation swaps by rename.
  if (::mkdir(tls_dir_.c_str(), 0700) != 0 ||
      !WriteFile(tls_dir_ + "/relay.crt", ReadFile(pki_ + "/relay.crt")) ||
      !WriteFile(tls_dir_ + "/relay.key", ReadFile(pki_ + "/relay.key"))) {
    return absl::InternalError("cannot write " + tls_dir_);
  }
  for (const char* who : {"admin", "adviser", "pro", "dir"}) {
    WriteFile(absl::StrCat(dir_, "/", who, ".pass"), absl::StrCat("passphrase of ", who, "\n"));
  }
  if (!WriteFile(dir_ + "/kek.hex", std::string(64, 'b') + "\n")) {
    return absl::InternalError("cannot write the KEK");
  }
  const Outcome init = Samrad("admin", {"admin", "directory", "init", "--out", dir_ + "/dir",
                                        "--routing", kSource + "/deploy/routing.textproto"});
  if (init.exit_code != 0) return Failed("samrad admin directory init", init);
  // Profiles need a relay address; the port is filled in at the first start.
  return WriteConfig();
}

absl::Status Deployment::WriteConfig() {
  config_ = dir_ + "/relay.textproto";
  const std::string text =
      absl::StrCat("listen_address: \"127.0.0.1:", port_, "\"\n", "tls { cert_file: \"", tls_dir_,
                   "/relay.crt\" key_file: \"", tls_dir_, "/relay.key\" client_ca_file: \"", pki_,
                   "/ca.crt\" refresh_interval_seconds: ", options_.tls_refresh_seconds, " }\n",
                   "data_dir: \"", options_.data_dir, "\"\n", "kek_file: \"", dir_, "/kek.hex\"\n",
                   "directory_public_key_file: \"", dir_, "/dir/directory.pub\"\n",
                   "shutdown_grace_seconds: ", options_.shutdown_grace_seconds, "\n",
                   // One bench certificate carries a whole load; the default per-person
                   // rate limit would turn it into RESOURCE_EXHAUSTED.
                   "limits { rate_per_second: 1000000 rate_burst: 1000000 }\n",
                   "retention { sweeper_disabled: true }\n");
  return WriteFile(config_, text) ? absl::OkStatus()
                                  : absl::InternalError("cannot write " + config_);
}

std::string Deployment::relay_log() const {
  const std::string log = ReadFile(absl::StrCat(dir_, "/relay-", relay_runs_, ".err"));
  // Failure messages only need the end (the relay logs every thread created).
  return log.size() > 4000 ? "..." + log.substr(log.size() - 4000) : log;
}

absl::Status Deployment::StartRelay() {
  if (relay_running()) return absl::FailedPreconditionError("the relay is already running");
  ++relay_runs_;
  const std::string base = absl::StrCat(dir_, "/relay-", relay_runs_);
  relay_ = Child::Spawn({kRelay, "serve", "--config", config_}, options_.relay_env, base + ".out",
                        base + ".err");
  if (relay_ == nullptr) return absl::InternalError("cannot fork the relay");
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    const std::string out = ReadFile(base + ".out");
    const size_t at = out.find("listening on port ");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      const int port = std::atoi(out.c_str() + at + 18);
      if (port_ == 0) {
        port_ = port;
        if (absl::Status s = WriteConfig(); !s.ok()) return s;
      }
      if (port != port_) return absl::InternalError("the relay came up on another port");
      return absl::OkStatus();
    }
    if (!relay_->running()) {
      return absl::UnavailableError(absl::StrCat("the relay exited at start: ", relay_log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  relay_.reset();
  return absl::DeadlineExceededError("the relay did not start within 30 s: " + relay_log());
}

int Deployment::StopRelay(int signal, std::chrono::milliseconds limit, double* seconds) {
  if (!relay_) return -1;
  const auto start = Clock::now();
  relay_->Signal(signal);
  const int status = relay_->Wait(limit);
  if (seconds != nullptr) *seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return status;
}

absl::Status Deployment::PublishDirectory() {
  if (port_ == 0) return absl::FailedPreconditionError("start the relay first");
  const std::string relay = absl::StrCat("127.0.0.1:", port_);
  auto profile = [&](const std::string& who, const std::string& cert,
                     std::vector<std::string> extra) -> absl::Status {
    std::vector<std::string> args = {"init",
                                     "--relay",
                                     relay,
                                     "--cert",
                                     absl::StrCat(pki_, "/", cert, ".crt"),
                                     "--key",
                                     absl::StrCat(pki_, "/", cert, ".key"),
                                     "--ca",
                                     pki_ + "/ca.crt",
                                     "--directory-key",
                                     dir_ + "/dir/directory.pub",
                                     "--keystore",
                                     absl::StrCat(dir_, "/", who, ".keystore")};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome o = Samrad(who, args);
    return o.exit_code == 0 ? absl::OkStatus() : Failed("samrad init " + who, o);
  };
  if (auto s = profile("admin", "admin-national-ops-1", {}); !s.ok()) return s;
  if (auto s = profile("adviser", "adviser-rc-kronoberg-a-1", {"--adviser-id", "a-1"}); !s.ok()) {
    return s;
  }
  if (auto s = profile("pro", "professional-07-p-bench", {}); !s.ok()) return s;
  const std::string bundle = dir_ + "/a-1.bundle.json";
  for (const auto& [who, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"adviser", {"keygen", "--out", bundle}},
           {"admin", {"admin", "directory", "add-adviser", "rc-kronoberg", bundle}},
           {"admin", {"admin", "directory", "sign"}},
           {"admin", {"admin", "directory", "publish"}}}) {
    const Outcome o = Samrad(who, args);
    if (o.exit_code != 0) return Failed("samrad " + absl::StrJoin(args, " "), o);
  }
  return absl::OkStatus();
}

std::vector<std::string> Deployment::BenchArgs(const std::vector<std::string>& flags) const {
  std::vector<std::string> argv = {kBench,
                                   "--target",
                                   absl::StrCat("127.0.0.1:", port_),
                                   "--ca",
                                   pki_ + "/ca.crt",
                                   "--cert",
                                   pki_ + "/professional-07-p-bench.crt",
                                   "--key",
                                   pki_ + "/professional-07-p-bench.key",
                                   "--directory-key",
                                   dir_ + "/dir/directory.pub"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

Outcome Deployment::RunBench(const std::vector<std::string>& flags,
                             std::chrono::milliseconds limit) {
  return Run(BenchArgs(flags), {}, dir_, limit);
}

std::unique_ptr<Child> Deployment::StartBench(const std::vector<std::string>& flags,
                                              const std::string& tag) {
  return Child::Spawn(BenchArgs(flags), {}, absl::StrCat(dir_, "/bench-", tag, ".out"),
                      absl::StrCat(dir_, "/bench-", tag, ".err"));
}

Outcome Deployment::Fsck(const std::string& ack_file) {
  return Run({kRelay, "fsck", "--data-dir", options_.data_dir, "--kek-file", dir_ + "/kek.hex",
              "--expect-ids", ack_file},
             {}, dir_, std::chrono::seconds(60));
}

absl::StatusOr<std::string> Deployment::RotateRelayCertificate() {
  const std::string name = absl::StrCat("relay-next-", ++rotations_);
  if (auto s = Pki({"server", name, "--ip", "127.0.0.1", "--dns", "localhost"}); !s.ok()) return s;
  // Certificate README, way (a): a complete new directory swapped by rename,
  // so the watcher never sees a new certificate with the old key.
  const std::string next = tls_dir_ + ".new", old = tls_dir_ + ".old";
  bench::testing::RemoveTree(next);
  bench::testing::RemoveTree(old);
  if (::mkdir(next.c_str(), 0700) != 0 ||
      !WriteFile(next + "/relay.crt", ReadFile(absl::StrCat(pki_, "/", name, ".crt"))) ||
      !WriteFile(next + "/relay.key", ReadFile(absl::StrCat(pki_, "/", name, ".key")))) {
    return absl::InternalError("cannot write " + next);
  }
  if (::rename(tls_dir_.c_str(), old.c_str()) != 0 || ::rename(next.c_str(), tls_dir_.c_str()) != 0)
    return absl::InternalError("cannot swap " + tls_dir_);
  return FileSerial();
}

std::string Deployment::FileSerial() {
  const Outcome o =
      Run({"/usr/bin/openssl", "x509", "-in", tls_dir_ + "/relay.crt", "-noout", "-serial"}, {},
          dir_, std::chrono::seconds(10));
  return std::string(absl::StripAsciiWhitespace(absl::StripPrefix(o.out, "serial=")));
}

std::string Deployment::ServedSerial() {
  const std::string script = absl::StrCat(
      "openssl s_client -connect 127.0.0.1:", port_, " -servername localhost -alpn h2 -cert ", pki_,
      "/admin-national-ops-1.crt -key ", pki_,
      "/admin-national-ops-1.key </dev/null 2>/dev/null | openssl x509 -noout -serial");
  const Outcome o = Run({"/bin/sh", "-c", script}, {}, dir_, std::chrono::seconds(10));
  return std::string(absl::StripAsciiWhitespace(absl::StripPrefix(o.out, "serial=")));
}

}  // namespace samrad::faults
