#include "server/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "server/config.h"
#include "server/log.h"
#include "server/progress.h"
#include "server/relay_server.h"
#include "storage/fsck.h"
#include "storage/store.h"

namespace samrad::server {
namespace {

constexpr char kServeUsage[] =
    "Usage: samrad-relay [serve] --config FILE [--listen HOST:PORT] [--data-dir DIR]\n"
    "                    [--log-format logfmt|json] [--quiet]\n"
    "  Runs the relay with the text-format config FILE (see deploy/relay.textproto).\n"
    "  --listen and --data-dir override the file; --quiet logs warnings and errors only.\n"
    "  Logs go to stderr, one line each (logfmt, or JSON with --log-format json).\n"
    "  SIGHUP re-reads the TLS files, the client CA, log_level and the rate and\n"
    "  stream limits (and logs what changed and what needs a restart);\n"
    "  SIGTERM/SIGINT shut down gracefully. Under systemd\n"
    "  (Type=notify) it reports READY, RELOADING, STOPPING and watchdog pings.\n";
constexpr char kFsckUsage[] =
    "Usage: samrad-relay fsck --data-dir DIR (--kek-file F | --kek-env NAME) [--expect-ids FILE]\n"
    "  Checks a stopped relay's store; exits 1 on any problem or missing id.\n"
    "  On a terminal, stderr shows one progress line (percent, rate, ETA).\n";
constexpr char kRotateKekUsage[] =
    "Usage: samrad-relay rotate-kek --data-dir DIR --kek-file OLD --new-kek-file NEW\n"
    "  Re-wraps the data key under NEW (the relay must be stopped). Keep OLD until\n"
    "  the relay has started with NEW.\n";
constexpr char kRotateDekUsage[] =
    "Usage: samrad-relay rotate-dek --data-dir DIR (--kek-file F | --kek-env NAME)\n"
    "  Re-encrypts every stored value under a fresh data key, printing progress\n"
    "  (the relay must be stopped; an interrupted rotation resumes on next open).\n";
constexpr char kRestoreUsage[] =
    "Usage: samrad-relay restore --backup-dir B --data-dir D [--backup-id N]\n"
    "                            [--kek-file F | --kek-env NAME]\n"
    "  Restores backup N (default: the latest) of B into the empty directory D,\n"
    "  then runs fsck (when a KEK is given). `samrad admin backup --list` shows\n"
    "  the ids. On a terminal, stderr shows progress for both.\n";
constexpr char kGenKekUsage[] =
    "Usage: samrad-relay gen-kek FILE\n"
    "  Writes 32 random bytes to FILE with mode 0600, creating missing parent\n"
    "  directories with mode 0700. Refuses to overwrite.\n";

struct ParsedArgs {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
  bool help = false;
};

// Parses --name VALUE / --name=VALUE for `valued` flags and bare `switches`.
bool ParseArgs(const std::vector<std::string>& args, const std::set<std::string>& valued,
               const std::set<std::string>& switches, ParsedArgs& out, std::string& error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches.count(name) != 0 && !inline_value) {
      out.flags[name] = "true";
      continue;
    }
    if (valued.count(name) == 0) {
      error = absl::StrCat("unknown flag --", name);
      return false;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        error = absl::StrCat("--", name, " needs a value");
        return false;
      }
      value = args[++i];
    }
    out.flags[name] = value;
  }
  return true;
}

int UsageError(const std::string& error, const char* usage) {
  std::fprintf(stderr, "samrad-relay: %s\n%s", error.c_str(), usage);
  return 2;
}

// serve's usage errors: one line (it may land in the journal from a unit's
// ExecStart=, where a usage text would be many lines) naming the cause and
// where to look; exit status 2.
int ServeUsageError(const std::string& error) {
  std::fprintf(stderr,
               "samrad-relay: %s; see samrad-relay serve --help (under systemd, check "
               "ExecStart= in systemctl cat samrad-relay)\n",
               error.c_str());
  return 2;
}

int Failure(const absl::Status& status) {
  std::fprintf(stderr, "samrad-relay: %s\n", status.ToString().c_str());
  return 1;
}

