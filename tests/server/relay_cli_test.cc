// Tests of the samrad-relay executable as a process: serve with a config file
// and graceful SIGTERM, SIGHUP reload, systemd notifications, JSON logs, start
// failures, gen-kek, fsck, backup + restore, rotate-kek,
// rotate-dek, refusal of a bad config naming the field, and the progress
// lines of restore and fsck on a terminal.
#include <pty.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server::testing {
namespace {

constexpr char kRelayBinary[] = SAMRAD_BINARY_DIR "/server/samrad-relay";
constexpr char kCliBinary[] = SAMRAD_BINARY_DIR "/client/samrad";

// Runs `samrad-relay ARGS`, capturing stdout+stderr into *output. Returns the
// exit status.
int RunRelay(const std::string& args, std::string* output = nullptr) {
  TempDir tmp;
  const std::string out_file = tmp.path() + "/out";
  const std::string command = std::string(kRelayBinary) + " " + args + " >" + out_file + " 2>&1";
  const int rc = std::system(command.c_str());
  if (output != nullptr) *output = ReadFile(out_file);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class RelayCliTest : public RelayTest {
 protected:
  // Writes `config` (text format) and starts `samrad-relay serve` on it with
  // `flags` (default --quiet) and `env` (NAME=VALUE) added to its environment.
  void SpawnRelay(const v1::RelayConfig& config,
                  const std::vector<std::string>& flags = {"--quiet"},
                  const std::vector<std::string>& env = {}) {
    std::string text;
    ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(config, &text));
    config_file_ = temp_->path() + "/relay.textproto";
    WriteFile(config_file_, text);
    out_file_ = temp_->path() + "/serve.out";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      freopen(out_file_.c_str(), "w", stdout);
      freopen((out_file_ + ".err").c_str(), "w", stderr);
      for (const std::string& entry : env) putenv(const_cast<char*>(entry.c_str()));
      // sd_watchdog_enabled only answers the process WATCHDOG_PID names.
      if (getenv("WATCHDOG_USEC") != nullptr) {
        setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
      }
      std::vector<const char*> argv = {kRelayBinary, "serve", "--config", config_file_.c_str()};
      for (const std::string& flag : flags) argv.push_back(flag.c_str());
      argv.push_back(nullptr);
      execv(kRelayBinary, const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = ReadFile(out_file_);
      const size_t at = out.find("listening on port ");
      if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
        port_ = std::stoi(out.substr(at + 18));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "samrad-relay did not start: " << ReadFile(out_file_ + ".err");
  }

  // SIGTERM and wait (bounded); returns the exit status.
  int TerminateRelay() {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -2;
  }

  void TearDown() override {
    if (pid_ > 0) TerminateRelay();
    RelayTest::TearDown();
  }

  std::string config_file_;
  std::string out_file_;
  pid_t pid_ = -1;
};

TEST_F(RelayCliTest, ServeAnswersThenStopsOnSigtermAndStoreChecksClean) {
  v1::RelayConfig config = BaseConfig();
  SpawnRelay(config);
  PublishDirectory(1);
  ThreadKeys thread = NewThreadKeys();
  v1::Ack ack = Submit(thread, "over a real process");
  ASSERT_EQ(ack.sequence(), 1u);
  v1::BackupReply backup;
  {
    grpc::ClientContext ctx;
    grpc::Status status = Stub(kAdmin)->Backup(&ctx, v1::BackupRequest(), &backup);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(TerminateRelay(), 0);
  const std::string kek = " --kek-file " + config.kek_file();

  // fsck of the stopped store, with the acknowledged id expected.
  const std::string ids = temp_->path() + "/ids";
  WriteFile(ids, ack.message_id() + "\n");
  std::string out;
  EXPECT_EQ(RunRelay("fsck --data-dir " + data_dir_ + kek + " --expect-ids " + ids, &out), 0)
      << out;
  EXPECT_NE(out.find("fsck: OK"), std::string::npos) << out;
  // An id that was never acknowledged is reported missing.
  WriteFile(ids, std::string(32, 'f') + "\n");
  EXPECT_EQ(RunRelay("fsck --data-dir " + data_dir_ + kek + " --expect-ids " + ids, &out), 1)
      << out;

  // Restore into a fresh directory, then fsck runs on it.
  const std::string restored = temp_->path() + "/restored";
  EXPECT_EQ(
      RunRelay("restore --backup-dir " + backup.backup_dir() + " --data-dir " + restored + kek,
               &out),
      0)
      << out;
  EXPECT_NE(out.find("fsck: OK"), std::string::npos) << out;

  // KEK rotation: the old key stops working, the new one works.
  const std::string new_kek = temp_->path() + "/kek2";
  ASSERT_EQ(RunRelay("gen-kek " + new_kek, &out), 0) << out;
  EXPECT_EQ(
      RunRelay("rotate-kek --data-dir " + data_dir_ + kek + " --new-kek-file " + new_kek, &out), 0)
      << out;
  EXPECT_NE(RunRelay("fsck --data-dir " + data_dir_ + kek, &out), 0) << out;
  EXPECT_EQ(RunRelay("fsck --data-dir " + data_dir_ + " --kek-file " + new_kek, &out), 0) << out;
  EXPECT_EQ(RunRelay("rotate-dek --data-dir " + data_dir_ + " --kek-file " + new_kek, &out), 0)
      << out;
  EXPECT_NE(out.find("rotate-dek: done"), std::string::npos) << out;
  EXPECT_EQ(RunRelay("fsck --data-dir " + data_dir_ + " --kek-file " + new_kek, &out), 0) << out;
}

// Issue 17 item 8 with the real processes: backup_keep 2 keeps the two
// newest backups (ListBackups shows them), `restore --backup-id N` restores
// exactly that backup's content, and a purged or unknown id is refused
// naming the ids there are.
TEST_F(RelayCliTest, BackupKeepPurgesAndRestoreTakesAChosenBackupId) {
  v1::RelayConfig config = BaseConfig();
  config.set_backup_keep(2);
  SpawnRelay(config);
  PublishDirectory(1);
  std::vector<v1::Ack> acks;
  std::vector<v1::BackupReply> backups;
  for (int i = 0; i < 3; ++i) {
    ThreadKeys thread = NewThreadKeys();
    acks.push_back(Submit(thread, "case " + std::to_string(i)));
    v1::BackupReply backup;
    grpc::ClientContext ctx;
    grpc::Status status = Stub(kAdmin)->Backup(&ctx, v1::BackupRequest(), &backup);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(backup.backup_keep(), 2u);
    backups.push_back(backup);
  }
  EXPECT_TRUE(backups[1].purged_backup_ids().empty());
  ASSERT_EQ(backups[2].purged_backup_ids_size(), 1);
  EXPECT_EQ(backups[2].purged_backup_ids(0), backups[0].backup_id());
  v1::ListBackupsReply listed;
  {
    grpc::ClientContext ctx;
    grpc::Status status = Stub(kAdmin)->ListBackups(&ctx, v1::ListBackupsRequest(), &listed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(listed.backup_dir(), config.backup_dir());
  EXPECT_EQ(listed.backup_keep(), 2u);
  ASSERT_EQ(listed.backups_size(), 2);
  EXPECT_EQ(listed.backups(0).backup_id(), backups[1].backup_id());
  EXPECT_EQ(listed.backups(1).backup_id(), backups[2].backup_id());
  for (const v1::BackupSummary& b : listed.backups()) {
    EXPECT_GT(b.size_bytes(), 0u);
    EXPECT_GT(b.num_files(), 0u);
    EXPECT_GT(b.created_unix_ms(), 0);
  }
  EXPECT_EQ(TerminateRelay(), 0);

  // The older kept backup: the first two cases, not the third.
  const std::string kek = " --kek-file " + config.kek_file();
  const std::string backup_dir = " --backup-dir " + config.backup_dir();
  const std::string restored = temp_->path() + "/restored";
  std::string out;
  ASSERT_EQ(RunRelay("restore" + backup_dir + " --data-dir " + restored + " --backup-id " +
                         std::to_string(backups[1].backup_id()) + kek,
                     &out),
            0)
      << out;
  EXPECT_NE(out.find("fsck: OK"), std::string::npos) << out;
  const std::string ids = temp_->path() + "/ids";
  WriteFile(ids, acks[0].message_id() + "\n" + acks[1].message_id() + "\n");
  EXPECT_EQ(RunRelay("fsck --data-dir " + restored + kek + " --expect-ids " + ids, &out), 0) << out;
  WriteFile(ids, acks[2].message_id() + "\n");
  EXPECT_EQ(RunRelay("fsck --data-dir " + restored + kek + " --expect-ids " + ids, &out), 1) << out;

  // The purged first backup is refused, naming the ids that exist; nothing
  // is written.
  const std::string refused = temp_->path() + "/refused";
  EXPECT_EQ(RunRelay("restore" + backup_dir + " --data-dir " + refused + " --backup-id " +
                         std::to_string(backups[0].backup_id()) + kek,
                     &out),
            1)
      << out;
  EXPECT_NE(out.find("there is no backup " + std::to_string(backups[0].backup_id())),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("the backups there are " + std::to_string(backups[1].backup_id()) + ", " +
                     std::to_string(backups[2].backup_id())),
            std::string::npos)
      << out;
  EXPECT_FALSE(std::filesystem::exists(refused));
  EXPECT_EQ(RunRelay("restore" + backup_dir + " --data-dir " + refused + " --backup-id x", &out), 2)
      << out;
  EXPECT_NE(out.find("--backup-id \"x\" is not a backup id"), std::string::npos) << out;
}

TEST_F(RelayCliTest, GenKekWritesPrivateFileAndNeverOverwrites) {
  const std::string path = temp_->path() + "/new.kek";
  std::string out;
  ASSERT_EQ(RunRelay("gen-kek " + path, &out), 0) << out;
  struct stat st = {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  const std::string key = ReadFile(path);
  EXPECT_EQ(RunRelay("gen-kek " + path, &out), 1);
  EXPECT_NE(out.find("refusing to overwrite"), std::string::npos) << out;
  EXPECT_EQ(ReadFile(path), key);
}

TEST_F(RelayCliTest, BadConfigIsRefusedNamingTheField) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_max_envelope_bytes(10);
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(config, &text));
  WriteFile(temp_->path() + "/bad.textproto", text);
  std::string out;
  EXPECT_EQ(RunRelay("serve --config " + temp_->path() + "/bad.textproto", &out), 1);
  EXPECT_NE(out.find("limits.max_envelope_bytes"), std::string::npos) << out;
  EXPECT_EQ(RunRelay("serve --config " + temp_->path() + "/none.textproto", &out), 1);
  EXPECT_NE(out.find("none.textproto"), std::string::npos) << out;
  EXPECT_EQ(RunRelay("serve --bogus", &out), 2);
  EXPECT_EQ(RunRelay("--help", &out), 0);
  EXPECT_NE(out.find("rotate-kek"), std::string::npos);
  for (const char* command : {"serve", "fsck", "rotate-kek", "rotate-dek", "restore", "gen-kek"}) {
    EXPECT_EQ(RunRelay(std::string(command) + " --help", &out), 0) << command;
    EXPECT_NE(out.find("Usage:"), std::string::npos) << command;
  }
}

TEST_F(RelayCliTest, Tls12ClientIsRefusedAndTls13Negotiated) {
  SpawnRelay(BaseConfig());
  const TestPki& pki = SharedPki();
  const std::string client = " -cert " + pki.Cert(kProfessional) + " -key " +
                             pki.Key(kProfessional) + " -CAfile " + pki.dir + "/ca.crt";
  auto probe = [&](const std::string& flags) {
    TempDir tmp;
    const std::string cmd =
        "echo | timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port_) + " " +
        flags + client + " >" + tmp.path() + "/o 2>&1";
    (void)std::system(cmd.c_str());
    return ReadFile(tmp.path() + "/o");
  };
  EXPECT_NE(probe("-tls1_2").find("Cipher is (NONE)"), std::string::npos);
  EXPECT_NE(probe("").find("TLSv1.3"), std::string::npos);
}

TEST_F(RelayCliTest, ReplacedServerCertificateIsServedWithoutRestart) {
  const TestPki& pki = SharedPki();
  const std::string tls = temp_->path() + "/tls";
  ASSERT_EQ(std::system(("mkdir -p " + tls + " && cp " + pki.Cert("relay") + " " + tls +
                         "/relay.crt && cp " + pki.Key("relay") + " " + tls + "/relay.key")
                            .c_str()),
            0);
  v1::RelayConfig config = BaseConfig();
  config.mutable_tls()->set_cert_file(tls + "/relay.crt");
  config.mutable_tls()->set_key_file(tls + "/relay.key");
  config.mutable_tls()->set_refresh_interval_seconds(1);
  SpawnRelay(config);
  auto served_serial = [&] {
    TempDir tmp;
    const std::string cmd =
        "echo | timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port_) +
        " -cert " + pki.Cert(kProfessional) + " -key " + pki.Key(kProfessional) + " -CAfile " +
        pki.dir + "/ca.crt 2>/dev/null | openssl x509 -noout -serial >" + tmp.path() + "/o 2>&1";
    (void)std::system(cmd.c_str());
    return ReadFile(tmp.path() + "/o");
  };
  auto file_serial = [&](const std::string& name) {
    TempDir tmp;
    (void)std::system(
        ("openssl x509 -noout -serial -in " + pki.Cert(name) + " >" + tmp.path() + "/o").c_str());
    return ReadFile(tmp.path() + "/o");
  };
  const std::string old_serial = file_serial("relay");
  const std::string new_serial = file_serial("relay-next");
  ASSERT_NE(old_serial, new_serial);
  EXPECT_EQ(served_serial(), old_serial);
  // Swap key and certificate together (rename of a directory).
  const std::string next = temp_->path() + "/tls.next";
  ASSERT_EQ(std::system(("mkdir -p " + next + " && cp " + pki.Cert("relay-next") + " " + next +
                         "/relay.crt && cp " + pki.Key("relay-next") + " " + next +
                         "/relay.key && mv " + tls + " " + tls + ".old && mv " + next + " " + tls)
                            .c_str()),
            0);
  std::string served;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    served = served_serial();
    if (served == new_serial) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(served, new_serial);
  // Calls keep working on the new certificate.
  grpc::ClientContext ctx;
  v1::SignedDirectory directory;
  EXPECT_EQ(
      Stub(kProfessional)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

// The serial the relay serves on 127.0.0.1:port, as `openssl x509 -serial` prints it.
std::string ServedSerial(int port) {
  const TestPki& pki = SharedPki();
  TempDir tmp;
  const std::string cmd =
      "echo | timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -cert " +
      pki.Cert("professional-07-p-1") + " -key " + pki.Key("professional-07-p-1") + " -CAfile " +
      pki.dir + "/ca.crt 2>/dev/null | openssl x509 -noout -serial >" + tmp.path() + "/o 2>&1";
  (void)std::system(cmd.c_str());
  return ReadFile(tmp.path() + "/o");
}

std::string FileSerial(const std::string& cert) {
  TempDir tmp;
  (void)std::system(("openssl x509 -noout -serial -in " + cert + " >" + tmp.path() + "/o").c_str());
  return ReadFile(tmp.path() + "/o");
}

// SIGHUP (issue 18): with an hour between automatic refreshes, only the
// signal can make new handshakes see the replaced certificate; the relay
// keeps serving, logs what it reloaded, and still exits 0 on SIGTERM.
TEST_F(RelayCliTest, SighupServesReplacedCertificateAndKeepsServing) {
  const TestPki& pki = SharedPki();
  const std::string tls = temp_->path() + "/tls";
  ASSERT_EQ(std::system(("mkdir -p " + tls + " && cp " + pki.Cert("relay") + " " + tls +
                         "/relay.crt && cp " + pki.Key("relay") + " " + tls + "/relay.key")
                            .c_str()),
            0);
  v1::RelayConfig config = BaseConfig();
  config.mutable_tls()->set_cert_file(tls + "/relay.crt");
  config.mutable_tls()->set_key_file(tls + "/relay.key");
  config.mutable_tls()->set_refresh_interval_seconds(3600);
  SpawnRelay(config, {"--log-format", "json"});
  const std::string old_serial = FileSerial(pki.Cert("relay"));
  const std::string new_serial = FileSerial(pki.Cert("relay-next"));
  ASSERT_NE(old_serial, new_serial);
  EXPECT_EQ(ServedSerial(port_), old_serial);
  const std::string next = temp_->path() + "/tls.next";
  ASSERT_EQ(std::system(("mkdir -p " + next + " && cp " + pki.Cert("relay-next") + " " + next +
                         "/relay.crt && cp " + pki.Key("relay-next") + " " + next +
                         "/relay.key && mv " + tls + " " + tls + ".old && mv " + next + " " + tls)
                            .c_str()),
            0);
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  std::string served;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    served = ServedSerial(port_);
    if (served == new_serial) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(served, new_serial);
  int status = 0;
  EXPECT_EQ(waitpid(pid_, &status, WNOHANG), 0) << "the relay exited on SIGHUP";
  grpc::ClientContext ctx;
  v1::SignedDirectory directory;
  EXPECT_EQ(
      Stub(kProfessional)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(TerminateRelay(), 0);
  const std::string log = ReadFile(out_file_ + ".err");
  EXPECT_TRUE(absl::StrContains(log, "\"event\":\"reloaded\"")) << log;
  EXPECT_TRUE(absl::StrContains(log, "tls.cert_file+tls.key_file(new)")) << log;
}

// A SIGHUP with a changed listen address reloads what it can and names
// what needs a restart; a broken file keeps the running configuration.
TEST_F(RelayCliTest, SighupNamesWhatNeedsRestartAndSurvivesBrokenConfig) {
  v1::RelayConfig config = BaseConfig();
  SpawnRelay(config, {});
  v1::RelayConfig changed = config;
  changed.set_listen_address("127.0.0.1:1");
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(changed, &text));
  WriteFile(config_file_, text);
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  auto wait_for_log = [&](const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (absl::StrContains(ReadFile(out_file_ + ".err"), needle)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  EXPECT_TRUE(wait_for_log("event=reload_needs_restart fields=listen_address"))
      << ReadFile(out_file_ + ".err");
  WriteFile(config_file_, "listen_address: ");  // a syntax error
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  EXPECT_TRUE(wait_for_log("event=reload_failed")) << ReadFile(out_file_ + ".err");
  grpc::ClientContext ctx;
  v1::SignedDirectory directory;
  EXPECT_EQ(
      Stub(kProfessional)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(TerminateRelay(), 0);
}

// Issue 18 item 6: every log line of a consultation, with gRPC's own debug
// lines routed in, is one JSON object with ts, level and event, and none
// carries the message text, the professional's certificate id or serial.
TEST_F(RelayCliTest, JsonLogsNeverCarryMessageTextOrProfessionalIdentity) {
  const std::string professional = IssueClientCertificate("professional", "07", "canaryprof4711");
  const std::string serial = CertificateSerialHex(professional);
  ASSERT_FALSE(serial.empty());
  SpawnRelay(BaseConfig(), {"--log-format", "json"}, {"GRPC_VERBOSITY=DEBUG"});
  PublishDirectory(1);
  const std::string text = "canary message text 8d1f";
  for (int i = 0; i < 3; ++i) {
    ThreadKeys thread = NewThreadKeys();
    v1::Ack ack;
    grpc::ClientContext ctx;
    grpc::Status status =
        Stub(professional)->SubmitConsultation(&ctx, SubmitRequest(thread, text), &ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(TerminateRelay(), 0);
  const std::string log = ReadFile(out_file_ + ".err");
  size_t lines = 0, grpc_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    ++lines;
    google::protobuf::Struct object;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok())
        << "not one JSON object: " << line;
    for (const char* field : {"ts", "level", "event"}) {
      EXPECT_EQ(object.fields().count(field), 1u) << field << " missing: " << line;
    }
    if (object.fields().at("event").string_value() == "grpc") ++grpc_lines;
    EXPECT_FALSE(absl::StrContains(line, "canary")) << line;
    EXPECT_FALSE(absl::StrContains(line, "8d1f")) << line;
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToUpper(line), serial)) << line;
  }
  EXPECT_GT(lines, 3u);
  EXPECT_GT(grpc_lines, 0u) << "gRPC's own lines did not reach the relay's logger";
}

// Issue 18 "Bad input": each start failure is one log line naming the cause
// and the fix, and exit status 1.
TEST_F(RelayCliTest, StartFailuresAreOneLineNamingCauseAndFix) {
  auto run = [&](const std::string& args, const std::string& env = "") {
    TempDir tmp;
    const std::string err = tmp.path() + "/err";
    const int rc = std::system(
        (env + " " + kRelayBinary + " serve " + args + " 2>" + err + " >/dev/null").c_str());
    return std::make_pair(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ReadFile(err));
  };
  auto one_line = [](const std::string& err) {
    return std::count(err.begin(), err.end(), '\n') == 1;
  };
  // A broken config: the file, line and column.
  const std::string broken = temp_->path() + "/broken.textproto";
  WriteFile(broken, "listen_address: \"127.0.0.1:0\"\ntls { cert_file: }\n");
  auto [rc, err] = run("--log-format json --config " + broken);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(one_line(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, "broken.textproto:2:")) << err;
  EXPECT_TRUE(absl::StrContains(err, "\"event\":\"config_refused\"")) << err;

  // closed_days: 0 is refused, not silently 90.
  v1::RelayConfig config = BaseConfig();
  config.mutable_retention()->set_closed_days(0);
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(config, &text));
  WriteFile(temp_->path() + "/zero.textproto", text);
  std::tie(rc, err) = run("--config " + temp_->path() + "/zero.textproto");
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(one_line(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, "retention.closed_days is 0")) << err;

  // The KEK as a systemd credential that is missing.
  config = BaseConfig();
  config.clear_kek_file();
  config.set_kek_credential("kek");
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(config, &text));
  const std::string credential_config = temp_->path() + "/credential.textproto";
  WriteFile(credential_config, text);
  std::tie(rc, err) = run("--config " + credential_config, "env -u CREDENTIALS_DIRECTORY");
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(one_line(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, "LoadCredential=kek:")) << err;
  const std::string credentials = temp_->path() + "/credentials";
  ASSERT_EQ(mkdir(credentials.c_str(), 0700), 0);
  std::tie(rc, err) = run("--config " + credential_config, "CREDENTIALS_DIRECTORY=" + credentials);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(one_line(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, "systemd passed no such credential")) << err;

  // A config file the relay's user may not read: PERMISSION_DENIED with the
  // path and the fix (as root, the relay runs as nobody to be refused).
  const std::string secret = temp_->path() + "/secret.textproto";
  WriteFile(secret, "listen_address: \"127.0.0.1:0\"\n");
  ASSERT_EQ(chmod(secret.c_str(), 0), 0);
  ASSERT_EQ(chmod(temp_->path().c_str(), 0711), 0);
  const std::string as_other =
      geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "";
  std::tie(rc, err) = run("--config " + secret, as_other);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(one_line(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, "PERMISSION_DENIED")) << err;
  EXPECT_TRUE(absl::StrContains(err, secret + ": permission denied for user")) << err;
  chmod(temp_->path().c_str(), 0700);
}

// The KEK from $CREDENTIALS_DIRECTORY, and the systemd notifications on a
// NOTIFY_SOCKET this test owns: READY, RELOADING then READY on SIGHUP,
// WATCHDOG pings, STOPPING on SIGTERM.
TEST_F(RelayCliTest, NotifiesSystemdAndReadsKekCredential) {
  const std::string credentials = temp_->path() + "/credentials";
  ASSERT_EQ(mkdir(credentials.c_str(), 0700), 0);
  ASSERT_EQ(std::system(("cp " + temp_->path() + "/kek " + credentials + "/kek").c_str()), 0);
  v1::RelayConfig config = BaseConfig();
  config.clear_kek_file();
  config.set_kek_credential("kek");

  const std::string socket_path = temp_->path() + "/notify";
  const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof(address.sun_path));
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size());
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const timeval receive_timeout = {1, 0};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof(receive_timeout));
  std::string received;
  // Collects notifications until one contains `needle` (bounded).
  auto wait_for = [&](const std::string& needle) {
    for (int i = 0; i < 30; ++i) {
      if (absl::StrContains(received, needle)) return true;
      char buffer[4096];
      const ssize_t n = recv(sock, buffer, sizeof buffer, 0);
      if (n > 0) received.append(buffer, static_cast<size_t>(n)).push_back('\n');
    }
    return absl::StrContains(received, needle);
  };
  SpawnRelay(config, {"--quiet"},
             {"NOTIFY_SOCKET=" + socket_path, "CREDENTIALS_DIRECTORY=" + credentials,
              "WATCHDOG_USEC=1000000"});
  EXPECT_TRUE(wait_for("READY=1")) << received;
  EXPECT_TRUE(wait_for("WATCHDOG=1")) << received;
  received.clear();
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  EXPECT_TRUE(wait_for("RELOADING=1")) << received;
  EXPECT_TRUE(absl::StrContains(received, "MONOTONIC_USEC=")) << received;
  EXPECT_TRUE(wait_for("READY=1")) << received;
  grpc::ClientContext ctx;
  v1::SignedDirectory directory;
  EXPECT_EQ(
      Stub(kProfessional)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).error_code(),
      grpc::StatusCode::NOT_FOUND);
  kill(pid_, SIGTERM);
  EXPECT_TRUE(wait_for("STOPPING=1")) << received;
  EXPECT_EQ(TerminateRelay(), 0);
  close(sock);
}

TEST_F(RelayCliTest, VersionAndGenKekMakesMissingParentPrivate) {
  std::string out;
  EXPECT_EQ(RunRelay("--version", &out), 0);
  EXPECT_TRUE(absl::StartsWith(out, "samrad-relay " SAMRAD_TEST_VERSION "\n")) << out;
  TempDir tmp;
  const std::string cli_out = tmp.path() + "/cli";
  const int rc =
      std::system((std::string("LANG=C ") + kCliBinary + " --version >" + cli_out).c_str());
  EXPECT_EQ(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
  EXPECT_TRUE(absl::StartsWith(ReadFile(cli_out), "samrad " SAMRAD_TEST_VERSION " "))
      << ReadFile(cli_out);

  const std::string parent = temp_->path() + "/var/relay";
  ASSERT_EQ(RunRelay("gen-kek " + parent + "/kek", &out), 0) << out;
  struct stat st = {};
  ASSERT_EQ(stat(parent.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((parent + "/kek").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// Runs `ENV samrad-relay serve ARGS` (bounded by `timeout`): its exit
// status and stderr.
std::pair<int, std::string> ServeOnce(const std::string& args, const std::string& env = "") {
  TempDir tmp;
  const std::string err = tmp.path() + "/err";
  const int rc = std::system((env + " timeout -k 5 60 " + kRelayBinary + " serve " + args + " 2>" +
                              err + " >/dev/null </dev/null")
                                 .c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ReadFile(err)};
}

bool OneLine(const std::string& text) {
  return std::count(text.begin(), text.end(), '\n') == 1 && text.back() == '\n';
}

size_t CountOccurrences(absl::string_view haystack, absl::string_view needle) {
  size_t count = 0;
  for (size_t at = haystack.find(needle); at != absl::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// Issue 18 item 3: SIGHUP applies a changed rate limit to the running relay,
// seen through real calls of one certificate; the log line says old -> new,
// and a changed limit that needs a restart is named and not applied.
TEST_F(RelayCliTest, SighupAppliesChangedRateLimitToRealCalls) {
  v1::RelayConfig config = BaseConfig();  // 1000 calls per second, burst 1000
  SpawnRelay(config, {});
  // Calls (at most `max`) of one certificate before the first refusal.
  auto calls_until_refused = [&](int max) {
    auto stub = Stub(kProfessional);
    for (int i = 0; i < max; ++i) {
      grpc::ClientContext ctx;
      v1::SignedDirectory directory;
      const grpc::Status status = stub->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        EXPECT_TRUE(absl::StrContains(status.error_message(), "rate limit reached"))
            << status.error_message();
        return i;
      }
      EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
    }
    return max;
  };
  auto reload_with = [&](const v1::RelayConfig& next) {
    std::string text;
    ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(next, &text));
    WriteFile(config_file_, text);
    const size_t reloads_before = CountOccurrences(ReadFile(out_file_ + ".err"), "event=reloaded");
    ASSERT_EQ(kill(pid_, SIGHUP), 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline &&
           CountOccurrences(ReadFile(out_file_ + ".err"), "event=reloaded") == reloads_before) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  EXPECT_EQ(calls_until_refused(20), 20);

  v1::RelayConfig tight = config;
  tight.mutable_limits()->set_rate_per_second(0.01);  // one more call per 100 s
  tight.mutable_limits()->set_rate_burst(3);
  tight.mutable_limits()->set_max_envelope_bytes(4096);  // needs a restart
  reload_with(tight);
  std::string log = ReadFile(out_file_ + ".err");
  EXPECT_TRUE(absl::StrContains(log, "limits.rate_per_second 1000 -> 0.01")) << log;
  EXPECT_TRUE(absl::StrContains(log, "limits.rate_burst 1000 -> 3")) << log;
  EXPECT_TRUE(absl::StrContains(log, "event=reload_needs_restart fields=limits.max_envelope_bytes"))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "limits.max_envelope_bytes 262144 -> 4096")) << log;
  EXPECT_EQ(calls_until_refused(20), 3);

  // An invalid file changes nothing: one reload_failed line naming the field,
  // and the certificate stays limited.
  v1::RelayConfig invalid = config;  // burst 1000, but a negative rate
  invalid.mutable_limits()->set_rate_per_second(-5);
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(invalid, &text));
  WriteFile(config_file_, text);
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline &&
         !absl::StrContains(ReadFile(out_file_ + ".err"), "event=reload_failed")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  log = ReadFile(out_file_ + ".err");
  EXPECT_EQ(CountOccurrences(log, "event=reload_failed"), 1u) << log;
  EXPECT_TRUE(absl::StrContains(log, "limits.rate_per_second is -5")) << log;
  EXPECT_EQ(calls_until_refused(5), 0);

  reload_with(config);  // back to 1000/s: the same certificate is served again
  log = ReadFile(out_file_ + ".err");
  EXPECT_TRUE(absl::StrContains(log, "limits.rate_burst 3 -> 1000")) << log;
  EXPECT_EQ(calls_until_refused(20), 20);
  EXPECT_EQ(TerminateRelay(), 0);
}

// Issue 18 "Bad input": a config path that is not a regular file (root reads
// any file, so a directory or a FIFO stands for an unreadable conffile) and
// the arguments a broken unit override adds are each one line naming the
// cause and the fix, with a non-zero exit status; a FIFO never blocks it.
TEST_F(RelayCliTest, WrongConfigFileTypesAndBrokenOverrideAreOneLineEach) {
  const std::string directory = temp_->path() + "/relay.textproto.d";
  ASSERT_EQ(mkdir(directory.c_str(), 0700), 0);
  auto [rc, err] = ServeOnce("--log-format json --config " + directory);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(OneLine(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, "\"event\":\"config_refused\"")) << err;
  EXPECT_TRUE(absl::StrContains(err, directory + " is a directory, not a regular file; point to "))
      << err;

  const std::string fifo = temp_->path() + "/relay.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::tie(rc, err) = ServeOnce("--config " + fifo);
  EXPECT_EQ(rc, 1) << "124 means it waited on the FIFO";
  EXPECT_TRUE(OneLine(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, fifo + " is a FIFO, not a regular file")) << err;

  // What a drop-in's ExecStart= may add: an unknown flag, a flag without its
  // value, a wrong log format.
  v1::RelayConfig config = BaseConfig();
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(config, &text));
  const std::string good = temp_->path() + "/good.textproto";
  WriteFile(good, text);
  for (const std::string& broken : {std::string("--config ") + good + " --log-format json --bogus",
                                    std::string("--config ") + good + " --log-format",
                                    std::string("--config ") + good + " --log-format yaml"}) {
    std::tie(rc, err) = ServeOnce(broken);
    EXPECT_EQ(rc, 2) << broken;
    EXPECT_TRUE(OneLine(err)) << broken << ": " << err;
    EXPECT_TRUE(absl::StrContains(err, "systemctl cat samrad-relay")) << err;
  }
  EXPECT_TRUE(
      absl::StrContains(ServeOnce("--config " + good + " --bogus").second, "unknown flag --bogus"));
}

// Issue 18 "Bad input": a start on a full disk is one line naming data_dir,
// the cause and the fix, and exit status 1. Needs a size-limited tmpfs (root
// or CAP_SYS_ADMIN, as tests/faults does); skipped when none can be mounted.
TEST_F(RelayCliTest, FullDiskAtStartIsOneLineNamingTheFix) {
  const std::string small = temp_->path() + "/small";
  ASSERT_EQ(mkdir(small.c_str(), 0700), 0);
  if (mount("tmpfs", small.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs on " << small << ": " << std::strerror(errno);
  }
  const std::string data_dir = small + "/data";
  ASSERT_EQ(mkdir(data_dir.c_str(), 0700), 0);
  {
    FILE* filler = fopen((small + "/filler").c_str(), "w");
    ASSERT_NE(filler, nullptr);
    const std::string chunk(64 * 1024, 'x');
    while (fwrite(chunk.data(), 1, chunk.size(), filler) == chunk.size()) {
    }
    fclose(filler);
  }
  v1::RelayConfig config = BaseConfig();
  config.set_data_dir(data_dir);
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(config, &text));
  const std::string config_file = temp_->path() + "/full.textproto";
  WriteFile(config_file, text);
  auto [rc, err] = ServeOnce("--config " + config_file);
  umount2(small.c_str(), MNT_DETACH);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(OneLine(err)) << err;
  EXPECT_TRUE(absl::StrContains(err, "event=start_failed")) << err;
  EXPECT_TRUE(absl::StrContains(err, "RESOURCE_EXHAUSTED")) << err;
  EXPECT_TRUE(absl::StrContains(err, "data_dir " + data_dir)) << err;
  EXPECT_TRUE(absl::StrContains(err, "is full")) << err;
  EXPECT_TRUE(absl::StrContains(err, "free space")) << err;
}

// Runs `samrad-relay ARGS` with a pseudo-terminal as stdin, stdout and
// stderr; returns everything it wrote there, or "" when it could not run or
// exited non-zero.
std::string RunRelayOnTerminal(const std::string& args) {
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return "";
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", (std::string(kRelayBinary) + " " + args).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = read(master, buffer, sizeof(buffer))) > 0;) output.append(buffer, n);
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? output : "";
}

TEST_F(RelayCliTest, RestoreAndFsckDrawProgressOnATerminalOnly) {
  v1::RelayConfig config = BaseConfig();
  SpawnRelay(config);
  PublishDirectory(1);
  ASSERT_EQ(Submit(NewThreadKeys(), "progress").sequence(), 1u);
  v1::BackupReply backup;
  {
    grpc::ClientContext ctx;
    grpc::Status status = Stub(kAdmin)->Backup(&ctx, v1::BackupRequest(), &backup);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(TerminateRelay(), 0);
  const std::string kek = " --kek-file " + config.kek_file();

  // On a terminal: one line each, redrawn in place, ending at 100 %.
  const std::string restored = temp_->path() + "/restored";
  std::string out = RunRelayOnTerminal("restore --backup-dir " + backup.backup_dir() +
                                       " --data-dir " + restored + kek);
  EXPECT_NE(out.find("\rrestore: 100% "), std::string::npos) << out;
  EXPECT_NE(out.find("\rfsck: 100% "), std::string::npos) << out;
  EXPECT_NE(out.find("fsck: OK"), std::string::npos) << out;

  // Elsewhere (a file): the results only.
  ASSERT_EQ(RunRelay("fsck --data-dir " + restored + kek, &out), 0) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;  // the report and "fsck: OK"
}

}  // namespace
}  // namespace samrad::server::testing
