// End to end for the admin commands with the real binaries on 127.0.0.1:
// a real samrad-relay (RocksDB in a temp dir, mTLS from certs/samrad-pki.sh),
// consultations by a professional and an adviser, then `samrad admin audit`
// (with --verify), `stats`, `purge`, `backup`, `revoke` and `revoked`.
// The fixture is the one of cli_e2e_test.cc with a retention policy and a
// backup folder in the relay's configuration.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli_profiles.h"
#include "client/file_util.h"
#include "gtest/gtest.h"
#include "process_util.h"
#include "test_util.h"
#include "tests/testing/cli_profiles.h"
#include "tests/testing/dev_pki.h"
#include "tests/testing/relay_process.h"

namespace samrad::client {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

const std::string kSamrad = std::string(SAMRAD_BINARY_DIR) + "/client/samrad";
const std::string kRelay = std::string(SAMRAD_BINARY_DIR) + "/server/samrad-relay";

using harness::JsonString;

class AdminE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PathExists(kSamrad)) << kSamrad;
    ASSERT_TRUE(PathExists(kRelay)) << kRelay;
    pki_ = dir_.File("pki");
    ASSERT_NO_FATAL_FAILURE(harness::PrepareCliDeployment(dir_, harness::StandardCliPeople()));
    // What is particular here: a retention policy and a backup folder.
    harness::RelaySetup setup = harness::NewCliRelaySetup(dir_);
    setup.retention = "closed_days: 1 sweeper_disabled: true";
    setup.extra = absl::StrCat("backup_dir: \"", dir_.File("backups"), "\"\n", "backup_keep: 2\n");
    data_dir_ = setup.data_dir;
    ASSERT_NO_FATAL_FAILURE(harness::StartCliRelay(dir_, setup, relay_));
    port_ = relay_.port();
    ASSERT_NO_FATAL_FAILURE(harness::InitCliProfiles(dir_, port_, harness::StandardCliPeople()));
  }

  void TearDown() override {
    if (relay_.running()) relay_.Stop(SIGTERM, std::chrono::seconds(20));
  }

  // Stops the relay and starts it again on the same data directory with its
  // wall clock `shift_seconds` ahead (LD_PRELOAD shim); points the admin's
  // and the adviser's profiles at its new port.
  void RestartRelayLater(int64_t shift_seconds) {
    ASSERT_EQ(relay_.Stop(SIGTERM, std::chrono::seconds(20)), 0);
    ASSERT_NO_FATAL_FAILURE(
        relay_.Start(dir_.File("relay.textproto"), dir_.File("relay-later.log"),
                     {{"LD_PRELOAD", SAMRAD_TIME_SHIFT_LIB},
                      {"SAMRAD_TEST_TIME_SHIFT_SECONDS", absl::StrCat(shift_seconds)}}));
    const std::string port = relay_.port();
    for (const char* who : {"admin", "adviser"}) {
      ASSERT_TRUE(harness::RepointProfile(dir_.File(std::string(who) + ".conf"), port_, port));
    }
  }

  std::map<std::string, std::string> EnvFor(const std::string& who) { return CliEnvFor(dir_, who); }

  // Runs samrad as `who` (profile, keystore passphrase, admin folder).
  ProcessResult Samrad(const std::string& who, std::vector<std::string> args,
                       const std::string& stdin_text = "") {
    return harness::RunSamradAs(dir_, who, args, stdin_text);
  }

  TempDir dir_;
  std::string pki_;
  std::string data_dir_;
  harness::RelayProcess relay_;
  std::string port_;
};