absl::StatusOr<crypto::SecretBytes> LoadKek(const ParsedArgs& parsed,
                                            const std::string& file_flag) {
  auto file = parsed.flags.find(file_flag);
  auto env = parsed.flags.find("kek-env");
  if (file != parsed.flags.end()) return storage::LoadKekFile(file->second);
  if (env != parsed.flags.end()) return storage::LoadKekEnv(env->second);
  return absl::InvalidArgumentError(absl::StrCat("--", file_flag, " or --kek-env is required"));
}

int RunFsck(const std::string& data_dir, crypto::SecretBytes kek, const std::string& expect_ids) {
  storage::StoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;
  options.kek = std::move(kek);
  ProgressLine line(stderr, ProgressLine::StderrIsTerminal(), "fsck", ProgressUnit::kEntries);
  auto report = storage::Fsck(std::move(options), expect_ids,
                              [&line](uint64_t done, uint64_t total) { line.Update(done, total); });
  line.Finish();
  if (!report.ok()) return Failure(report.status());
  std::printf("fsck %s: threads=%llu messages=%llu index_entries=%llu audit_entries=%llu",
              data_dir.c_str(), static_cast<unsigned long long>(report->threads),
              static_cast<unsigned long long>(report->messages),
              static_cast<unsigned long long>(report->index_entries),
              static_cast<unsigned long long>(report->audit_entries));
  if (!expect_ids.empty()) {
    std::printf(" expected_ids=%llu missing=%zu",
                static_cast<unsigned long long>(report->expected_ids), report->missing_ids.size());
  }
  std::printf(" problems=%zu\n", report->problems.size());
  for (const auto& p : report->problems) std::printf("problem: %s\n", p.c_str());
  for (const auto& id : report->missing_ids) std::printf("missing: %s\n", id.c_str());
  if (!report->ok()) {
    std::fprintf(stderr, "samrad-relay: fsck found problems in %s\n", data_dir.c_str());
    return 1;
  }
  std::printf("fsck: OK\n");
  return 0;
}

// Bytes of backup `backup_id` (default: the latest) in `backup_dir`; 0 when
// it is not there (RestoreBackup then says so).
uint64_t BackupBytes(const std::string& backup_dir, std::optional<uint32_t> backup_id) {
  absl::StatusOr<std::vector<storage::BackupInfo>> backups = storage::ListBackups(backup_dir);
  if (!backups.ok() || backups->empty()) return 0;
  if (!backup_id.has_value()) return backups->back().size_bytes;
  for (const storage::BackupInfo& backup : *backups) {
    if (backup.backup_id == *backup_id) return backup.size_bytes;
  }
  return 0;
}

// storage::RestoreBackup with a progress line on a terminal: RocksDB reports
// nothing while it copies, so a watcher compares the bytes in `data_dir` with
// the size of the backup.
absl::Status RestoreWithProgress(const std::string& backup_dir, const std::string& data_dir,
                                 std::optional<uint32_t> backup_id) {
  ProgressLine line(stderr, ProgressLine::StderrIsTerminal(), "restore", ProgressUnit::kBytes);
  if (!line.enabled()) return storage::RestoreBackup(backup_dir, data_dir, backup_id);
  const uint64_t total = BackupBytes(backup_dir, backup_id);
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread watcher([&] {
    std::unique_lock lock(mu);
    while (!finished) {
      line.Update(DirectoryBytes(data_dir), total);
      cv.wait_for(lock, std::chrono::milliseconds(250));
    }
  });
  absl::Status status = storage::RestoreBackup(backup_dir, data_dir, backup_id);
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  watcher.join();
  if (status.ok()) line.Update(DirectoryBytes(data_dir), total);
  line.Finish();
  return status;
}

}  // namespace

std::string RelayUsage() {
  return absl::StrCat(
      "samrad-relay — the Samråd relay\n\n"
      "Commands (each takes --help):\n"
      "  serve       run the relay (default command)\n"
      "  fsck        check a stopped relay's store\n"
      "  rotate-kek  re-wrap the data key under a new key-encryption key\n"
      "  rotate-dek  re-encrypt every value under a fresh data key\n"
      "  restore     restore a backup into an empty data directory\n"
      "  gen-kek     write a new random key-encryption key file\n"
      "  --version   print the version\n\n",
      kServeUsage);
}

