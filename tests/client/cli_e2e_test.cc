// End to end with the real binaries on 127.0.0.1: certs/samrad-pki.sh issues
// the transport PKI, `samrad admin directory` makes and publishes a signed
// directory to a real samrad-relay (RocksDB in a temp dir), a professional
// asks, an adviser works the queue, claims, reads and answers, and the
// professional reads the answer. Every printed result is checked; the
// relay's data directory must not contain the question's or the answer's
// text, and the stored envelopes, opened at rest with the relay's KEK, must
// not either (end-to-end encryption, which a scan of the files cannot see
// past the at-rest encryption).
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_profiles.h"
#include "client/file_util.h"
#include "gtest/gtest.h"
#include "process_util.h"
#include "storage/store.h"
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

const std::string kQuestion =
    "En elev i årskurs 8 berättar att familjen planerar ett giftermål i hemlandet under "
    "sommarlovet. Hon vill inte åka. Hur bör skolan agera och vem ska kontaktas först?\n";
const std::string kAnswer =
    "Gör en orosanmälan till socialtjänsten samma dag och ta inte kontakt med familjen. "
    "Socialtjänsten kan besluta om utreseförbud enligt LVU.\n";
const std::string kFollowup = "Tack. Ska skolsköterskan vara med vid samtalet med eleven?\n";

using harness::JsonString;

bool TreeContains(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string bytes = ReadFileToString(entry.path().string(), 1u << 30).value_or("");
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The stored messages of `thread_id` (the thread's record first), with the
// at-rest encryption removed by opening the store with `kek_file`: what an
// operator holding the KEK can read. The relay must be stopped.
std::vector<std::string> StoredRecordsAtRest(const std::string& data_dir,
                                             const std::string& kek_file,
                                             const std::string& thread_id) {
  storage::StoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;
  auto kek = storage::LoadKekFile(kek_file);
  EXPECT_TRUE(kek.ok()) << kek.status();
  if (!kek.ok()) return {};
  options.kek = *std::move(kek);
  auto store = storage::Store::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  std::vector<std::string> records;
  auto thread = (*store)->GetThread(thread_id);
  EXPECT_TRUE(thread.ok()) << thread.status();
  if (thread.ok()) records.push_back(thread->SerializeAsString());
  auto messages = (*store)->ListMessages(thread_id, 0, 0);
  EXPECT_TRUE(messages.ok()) << messages.status();
  if (messages.ok()) {
    for (const auto& m : *messages) records.push_back(m.SerializeAsString());
  }
  return records;
}

class CliE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PathExists(kSamrad)) << kSamrad;
    ASSERT_TRUE(PathExists(kRelay)) << kRelay;
    ASSERT_NO_FATAL_FAILURE(harness::PrepareCliDeployment(dir_, harness::StandardCliPeople()));
    const harness::RelaySetup setup = harness::NewCliRelaySetup(dir_);
    data_dir_ = setup.data_dir;
    ASSERT_NO_FATAL_FAILURE(harness::StartCliRelay(dir_, setup, relay_));
    ASSERT_NO_FATAL_FAILURE(
        harness::InitCliProfiles(dir_, relay_.port(), harness::StandardCliPeople()));
  }

  void TearDown() override {
    if (relay_.running()) relay_.Stop(SIGTERM, std::chrono::seconds(20));
  }

  std::map<std::string, std::string> EnvFor(const std::string& who) { return CliEnvFor(dir_, who); }

  // Runs samrad as `who` (profile, keystore passphrase, admin folder).
  ProcessResult Samrad(const std::string& who, std::vector<std::string> args,
                       const std::string& stdin_text = "") {
    return harness::RunSamradAs(dir_, who, args, stdin_text);
  }

  // Starts a long-running samrad (watch) as `who`; its stdout goes to `out`.
  pid_t SpawnSamrad(const std::string& who, std::vector<std::string> args, const std::string& out) {
    std::vector<std::string> argv = {kSamrad};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::Spawn(argv, testing::MakeEnv(EnvFor(who)), "", out, out + ".err", dir_.path());
  }

  // Waits up to 15 s for `needle` to appear in the file `path`.
  static bool WaitForText(const std::string& path, const std::string& needle) {
    return harness::WaitForText(path, needle, 15000);
  }

  static void Stop(pid_t pid) { testing::StopGroup(pid); }

  TempDir dir_;
  std::string data_dir_;
  harness::RelayProcess relay_;
};