TEST_F(AdminE2eTest, AuditStatsPurgeBackupAndRevocation) {
  // Help is there for every admin command.
  for (const char* command :
       {"revoke", "revoked", "unrevoke", "audit", "stats", "purge", "backup"}) {
    ProcessResult help = Samrad("admin", {"admin", command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << help.err;
    EXPECT_TRUE(absl::StrContains(help.out, std::string("admin ") + command)) << help.out;
  }
  ASSERT_EQ(Samrad("adviser", {"keygen", "--out", dir_.File("a-1.json")}).exit_code, 0);
  ASSERT_EQ(
      Samrad("admin", {"admin", "directory", "add-adviser", "rc-kronoberg", dir_.File("a-1.json")})
          .exit_code,
      0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "sign"}).exit_code, 0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "publish"}).exit_code, 0);

  // Two consultations; the first is claimed, read and answered.
  const std::vector<std::string> ask = {"ask",    "--county",  "07",    "--category",
                                        "fgm",    "--urgency", "high",  "--org",
                                        "school", "--age",     "child", "--json"};
  ProcessResult first = Samrad("pro", ask, "Hur går en orosanmälan till?\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string ref1 = JsonString(first.out, "reference");
  ProcessResult second = Samrad("pro", ask, "Vilka kontroller görs vid misstanke?\n");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string ref2 = JsonString(second.out, "reference");
  ASSERT_EQ(Samrad("adviser", {"claim", ref1}).exit_code, 0);
  ASSERT_EQ(Samrad("adviser", {"show", ref1}).exit_code, 0);
  ASSERT_EQ(Samrad("adviser", {"answer", ref1}, "Kontakta socialtjänsten i dag.\n").exit_code, 0);

  // The audit log names claim, read and answer on the thread, by a-1.
  ProcessResult audit = Samrad("admin", {"admin", "audit", "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  for (const char* action : {"claim", "read", "answer", "publish"}) {
    EXPECT_TRUE(absl::StrContains(audit.out, absl::StrCat(R"("action":")", action, R"(")")))
        << action << audit.out;
  }
  EXPECT_TRUE(absl::StrContains(
      audit.out,
      R"("actor_role":"adviser","actor_id":"a-1","action":"claim","thread_id":")" + ref1))
      << audit.out;
  ProcessResult table = Samrad("admin", {"admin", "audit"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(absl::StrContains(table.out, "adviser a-1")) << table.out;
  EXPECT_TRUE(absl::StrContains(table.out, "ACTION")) << table.out;
  ProcessResult page =
      Samrad("admin", {"admin", "audit", "--after", "1", "--limit", "2", "--json"});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_TRUE(absl::StartsWith(page.out, R"({"entries":[{"index":2,)")) << page.out;
  EXPECT_FALSE(absl::StrContains(page.out, R"("index":4,)")) << page.out;
  ProcessResult future = Samrad("admin", {"admin", "audit", "--since", "2999-01-01"});
  ASSERT_EQ(future.exit_code, 0) << future.err;
  EXPECT_EQ(future.out, "No audit entries match.\n");
  ProcessResult verify = Samrad("admin", {"admin", "audit", "--verify"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_TRUE(absl::StrContains(verify.out, "Audit chain intact:")) << verify.out;
  EXPECT_EQ(Samrad("admin", {"admin", "audit", "--limit", "0"}).exit_code, 2);
  EXPECT_EQ(Samrad("admin", {"admin", "audit", "--since", "yesterday"}).exit_code, 2);

  // Statistics cover whole, ended calendar periods only (issue 19); the
  // suppression and presentation are tested in swedish_e2e_test.cc.
  ProcessResult range = Samrad("admin", {"admin", "stats", "--from", "2020-01-01"});
  EXPECT_EQ(range.exit_code, 2) << range.err;
  EXPECT_TRUE(absl::StrContains(range.err, "--from and --to are no longer offered")) << range.err;
  ProcessResult this_year = Samrad(
      "admin",
      {"admin", "stats", "--year", absl::FormatTime("%Y", absl::Now(), absl::UTCTimeZone())});
  EXPECT_EQ(this_year.exit_code, 2) << this_year.err;
  EXPECT_TRUE(absl::StrContains(this_year.err, "once it has ended")) << this_year.err;
  ProcessResult last_year = Samrad("admin", {"admin", "stats", "--by", "unit,category", "--json"});
  ASSERT_EQ(last_year.exit_code, 0) << last_year.err;
  EXPECT_TRUE(absl::StrContains(last_year.out, R"("period":"year")")) << last_year.out;
  EXPECT_TRUE(absl::StrContains(last_year.out, R"("rows":[])")) << last_year.out;
  EXPECT_EQ(Samrad("admin", {"admin", "stats", "--by", "name"}).exit_code, 2);
  EXPECT_EQ(Samrad("admin", {"admin", "stats", "--by", "urgency"}).exit_code, 2);
  EXPECT_EQ(Samrad("admin", {"admin", "stats", "--month", "13"}).exit_code, 2);
  // Only an admin may read them.
  EXPECT_EQ(Samrad("adviser", {"admin", "stats"}).exit_code, 4);

  // Retention: the relay keeps closed threads at least a day (closed_days
  // is 1..3650), so a thread closed just now is not yet due.
  ASSERT_EQ(Samrad("pro", {"close", ref1}).exit_code, 0);
  ProcessResult dry = Samrad("admin", {"admin", "purge", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "Dry run: would close 0 inactive case(s) and purge 0 closed case(s) with 0 "
            "message(s).\n");
  ProcessResult purge = Samrad("admin", {"admin", "purge", "--json"});
  ASSERT_EQ(purge.exit_code, 0) << purge.err;
  EXPECT_TRUE(
      absl::StrContains(purge.out, R"("dry_run":false,"threads_closed":0,"threads_purged":0)"))
      << purge.out;
  EXPECT_EQ(Samrad("adviser", {"show", ref1}).exit_code, 0);

  // Backup: written on the relay's host where the relay says.
  ProcessResult backup = Samrad("admin", {"admin", "backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  const std::string backup_dir = JsonString(backup.out, "backup_dir");
  EXPECT_TRUE(absl::StartsWith(backup_dir, dir_.File("backups"))) << backup.out;
  ASSERT_TRUE(std::filesystem::exists(backup_dir)) << backup.out;
  EXPECT_FALSE(std::filesystem::is_empty(backup_dir)) << backup.out;
  std::regex size_pattern(R"("size_bytes":([0-9]+))");
  std::smatch size_match;
  ASSERT_TRUE(std::regex_search(backup.out, size_match, size_pattern)) << backup.out;
  EXPECT_GT(std::stoull(size_match[1].str()), 0u) << backup.out;
  ProcessResult backup_text = Samrad("admin", {"admin", "backup"});
  ASSERT_EQ(backup_text.exit_code, 0) << backup_text.err;
  EXPECT_TRUE(absl::StrContains(backup_text.out, "on the relay's host")) << backup_text.out;

  // Revocation: by certificate file, and by serial as openssl prints it.
  EXPECT_EQ(Samrad("pro", {"show", ref2}).exit_code, 0);
  // Without a terminal and without --yes nothing is revoked (exit 2).
  ProcessResult unconfirmed = RunProcess({"/usr/bin/setsid", "-w", kSamrad, "admin", "revoke",
                                          "--cert", pki_ + "/professional-07-p-1.crt"},
                                         EnvFor("admin"), dir_.path());
  EXPECT_EQ(unconfirmed.exit_code, 2) << unconfirmed.out << unconfirmed.err;
  EXPECT_TRUE(absl::StrContains(unconfirmed.err, "pass --yes")) << unconfirmed.err;
  EXPECT_EQ(Samrad("pro", {"show", ref2}).exit_code, 0) << "not revoked without --yes";
  ProcessResult revoke =
      Samrad("admin", {"admin", "revoke", "--yes", "--cert", pki_ + "/professional-07-p-1.crt",
                       "--reason", "laptop stolen", "--json"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  const std::string serial = JsonString(revoke.out, "serial_hex");
  ASSERT_FALSE(serial.empty()) << revoke.out;
  ProcessResult openssl = RunProcess(
      {"/usr/bin/openssl", "x509", "-noout", "-serial", "-in", pki_ + "/professional-07-p-1.crt"},
      {}, dir_.path());
  ASSERT_EQ(openssl.exit_code, 0) << openssl.err;
  EXPECT_TRUE(absl::StrContains(openssl.out, "serial=" + serial)) << openssl.out << serial;
  ProcessResult refused = Samrad("pro", {"show", ref2});
  EXPECT_EQ(refused.exit_code, 4) << refused.out << refused.err;
  ProcessResult refused_cases = Samrad("pro", {"cases"});
  EXPECT_EQ(refused_cases.exit_code, 4) << refused_cases.out << refused_cases.err;
  // The adviser's certificate by serial, lower case with a prefix.
  ProcessResult adviser_serial = RunProcess({"/usr/bin/openssl", "x509", "-noout", "-serial", "-in",
                                             pki_ + "/adviser-rc-kronoberg-a-2.crt"},
                                            {}, dir_.path());
  ASSERT_EQ(adviser_serial.exit_code, 0);
  std::string lower = adviser_serial.out;
  lower.erase(lower.find_last_not_of("\n") + 1);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ProcessResult by_serial = Samrad("admin", {"admin", "revoke", "--yes", "--serial", lower});
  ASSERT_EQ(by_serial.exit_code, 0) << by_serial.err;
  const std::string upper_serial =
      absl::AsciiStrToUpper(lower.substr(std::string("serial=").size()));
  EXPECT_EQ(by_serial.out,
            "Certificate " + upper_serial + " revoked; the relay refuses it from now on.\n");
  ProcessResult revoked = Samrad("admin", {"admin", "revoked"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_TRUE(absl::StrContains(revoked.out, serial)) << revoked.out;
  EXPECT_TRUE(absl::StrContains(revoked.out, upper_serial)) << revoked.out;
  EXPECT_TRUE(absl::StrContains(revoked.out, "laptop stolen")) << revoked.out;
  EXPECT_TRUE(absl::StrContains(revoked.out, "ops-1")) << revoked.out;
  std::map<std::string, std::string> swedish = EnvFor("admin");
  swedish["LANG"] = "sv_SE.UTF-8";
  ProcessResult svenska = RunProcess({kSamrad, "admin", "revoked"}, swedish, dir_.path());
  EXPECT_TRUE(absl::StrContains(svenska.out, "SERIENUMMER")) << svenska.out;
  EXPECT_EQ(Samrad("admin", {"admin", "revoke"}).exit_code, 2);
  EXPECT_EQ(Samrad("admin", {"admin", "revoke", "--yes", "--serial", "xyz"}).exit_code, 2);
  EXPECT_EQ(
      Samrad("admin", {"admin", "revoke", "--yes", "--cert", dir_.File("nope.crt")}).exit_code, 5);
  // Undo a revocation (national admin), by certificate; a second time there
  // is nothing to undo (5).
  ProcessResult unrevoke =
      Samrad("admin", {"admin", "unrevoke", "--cert", pki_ + "/adviser-rc-kronoberg-a-2.crt"});
  ASSERT_EQ(unrevoke.exit_code, 0) << unrevoke.err;
  EXPECT_EQ(unrevoke.out, "Certificate " + upper_serial +
                              " is no longer revoked; it works again from its next call.\n");
  EXPECT_EQ(Samrad("admin", {"admin", "unrevoke", "--serial", upper_serial}).exit_code, 5);

  // The chain still verifies and records the revocations and the backup.
  ProcessResult after = Samrad("admin", {"admin", "audit", "--verify", "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(absl::StrContains(after.out, R"("action":"revoke")")) << after.out;
  EXPECT_TRUE(absl::StrContains(after.out, R"("action":"unrevoke")")) << after.out;
  EXPECT_TRUE(absl::StrContains(after.out, R"("action":"backup")")) << after.out;
  EXPECT_TRUE(absl::StrContains(after.out, R"("chain_intact":true)")) << after.out;

  // Two days later the closed case is due (closed_days 1); the open one is not.
  RestartRelayLater(2 * 24 * 3600);
  ProcessResult later = Samrad("admin", {"admin", "purge", "--dry-run"});
  ASSERT_EQ(later.exit_code, 0) << later.err << relay_.Log();
  EXPECT_EQ(later.out,
            "Dry run: would close 0 inactive case(s) and purge 1 closed case(s) with 2 "
            "message(s).\n  " +
                ref1 + "\n")
      << later.out;
  EXPECT_EQ(Samrad("adviser", {"show", ref1}).exit_code, 0);
  ProcessResult gone = Samrad("admin", {"admin", "purge", "--json"});
  ASSERT_EQ(gone.exit_code, 0) << gone.err;
  EXPECT_TRUE(absl::StrContains(gone.out, R"("threads_purged":1)")) << gone.out;
  EXPECT_TRUE(absl::StrContains(gone.out, ref1)) << gone.out;
  EXPECT_EQ(Samrad("adviser", {"show", ref1}).exit_code, 5);
  EXPECT_EQ(Samrad("adviser", {"show", ref2}).exit_code, 0);
  ProcessResult final_audit = Samrad("admin", {"admin", "audit", "--verify"});
  EXPECT_EQ(final_audit.exit_code, 0) << final_audit.out << final_audit.err;
  EXPECT_TRUE(absl::StrContains(final_audit.out, "retention")) << final_audit.out;
}

// `samrad admin backup --list` through the real CLI and relay: the relay
// keeps backup_keep (2 here) backups, says which it removed, and lists the
// kept ones with id, time, size and number of files, in English and Swedish.
TEST_F(AdminE2eTest, BackupListShowsTheKeptBackups) {
  ProcessResult empty = Samrad("admin", {"admin", "backup", "--list"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_TRUE(absl::StrContains(empty.out, "There are no backups in " + dir_.File("backups")))
      << empty.out;

  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ProcessResult backup = Samrad("admin", {"admin", "backup", "--json"});
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
    std::smatch id;
    ASSERT_TRUE(std::regex_search(backup.out, id, std::regex(R"("backup_id":([0-9]+))")))
        << backup.out;
    ids.push_back(id[1].str());
    EXPECT_TRUE(absl::StrContains(backup.out, "\"backup_keep\":2")) << backup.out;
    EXPECT_TRUE(absl::StrContains(
        backup.out, i < 2 ? "\"purged_backup_ids\":[]" : "\"purged_backup_ids\":[" + ids[0] + "]"))
        << backup.out;
  }
  ProcessResult text_backup = Samrad("admin", {"admin", "backup"});
  ASSERT_EQ(text_backup.exit_code, 0) << text_backup.err;
  EXPECT_TRUE(absl::StrContains(text_backup.out,
                                "Older backups removed (the relay keeps the newest 2): " + ids[1]))
      << text_backup.out;
  std::smatch last;
  ASSERT_TRUE(std::regex_search(text_backup.out, last, std::regex("Backup ([0-9]+) written")));
  ids.push_back(last[1].str());

  ProcessResult json = Samrad("admin", {"admin", "backup", "--list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(absl::StrContains(json.out, "\"backup_keep\":2")) << json.out;
  const std::regex row(
      R"(\{"backup_id":([0-9]+),"created_unix_ms":([0-9]+),"size_bytes":([0-9]+),"num_files":([0-9]+)\})");
  std::vector<std::string> listed;
  for (auto it = std::sregex_iterator(json.out.begin(), json.out.end(), row);
       it != std::sregex_iterator(); ++it) {
    listed.push_back((*it)[1].str());
    EXPECT_GT(std::stoll((*it)[2].str()), 1'700'000'000'000) << json.out;
    EXPECT_GT(std::stoull((*it)[3].str()), 0u) << json.out;
    EXPECT_GT(std::stoul((*it)[4].str()), 0u) << json.out;
  }
  EXPECT_EQ(listed, (std::vector<std::string>{ids[2], ids[3]})) << json.out;

  ProcessResult text = Samrad("admin", {"admin", "backup", "--list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "Backups in " + dir_.File("backups") +
                                              " on the relay's host (it keeps the newest 2):"))
      << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "BACKUP")) << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "FILES")) << text.out;
  EXPECT_TRUE(std::regex_search(text.out, std::regex("\n" + ids[3] + "  "))) << text.out;
  EXPECT_FALSE(std::regex_search(text.out, std::regex("\n" + ids[0] + "  "))) << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "samrad-relay restore --backup-dir " +
                                              dir_.File("backups") + " --backup-id BACKUP"))
      << text.out;

  std::map<std::string, std::string> swedish = EnvFor("admin");
  swedish["LC_ALL"] = "sv_SE.UTF-8";
  ProcessResult sv = RunProcess({kSamrad, "admin", "backup", "--list"}, swedish, dir_.path());
  ASSERT_EQ(sv.exit_code, 0) << sv.err;
  EXPECT_TRUE(absl::StrContains(sv.out, "Säkerhetskopior i " + dir_.File("backups") +
                                            " på reläets dator (de 2 senaste sparas):"))
      << sv.out;
  EXPECT_TRUE(absl::StrContains(sv.out, "KOPIA")) << sv.out;
}

}  // namespace
}  // namespace samrad::client