namespace {

// serve's failures: one log line (in the chosen format) naming the cause and
// the fix, and exit status 1, which systemd reports.
int ServeFailure(absl::string_view event, const absl::Status& status) {
  LogError(event,
           {{"code", absl::StatusCodeToString(status.code())}, {"reason", status.message()}});
  return 1;
}

// Reads the config file and applies the command-line overrides, then
// FinalizeConfig. Errors name the file.
absl::StatusOr<v1::RelayConfig> LoadServeConfig(ParsedArgs& parsed) {
  auto config = ParseRelayConfigFile(parsed.flags["config"]);
  if (!config.ok()) return config.status();
  if (parsed.flags.count("listen") != 0) config->set_listen_address(parsed.flags["listen"]);
  if (parsed.flags.count("data-dir") != 0) config->set_data_dir(parsed.flags["data-dir"]);
  if (auto s = FinalizeConfig(*config); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", parsed.flags["config"], ": ", s.message()));
  }
  return config;
}

// sd_notify with MONOTONIC_USEC (which systemd wants next to RELOADING=1).
void NotifyReloading() {
  struct timespec now = {};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const std::string state = absl::StrCat(
      "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=",
      static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000);
  sd_notify(0, state.c_str());
}

void ReloadRelay(RelayServer& relay, ParsedArgs& parsed, bool quiet) {
  NotifyReloading();
  auto next = LoadServeConfig(parsed);
  if (!next.ok()) {
    LogError("reload_failed", {{"reason", next.status().message()},
                               {"kept", "the running configuration"},
                               {"fix", "correct the file and send SIGHUP again"}});
  } else {
    if (quiet) next->set_log_level("warning");
    const RelayServer::ReloadReport report = relay.Reload(*next);
    const std::string reloaded = absl::StrJoin(report.reloaded, ",");
    const std::string restart = absl::StrJoin(report.needs_restart, ",");
    const std::string changed =
        report.changed.empty() ? "none" : absl::StrJoin(report.changed, ", ");
    LogInfo("reloaded", {{"reloaded", reloaded}, {"changed", changed}, {"needs_restart", restart}});
    if (!report.needs_restart.empty()) {
      LogWarning("reload_needs_restart",
                 {{"fields", restart},
                  {"changes", absl::StrJoin(report.needs_restart_changes, ", ")},
                  {"kept", "the running values"},
                  {"fix", "systemctl restart samrad-relay to apply these (SIGHUP cannot)"}});
    }
    for (const std::string& failure : report.failed) {
      LogError("reload_failed", {{"reason", failure}, {"kept", "the previous file's contents"}});
    }
  }
  sd_notify(0, "READY=1\nSTATUS=serving");
}

}  // namespace

int ServeCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  std::string error;
  if (!ParseArgs(args, {"config", "listen", "data-dir", "log-format"}, {"quiet"}, parsed, error)) {
    return ServeUsageError(error);
  }
  if (parsed.help) return std::fputs(kServeUsage, stdout), 0;
  if (!parsed.positional.empty()) {
    return ServeUsageError(absl::StrCat("unexpected argument ", parsed.positional[0]));
  }
  if (parsed.flags.count("log-format") != 0) {
    auto format = ParseLogFormat(parsed.flags["log-format"]);
    if (!format.ok()) return ServeUsageError(std::string(format.status().message()));
    SetLogFormat(*format);
  }
  RouteGrpcLogs();
  if (parsed.flags.count("config") == 0) return ServeUsageError("--config FILE is required");
  const bool quiet = parsed.flags.count("quiet") != 0;
  auto config = LoadServeConfig(parsed);
  if (!config.ok()) return ServeFailure("config_refused", config.status());
  if (quiet) config->set_log_level("warning");
  SetLogLevel(*ParseLogLevel(config->log_level()));  // FinalizeConfig checked it

  // Block the signals before any thread starts, so that every thread
  // inherits the mask and only sigtimedwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto relay = RelayServer::Start(*std::move(config));
  if (!relay.ok()) return ServeFailure("start_failed", relay.status());
  // Machine-readable line for scripts that start the relay on port 0.
  std::printf("listening on port %d\n", (*relay)->port());
  std::fflush(stdout);
  sd_notify(0, "READY=1\nSTATUS=serving");

  // The watchdog (WatchdogSec= in the unit) is pinged from this thread at
  // half its period: a relay whose main thread hangs is restarted.
  uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) <= 0) watchdog_usec = 0;
  const int64_t wait_ms =
      watchdog_usec > 0 ? std::max<int64_t>(static_cast<int64_t>(watchdog_usec / 2000), 1) : 60000;
  int signal_number = 0;
  while (true) {
    const struct timespec timeout = {wait_ms / 1000, (wait_ms % 1000) * 1000000};
    signal_number = sigtimedwait(&signals, nullptr, &timeout);
    if (watchdog_usec > 0) sd_notify(0, "WATCHDOG=1");
    if (signal_number == SIGHUP) {
      LogInfo("signal", {{"signal", "SIGHUP"}});
      ReloadRelay(**relay, parsed, quiet);
      continue;
    }
    if (signal_number == SIGTERM || signal_number == SIGINT) break;
  }
  LogInfo("signal", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  sd_notify(0, "STOPPING=1\nSTATUS=draining");
  (*relay)->Shutdown();
  return 0;
}

int FsckCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  std::string error;
  if (!ParseArgs(args, {"data-dir", "kek-file", "kek-env", "expect-ids"}, {}, parsed, error)) {
    return UsageError(error, kFsckUsage);
  }
  if (parsed.help) return std::fputs(kFsckUsage, stdout), 0;
  if (parsed.flags.count("data-dir") == 0) return UsageError("--data-dir is required", kFsckUsage);
  auto kek = LoadKek(parsed, "kek-file");
  if (!kek.ok()) return Failure(kek.status());
  return RunFsck(parsed.flags["data-dir"], *std::move(kek), parsed.flags["expect-ids"]);
}

int RotateKekCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  std::string error;
  if (!ParseArgs(args, {"data-dir", "kek-file", "kek-env", "new-kek-file"}, {}, parsed, error)) {
    return UsageError(error, kRotateKekUsage);
  }
  if (parsed.help) return std::fputs(kRotateKekUsage, stdout), 0;
  if (parsed.flags.count("data-dir") == 0 || parsed.flags.count("new-kek-file") == 0) {
    return UsageError("--data-dir and --new-kek-file are required", kRotateKekUsage);
  }
  auto old_kek = LoadKek(parsed, "kek-file");
  if (!old_kek.ok()) return Failure(old_kek.status());
  auto new_kek = storage::LoadKekFile(parsed.flags["new-kek-file"]);
  if (!new_kek.ok()) return Failure(new_kek.status());
  storage::StoreOptions options;
  options.data_dir = parsed.flags["data-dir"];
  options.create_if_missing = false;
  options.kek = *std::move(old_kek);
  auto store = storage::Store::Open(std::move(options));
  if (!store.ok()) return Failure(store.status());
  if (auto s = (*store)->RotateKek(*std::move(new_kek)); !s.ok()) return Failure(s);
  store->reset();
  std::printf("rotate-kek: the data key of %s is now wrapped under %s\n",
              parsed.flags["data-dir"].c_str(), parsed.flags["new-kek-file"].c_str());
  return 0;
}

int RotateDekCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  std::string error;
  if (!ParseArgs(args, {"data-dir", "kek-file", "kek-env"}, {}, parsed, error)) {
    return UsageError(error, kRotateDekUsage);
  }
  if (parsed.help) return std::fputs(kRotateDekUsage, stdout), 0;
  if (parsed.flags.count("data-dir") == 0) {
    return UsageError("--data-dir is required", kRotateDekUsage);
  }
  auto kek = LoadKek(parsed, "kek-file");
  if (!kek.ok()) return Failure(kek.status());
  storage::StoreOptions options;
  options.data_dir = parsed.flags["data-dir"];
  options.create_if_missing = false;
  options.kek = *std::move(kek);
  auto store = storage::Store::Open(std::move(options));
  if (!store.ok()) return Failure(store.status());
  if (auto s = (*store)->StartDekRotation(); !s.ok()) return Failure(s);
  while (true) {
    const storage::DekRotationProgress progress = (*store)->GetDekRotationProgress();
    std::printf("rotate-dek: generation %u, %llu/%llu values\n", progress.dek_generation,
                static_cast<unsigned long long>(progress.values_done),
                static_cast<unsigned long long>(progress.values_total));
    std::fflush(stdout);
    if (!progress.running) {
      if (!progress.error.empty()) {
        std::fprintf(stderr, "samrad-relay: DEK rotation stopped: %s\n", progress.error.c_str());
        return 1;
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  store->reset();
  std::printf("rotate-dek: done\n");
  return 0;
}

int RestoreCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  std::string error;
  if (!ParseArgs(args, {"backup-dir", "data-dir", "backup-id", "kek-file", "kek-env"}, {}, parsed,
                 error)) {
    return UsageError(error, kRestoreUsage);
  }
  if (parsed.help) return std::fputs(kRestoreUsage, stdout), 0;
  if (parsed.flags.count("backup-dir") == 0 || parsed.flags.count("data-dir") == 0) {
    return UsageError("--backup-dir and --data-dir are required", kRestoreUsage);
  }
  std::optional<uint32_t> backup_id;
  if (auto it = parsed.flags.find("backup-id"); it != parsed.flags.end()) {
    uint32_t id = 0;
    if (!absl::SimpleAtoi(it->second, &id) || id == 0) {
      return UsageError(absl::StrCat("--backup-id \"", it->second,
                                     "\" is not a backup id (a whole number from 1)"),
                        kRestoreUsage);
    }
    backup_id = id;
  }
  std::printf("restore: %s -> %s\n", parsed.flags["backup-dir"].c_str(),
              parsed.flags["data-dir"].c_str());
  std::fflush(stdout);
  if (auto s = RestoreWithProgress(parsed.flags["backup-dir"], parsed.flags["data-dir"], backup_id);
      !s.ok()) {
    return Failure(s);
  }
  std::printf("restore: done\n");
  if (parsed.flags.count("kek-file") == 0 && parsed.flags.count("kek-env") == 0) {
    std::printf("restore: pass --kek-file to check the restored store (fsck)\n");
    return 0;
  }
  auto kek = LoadKek(parsed, "kek-file");
  if (!kek.ok()) return Failure(kek.status());
  return RunFsck(parsed.flags["data-dir"], *std::move(kek), "");
}

int GenKekCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  std::string error;
  if (!ParseArgs(args, {}, {}, parsed, error)) return UsageError(error, kGenKekUsage);
  if (parsed.help) return std::fputs(kGenKekUsage, stdout), 0;
  if (parsed.positional.size() != 1) return UsageError("gen-kek takes one FILE", kGenKekUsage);
  const std::string& path = parsed.positional[0];
  // Missing parent directories are made private (0700), like the relay's
  // own; the umask of main() keeps them so.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code mkdir_error;
  if (!parent.empty() && !std::filesystem::exists(parent, mkdir_error)) {
    if (std::filesystem::create_directories(parent, mkdir_error)) {
      std::filesystem::permissions(parent, std::filesystem::perms::owner_all, mkdir_error);
      std::printf("gen-kek: created directory %s (mode 0700)\n", parent.c_str());
    } else if (mkdir_error) {
      return Failure(
          mkdir_error == std::errc::permission_denied
              ? absl::PermissionDeniedError(absl::StrCat(
                    "cannot create directory ", parent.string(), ": permission denied for user ",
                    CurrentUserName(), "; create it yourself (mkdir -p -m 700 ", parent.string(),
                    ") or choose a path you may write"))
              : absl::NotFoundError(absl::StrCat("cannot create directory ", parent.string(), ": ",
                                                 mkdir_error.message())));
    }
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Failure(
          absl::AlreadyExistsError(absl::StrCat(path, " exists; refusing to overwrite a key")));
    }
    if (errno == EACCES || errno == EPERM) {
      return Failure(absl::PermissionDeniedError(
          absl::StrCat("cannot create ", path, ": permission denied for user ", CurrentUserName(),
                       " in ", parent.empty() ? "." : parent.string(),
                       "; choose a directory that user may write, or run as its owner")));
    }
    return Failure(
        absl::NotFoundError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno))));
  }
  crypto::SecretBytes kek(32);
  crypto::SystemRandom().Fill(kek.mutable_span());
  const bool written = write(fd, kek.data(), kek.size()) == static_cast<ssize_t>(kek.size());
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!written || !synced) {
    unlink(path.c_str());
    return Failure(absl::DataLossError(absl::StrCat("could not write ", path)));
  }
  std::printf("gen-kek: wrote a 32-byte key to %s (mode 0600)\n", path.c_str());
  return 0;
}

}  // namespace samrad::server