TEST_F(CliE2eTest, WholeConsultationWithoutPlaintextOnTheRelay) {
  // The adviser makes keys; the admin lists them, signs and publishes.
  ProcessResult keygen = Samrad("adviser", {"keygen", "--out", dir_.File("a-1.bundle.json")});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  EXPECT_TRUE(absl::StrContains(keygen.out, "a-1.bundle.json")) << keygen.out;
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "add-adviser", "rc-kronoberg",
                             dir_.File("a-1.bundle.json")})
                .exit_code,
            0);
  ProcessResult sign = Samrad("admin", {"admin", "directory", "sign"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_TRUE(absl::StrContains(sign.out, "epoch 1")) << sign.out;
  ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;
  EXPECT_EQ(publish.out, "The relay now serves directory epoch 1.\n");

  // The professional asks (text on stdin) and gets a case reference.
  ProcessResult ask = Samrad("pro",
                             {"ask", "--county", "07", "--category", "child-marriage", "--urgency",
                              "high", "--org", "school", "--age", "child", "--json"},
                             kQuestion);
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const std::string ref = JsonString(ask.out, "reference");
  ASSERT_EQ(ref.size(), 32u) << ask.out;
  EXPECT_EQ(JsonString(ask.out, "unit"), "rc-kronoberg");

  // Identifying details are refused before anything is sent.
  ProcessResult refused =
      Samrad("pro",
             {"ask", "--county", "07", "--category", "other", "--urgency", "normal", "--org",
              "school", "--age", "child"},
             "Eleven heter Sara, personnummer 850709-9805, mobil 070-123 45 67.\n");
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "personnummer \"850709-9805\"")) << refused.err;
  // With --redact the placeholders are shown and sent instead.
  ProcessResult redacted =
      Samrad("pro",
             {"ask", "--county", "07", "--category", "other", "--urgency", "normal", "--org",
              "school", "--age", "child", "--redact", "--yes", "--json"},
             "Eleven har personnummer 850709-9805 och är orolig.\n");
  ASSERT_EQ(redacted.exit_code, 0) << redacted.err;
  EXPECT_TRUE(absl::StrContains(redacted.err, "[personal identity number]")) << redacted.err;
  const std::string redacted_ref = JsonString(redacted.out, "reference");

  ProcessResult cases = Samrad("pro", {"cases"});
  ASSERT_EQ(cases.exit_code, 0) << cases.err;
  EXPECT_TRUE(absl::StrContains(cases.out, ref)) << cases.out;
  EXPECT_TRUE(absl::StrContains(cases.out, "open")) << cases.out;

  // The adviser sees it in the queue, claims, reads and answers.
  ProcessResult queue = Samrad("adviser", {"queue"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_TRUE(absl::StrContains(queue.out, ref)) << queue.out;
  EXPECT_TRUE(absl::StrContains(queue.out, "child-marriage")) << queue.out;
  ProcessResult claim = Samrad("adviser", {"claim", ref.substr(0, 10)});
  ASSERT_EQ(claim.exit_code, 0) << claim.err;
  EXPECT_EQ(claim.out, "You took case " + ref + ".\n");
  ProcessResult read = Samrad("adviser", {"show", ref});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_TRUE(absl::StrContains(read.out, "giftermål i hemlandet under")) << read.out;
  EXPECT_TRUE(absl::StrContains(read.out, "professional")) << read.out;
  // The professional watches the case while the adviser answers; the adviser
  // watches the queue.
  const std::string watch_out = dir_.File("watch.out");
  pid_t watcher = SpawnSamrad("pro", {"watch", ref}, watch_out);
  ASSERT_GT(watcher, 0);
  const std::string queue_out = dir_.File("queue-watch.out");
  pid_t queue_watcher = SpawnSamrad("adviser", {"watch", "--json"}, queue_out);
  ASSERT_GT(queue_watcher, 0);
  ASSERT_TRUE(WaitForText(watch_out + ".err", "Watching"))
      << ReadFileToString(watch_out + ".err").value_or("");
  ProcessResult redacted_read = Samrad("adviser", {"show", redacted_ref});
  EXPECT_TRUE(absl::StrContains(redacted_read.out, "personnummer [personal identity number] och"))
      << redacted_read.out;
  EXPECT_FALSE(absl::StrContains(redacted_read.out, "850709")) << redacted_read.out;
  ASSERT_TRUE(WriteFileAtomically(dir_.File("answer.txt"), kAnswer).ok());
  ProcessResult answer = Samrad("adviser", {"answer", ref, "--file", dir_.File("answer.txt")});
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  EXPECT_EQ(answer.out, "Answer sent in case " + ref + ".\n");

  EXPECT_TRUE(WaitForText(watch_out, "adviser a-1 of rc-kronoberg\n  Gör en orosanmälan"))
      << ReadFileToString(watch_out).value_or("")
      << ReadFileToString(watch_out + ".err").value_or("");
  Stop(watcher);
  EXPECT_TRUE(WaitForText(queue_out, R"("event":"answered")"))
      << ReadFileToString(queue_out).value_or("")
      << ReadFileToString(queue_out + ".err").value_or("");
  Stop(queue_watcher);

  // The professional reads the answer, verified as the adviser's.
  ProcessResult shown = Samrad("pro", {"show", ref.substr(0, 8)});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(absl::StrContains(shown.out, "me\n  En elev i årskurs 8")) << shown.out;
  EXPECT_TRUE(absl::StrContains(shown.out, "adviser a-1 of rc-kronoberg\n  Gör en orosanmälan"))
      << shown.out;
  std::map<std::string, std::string> swedish = EnvFor("pro");
  swedish["LANG"] = "sv_SE.UTF-8";
  ProcessResult svenska = RunProcess({kSamrad, "show", ref}, swedish, dir_.path());
  EXPECT_TRUE(absl::StrContains(svenska.out, "jag\n  En elev")) << svenska.out;
  EXPECT_TRUE(absl::StrContains(svenska.out, "rådgivare a-1 vid rc-kronoberg")) << svenska.out;
  ProcessResult shown_json = Samrad("pro", {"show", ref, "--json"});
  EXPECT_TRUE(absl::StrContains(shown_json.out, R"("state":"answered")")) << shown_json.out;
  EXPECT_FALSE(absl::StrContains(shown_json.out, R"("verified":false)")) << shown_json.out;

  // A follow-up, read by the adviser; then the professional closes.
  ProcessResult followup = Samrad("pro", {"followup", ref}, kFollowup);
  ASSERT_EQ(followup.exit_code, 0) << followup.err;
  ProcessResult reread = Samrad("adviser", {"show", ref});
  EXPECT_TRUE(absl::StrContains(reread.out, "skolsköterskan")) << reread.out;
  EXPECT_TRUE(absl::StrContains(reread.out, "me\n  Gör en orosanmälan")) << reread.out;
  ProcessResult close = Samrad("pro", {"close", ref});
  ASSERT_EQ(close.exit_code, 0) << close.err;
  EXPECT_EQ(close.out, "Case " + ref + " closed.\n");
  ProcessResult closed_answer = Samrad("adviser", {"answer", ref}, "Ett svar till.\n");
  EXPECT_EQ(closed_answer.exit_code, 8) << closed_answer.err;

  // Nothing typed by a person is on the relay's disk.
  for (const std::string& text :
       {std::string("giftermål i hemlandet"), std::string("orosanmälan till socialtjänsten"),
        std::string("skolsköterskan")}) {
    EXPECT_FALSE(TreeContains(data_dir_, text)) << text;
  }
  EXPECT_FALSE(absl::StrContains(relay_.Log(), "hemlandet"));

  // Nor is it in what the relay stores, read past the at-rest encryption:
  // the thread record and its question, answer and follow-up.
  ASSERT_EQ(relay_.Stop(SIGTERM, std::chrono::minutes(1)), 0);  // hang guard
  const std::vector<std::string> records =
      StoredRecordsAtRest(data_dir_, dir_.File("kek.hex"), ref);
  ASSERT_EQ(records.size(), 4u);
  const std::vector<std::string> redacted_records =
      StoredRecordsAtRest(data_dir_, dir_.File("kek.hex"), redacted_ref);
  ASSERT_EQ(redacted_records.size(), 2u);
  for (const std::string& text :
       {std::string("giftermål i hemlandet"), std::string("orosanmälan till socialtjänsten"),
        std::string("skolsköterskan"), std::string("är orolig")}) {
    for (const std::string& record : records) EXPECT_FALSE(absl::StrContains(record, text)) << text;
    for (const std::string& record : redacted_records) {
      EXPECT_FALSE(absl::StrContains(record, text)) << text;
    }
  }
}

// Rotation (issue 7): a message sealed before and one after a new epoch are
// both readable by the rotated adviser; an adviser removed at the new epoch
// reads only the first; pruning the old key makes the first unreadable.
TEST_F(CliE2eTest, RotationAndRemovalAtANewEpoch) {
  ASSERT_EQ(Samrad("adviser", {"keygen", "--out", dir_.File("a-1.json")}).exit_code, 0);
  ASSERT_EQ(Samrad("adviser2", {"keygen", "--out", dir_.File("a-2.json")}).exit_code, 0);
  for (const char* bundle : {"a-1.json", "a-2.json"}) {
    ASSERT_EQ(
        Samrad("admin", {"admin", "directory", "add-adviser", "rc-kronoberg", dir_.File(bundle)})
            .exit_code,
        0);
  }
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "sign"}).exit_code, 0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "publish"}).exit_code, 0);
  const std::vector<std::string> ask = {
      "ask",   "--county",        "07",    "--category",  "forced-marriage", "--urgency", "normal",
      "--org", "social-services", "--age", "young-adult", "--json"};
  ProcessResult first = Samrad("pro", ask, "Första frågan före rotationen.\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string ref1 = JsonString(first.out, "reference");

  // a-1 rotates, a-2 leaves; epoch 2.
  ProcessResult rotate = Samrad("adviser", {"keygen", "--rotate", "--out", dir_.File("a-1.json")});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  ASSERT_EQ(
      Samrad("admin", {"admin", "directory", "add-adviser", "rc-kronoberg", dir_.File("a-1.json")})
          .exit_code,
      0);
  ASSERT_EQ(
      Samrad("admin", {"admin", "directory", "remove-adviser", "rc-kronoberg", "a-2"}).exit_code,
      0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "sign"}).exit_code, 0);
  ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;
  EXPECT_EQ(publish.out, "The relay now serves directory epoch 2.\n");
  ProcessResult second = Samrad("pro", ask, "Andra frågan efter rotationen.\n");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string ref2 = JsonString(second.out, "reference");

  ProcessResult a1_first = Samrad("adviser", {"show", ref1});
  EXPECT_TRUE(absl::StrContains(a1_first.out, "Första frågan")) << a1_first.out << a1_first.err;
  ProcessResult a1_second = Samrad("adviser", {"show", ref2});
  EXPECT_TRUE(absl::StrContains(a1_second.out, "Andra frågan")) << a1_second.out << a1_second.err;
  ProcessResult a2_first = Samrad("adviser2", {"show", ref1});
  EXPECT_TRUE(absl::StrContains(a2_first.out, "Första frågan")) << a2_first.out << a2_first.err;
  ProcessResult a2_second = Samrad("adviser2", {"show", ref2, "--json"});
  EXPECT_EQ(a2_second.exit_code, 0) << a2_second.err;
  EXPECT_FALSE(absl::StrContains(a2_second.out, "Andra frågan")) << a2_second.out;
  EXPECT_TRUE(absl::StrContains(a2_second.out, R"("verified":false)")) << a2_second.out;
  // The removed adviser can no longer sign anything the relay accepts.
  ProcessResult a2_answer = Samrad("adviser2", {"answer", ref1}, "Svar.\n");
  EXPECT_NE(a2_answer.exit_code, 0);

  // Forward secrecy: once the old key is pruned, the first case is unreadable.
  ProcessResult prune = Samrad("adviser", {"keys", "prune", "--older-than", "0"});
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  ProcessResult pruned = Samrad("adviser", {"show", ref1});
  EXPECT_FALSE(absl::StrContains(pruned.out, "Första frågan")) << pruned.out;
  EXPECT_TRUE(absl::StrContains(pruned.out, "cannot be read")) << pruned.out;
}

