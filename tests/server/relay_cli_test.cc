// Tests of the samrad-relay executable as a process: serve with a config file
// and graceful SIGTERM, gen-kek, fsck, backup + restore, rotate-kek,
// rotate-dek, and refusal of a bad config naming the field.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server::testing {
namespace {

constexpr char kRelayBinary[] = SAMRAD_BINARY_DIR "/server/samrad-relay";

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
  // Writes `config` (text format) and starts `samrad-relay serve` on it.
  void SpawnRelay(const v1::RelayConfig& config) {
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
      execl(kRelayBinary, kRelayBinary, "serve", "--config", config_file_.c_str(), "--quiet",
            static_cast<char*>(nullptr));
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

}  // namespace
}  // namespace samrad::server::testing