// Referral: the referring adviser re-wraps every message for the new unit,
// whose adviser then reads the whole thread and answers the professional.
TEST_F(CliE2eTest, ReferralHandsTheWholeThreadToTheNewUnit) {
  ASSERT_EQ(Samrad("adviser", {"keygen", "--out", dir_.File("a-1.json")}).exit_code, 0);
  ASSERT_EQ(Samrad("nkt", {"keygen", "--out", dir_.File("n-1.json")}).exit_code, 0);
  ASSERT_EQ(
      Samrad("admin", {"admin", "directory", "add-adviser", "rc-kronoberg", dir_.File("a-1.json")})
          .exit_code,
      0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "add-adviser", "nkt", dir_.File("n-1.json")})
                .exit_code,
            0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "sign"}).exit_code, 0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "publish"}).exit_code, 0);
  ProcessResult ask = Samrad("pro",
                             {"ask", "--county", "07", "--category", "fgm", "--urgency", "high",
                              "--org", "health-care", "--age", "child", "--json"},
                             "Fråga om könsstympning och vilka kontroller som görs.\n");
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const std::string ref = JsonString(ask.out, "reference");
  ProcessResult refer = Samrad("adviser", {"refer", ref, "--to", "nkt", "--reason",
                                           "Nationella teamet har särskild kunskap om detta."});
  ASSERT_EQ(refer.exit_code, 0) << refer.err;
  EXPECT_EQ(refer.out, "Case " + ref + " referred to nkt.\n");

  ProcessResult queue = Samrad("nkt", {"queue"});
  EXPECT_TRUE(absl::StrContains(queue.out, ref)) << queue.out << queue.err;
  ProcessResult read = Samrad("nkt", {"show", ref});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_TRUE(absl::StrContains(read.out, "könsstympning")) << read.out;
  EXPECT_TRUE(absl::StrContains(read.out, "särskild kunskap")) << read.out;
  EXPECT_TRUE(absl::StrContains(read.out, "referred to nkt")) << read.out;
  ProcessResult answer = Samrad("nkt", {"answer", ref}, "Svar från nationella teamet.\n");
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  ProcessResult shown = Samrad("pro", {"show", ref});
  EXPECT_TRUE(absl::StrContains(shown.out, "adviser n-1 of nkt\n  Svar från nationella teamet"))
      << shown.out;
  EXPECT_TRUE(absl::StrContains(shown.out, "adviser a-1 of rc-kronoberg  (referred to nkt)"))
      << shown.out;
  // The referring unit no longer sees the case.
  EXPECT_EQ(Samrad("adviser", {"show", ref}).exit_code, 5);
}

TEST_F(CliE2eTest, RefusalsHaveTheirExitCodes) {
  // Before any publish: no directory.
  ProcessResult early = Samrad("pro",
                               {"ask", "--county", "07", "--category", "fgm", "--urgency", "acute",
                                "--org", "health-care", "--age", "adult"},
                               "Fråga om rutiner.\n");
  EXPECT_EQ(early.exit_code, 7) << early.err;
  EXPECT_TRUE(absl::StrContains(early.err, "112")) << early.err;
  // A professional may not publish a directory.
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "sign"}).exit_code, 0);
  ProcessResult not_admin =
      RunProcess({kSamrad, "admin", "directory", "publish"},
                 {{"SAMRAD_CONFIG", dir_.File("pro.conf")}, {"SAMRAD_ADMIN_DIR", dir_.File("dir")}},
                 dir_.path());
  EXPECT_EQ(not_admin.exit_code, 4) << not_admin.err;
  // Wrong keystore passphrase.
  ProcessResult wrong = RunProcess({kSamrad, "cases"},
                                   {{"SAMRAD_CONFIG", dir_.File("pro.conf")},
                                    {"SAMRAD_PASSPHRASE_FILE", dir_.File("admin.pass")}},
                                   dir_.path());
  EXPECT_EQ(wrong.exit_code, 6) << wrong.err;
  // A relay that is not there.
  std::string conf = ReadFileToString(dir_.File("pro.conf")).value_or("");
  conf = std::regex_replace(conf, std::regex("127\\.0\\.0\\.1:[0-9]+"), "127.0.0.1:1");
  ASSERT_TRUE(WriteFileAtomically(dir_.File("gone.conf"), conf).ok());
  ProcessResult gone = RunProcess(
      {kSamrad, "admin", "directory", "publish"},
      {{"SAMRAD_CONFIG", dir_.File("gone.conf")}, {"SAMRAD_ADMIN_DIR", dir_.File("dir")}},
      dir_.path());
  EXPECT_EQ(gone.exit_code, 3) << gone.err;
  EXPECT_TRUE(absl::StrContains(gone.err, "relay")) << gone.err;
}

}  // namespace
}  // namespace samrad::client
