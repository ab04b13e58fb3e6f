// `samrad` run in-process: help and usage errors with their exit codes,
// one-line errors in English and Swedish, init and the keystore passphrase,
// keygen bundles, and the admin directory commands end to end on disk.
#include "client/cli.h"

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/config.h"
#include "client/directory_admin.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/keystore.h"
#include "client/status_class.h"
#include "gtest/gtest.h"
#include "process_util.h"
#include "test_util.h"
#include "tests/testing/dev_pki.h"

namespace samrad::client {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_["HOME"] = dir_.path();
    ASSERT_TRUE(WriteFileAtomically(dir_.File("pass"), "keystore pass\n").ok());
    ASSERT_TRUE(WriteFileAtomically(dir_.File("dirpass"), "directory pass\n").ok());
    ASSERT_TRUE(WriteFileAtomically(dir_.File("wrongpass"), "not the pass\n").ok());
    ASSERT_NE(pki_, nullptr);
  }

  // One PKI for the suite (certs/samrad-pki.sh): a professional of county
  // 07, since `ask` compares --county with the certificate.
  static void SetUpTestSuite() {
    now_ms_ = absl::ToUnixMillis(absl::Now()) + 3600 * 1000;
    pki_ = new TempDir();
    for (std::vector<std::string> args :
         {std::vector<std::string>{"init"}, {"client", "professional", "07", "p-1"}}) {
      ProcessResult r = harness::RunPki(pki_->path(), args, pki_->path());
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  // A fixed clock, an hour after the suite's certificate was made (it is
  // valid from when it was made).
  static inline int64_t now_ms_ = 0;
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  static std::string Cert() { return pki_->File("professional-07-p-1.crt"); }
  static std::string Key() { return pki_->File("professional-07-p-1.key"); }
  static std::string Ca() { return pki_->File("ca.crt"); }
  static inline TempDir* pki_ = nullptr;

  Result Run(std::vector<std::string> args, Language language = Language::kEnglish,
             const std::string& stdin_text = "") {
    std::ostringstream out, err;
    std::istringstream in(stdin_text);
    CliIo io;
    io.out = &out;
    io.err = &err;
    io.in = &in;
    io.stdin_is_tty = false;
    io.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    io.now_unix_ms = [] { return now_ms_; };
    io.prompt_secret = [](absl::string_view) -> absl::StatusOr<crypto::SecretBytes> {
      return absl::FailedPreconditionError("no terminal in tests");
    };
    io.argon2 = {.time_cost = 1, .memory_kib = 256, .parallelism = 1};
    Result result;
    result.code = RunCli(args, std::move(io), language);
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  // Creates a directory workspace and returns its public key hex.
  std::string InitDirectory() {
    Result r = Run({"admin", "directory", "init", "--out", dir_.File("dir"), "--routing",
                    std::string(SAMRAD_SOURCE_DIR) + "/client/testdata/routing.textproto",
                    "--key-passphrase-file", dir_.File("dirpass"), "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return LoadDirectoryPublicKeyHex(dir_.File("dir")).value_or("");
  }

  // `samrad init` arguments for a relay at `relay` (none listens there).
  std::vector<std::string> InitArgs(const std::string& directory_key,
                                    const std::string& relay = "127.0.0.1:1") {
    return {"init",
            "--relay",
            relay,
            "--cert",
            Cert(),
            "--key",
            Key(),
            "--ca",
            Ca(),
            "--directory-key",
            directory_key,
            "--passphrase-file",
            dir_.File("pass")};
  }

  std::string ProfilePath() const { return dir_.path() + "/.config/samrad/config"; }
  std::string KeystorePath() const { return dir_.path() + "/.config/samrad/keystore"; }

  // Writes the profile and the keystore as `samrad init` does (init itself
  // needs a relay to check against: never_stuck_e2e_test.cc).
  void Init(const std::string& pub_hex, const std::string& adviser_id = "") {
    v1::ClientProfile profile;
    profile.set_relay_address("127.0.0.1:7443");
    profile.set_client_cert_path(Cert());
    profile.set_client_key_path(Key());
    profile.set_ca_cert_path(Ca());
    profile.set_directory_public_key_hex(pub_hex);
    profile.set_keystore_path(KeystorePath());
    profile.set_adviser_id(adviser_id);
    ASSERT_TRUE(SaveProfile(ProfilePath(), profile).ok());
    auto created =
        Keystore::Create(KeystorePath(), crypto::SecretBytes::FromString("keystore pass"),
                         {.time_cost = 1, .memory_kib = 256, .parallelism = 1});
    ASSERT_TRUE(created.ok()) << created.status();
  }

  static int Lines(const std::string& s) {
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(CliTest, HelpOnEveryLevelListsExitCodesAtTheTop) {
  Result root = Run({"--help"});
  EXPECT_EQ(root.code, 0);
  EXPECT_TRUE(absl::StrContains(root.out, "Usage: samrad COMMAND")) << root.out;
  EXPECT_TRUE(absl::StrContains(root.out, "Exit codes")) << root.out;
  EXPECT_TRUE(absl::StrContains(root.out, " 7  key directory signature invalid")) << root.out;
  for (std::vector<std::string> args : {std::vector<std::string>{"ask", "--help"},
                                        {"admin", "--help"},
                                        {"admin", "directory", "sign", "--help"},
                                        {"keys", "prune", "--help"}}) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 0) << args[0];
    EXPECT_TRUE(absl::StrContains(r.out, "Usage: samrad " + args[0])) << r.out;
  }
  Result none = Run({});
  EXPECT_EQ(none.code, 2);
}

TEST_F(CliTest, UsageErrorsExitTwoWithOneLine) {
  Result unknown = Run({"frobnicate"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_EQ(unknown.err, "samrad: unknown command \"frobnicate\"; see `samrad --help`\n");
  Result flag = Run({"cases", "--frobnicate"});
  EXPECT_EQ(flag.code, 2);
  EXPECT_EQ(Lines(flag.err), 1);
  EXPECT_TRUE(absl::StrContains(flag.err, "see `samrad cases --help`")) << flag.err;
  Result missing = Run({"ask", "--county", "07"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(absl::StrContains(missing.err, "--category is required")) << missing.err;
  Result bad = Run({"ask", "--county", "07", "--category", "theft", "--urgency", "normal", "--org",
                    "school", "--age", "child"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "\"theft\" is not one of: honour-violence")) << bad.err;
}

// `samrad help COMMAND...` is `samrad COMMAND... --help`, with examples.
TEST_F(CliTest, HelpCommandShowsTheHelpAndExamplesOfAnyCommand) {
  Result help_queue = Run({"help", "queue"});
  EXPECT_EQ(help_queue.code, 0) << help_queue.err;
  EXPECT_EQ(help_queue.out, Run({"queue", "--help"}).out);
  EXPECT_TRUE(absl::StrContains(help_queue.out, "Examples:\n  samrad queue\n")) << help_queue.out;
  Result nested = Run({"help", "admin", "directory", "sign"});
  EXPECT_EQ(nested.code, 0) << nested.err;
  EXPECT_TRUE(absl::StartsWith(nested.out, "Usage: samrad admin directory sign")) << nested.out;
  EXPECT_TRUE(absl::StrContains(nested.out, "samrad admin directory sign --valid-days 7"))
      << nested.out;
  Result root = Run({"help"});
  EXPECT_EQ(root.code, 0);
  EXPECT_EQ(root.out, Run({"--help"}).out);
  EXPECT_TRUE(absl::StrContains(root.out, "  help ")) << "listed among the commands";
  Result swedish = Run({"help", "ask"}, Language::kSwedish);
  EXPECT_TRUE(absl::StrContains(swedish.out,
                                "Exempel:\n  samrad ask --county 07 --category "
                                "hedersrelaterat-våld"))
      << swedish.out;
  Result mistyped = Run({"help", "qeue"});
  EXPECT_EQ(mistyped.code, 2);
  EXPECT_EQ(mistyped.out, "");
  EXPECT_EQ(mistyped.err,
            "samrad: unknown command \"qeue\"; did you mean \"queue\"?; see `samrad --help`\n");
  Result too_deep = Run({"help", "queue", "extra"});
  EXPECT_EQ(too_deep.code, 2);
}

// `samrad __complete` (the bash completion) answers from the command tree.
TEST_F(CliTest, CompletionComesFromTheCommandTree) {
  EXPECT_EQ(Run({"__complete", "qu"}).out, "queue\n");
  EXPECT_EQ(Run({"__complete", "admin", "directory", "s"}).out, "sign\nshow\n");
  EXPECT_EQ(Run({"__complete", "close", "abc", "--f"}).out, "--forget\n");
  EXPECT_EQ(Run({"__complete", "ask", "--urgency", ""}).out, "acute\nhigh\nnormal\n");
  EXPECT_EQ(Run({"__complete", "ask", "--age", "b"}, Language::kSwedish).out, "barn\n");
  EXPECT_EQ(Run({"__complete", "ask", "--file", ""}).out, "") << "files: bash offers them";
  Result help = Run({"--help"});
  EXPECT_FALSE(absl::StrContains(help.out, "__complete")) << "hidden";
}

TEST_F(CliTest, MistypedCommandSaysWhatWasMeant) {
  Result r = Run({"qeue"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "samrad: unknown command \"qeue\"; did you mean \"queue\"?; see `samrad --help`\n");
  Result sv = Run({"qeue"}, Language::kSwedish);
  EXPECT_EQ(sv.err, "samrad: okänt kommando \"qeue\"; menade du \"queue\"?; se `samrad --help`\n");
}

TEST_F(CliTest, SwedishMessagesWhenLangIsSwedish) {
  Result r = Run({"frobnicate"}, Language::kSwedish);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "samrad: okänt kommando \"frobnicate\"; se `samrad --help`\n");
  Result help = Run({"--help"}, Language::kSwedish);
  EXPECT_TRUE(absl::StrContains(help.out, "Slutkoder")) << help.out;
  Result no_profile = Run({"cases"}, Language::kSwedish);
  EXPECT_EQ(no_profile.code, 10);
  EXPECT_TRUE(absl::StrContains(no_profile.err, "kör `samrad init`")) << no_profile.err;
  EXPECT_TRUE(absl::StrContains(no_profile.err, "samrad: ingen profil i ")) << no_profile.err;
}

TEST_F(CliTest, MissingProfileSaysRunInit) {
  Result r = Run({"cases"});
  EXPECT_EQ(r.code, 10);
  EXPECT_EQ(Lines(r.err), 1);
  EXPECT_TRUE(absl::StrContains(r.err, "no profile at " + dir_.path() + "/.config/samrad/config"))
      << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "run `samrad init`")) << r.err;
}

// What init refuses before it connects; what it checks against the relay is
// in never_stuck_e2e_test.cc. A refused init writes nothing.
TEST_F(CliTest, InitRefusesBeforeWritingAnything) {
  std::string pub = InitDirectory();
  ASSERT_EQ(pub.size(), 64u);
  // No relay listens: nothing is written, not even the keystore.
  Result unreachable = Run(InitArgs(dir_.File("dir/directory.pub")));
  EXPECT_EQ(unreachable.code, 3) << unreachable.err;
  EXPECT_TRUE(absl::StrContains(unreachable.err, "cannot reach the relay at 127.0.0.1:1"))
      << unreachable.err;
  EXPECT_FALSE(PathExists(KeystorePath()));
  EXPECT_FALSE(PathExists(ProfilePath()));

  ASSERT_NO_FATAL_FAILURE(Init(pub));
  // Again without --force: refused, nothing changed.
  EXPECT_EQ(Run(InitArgs(pub)).code, 2);
  // With --force but the wrong passphrase for the existing keystore: refused.
  std::vector<std::string> wrong = InitArgs(pub, "h:1");
  wrong.back() = dir_.File("wrongpass");
  wrong.push_back("--force");
  Result refused = Run(wrong);
  EXPECT_EQ(refused.code, 6) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "passphrase")) << refused.err;
  EXPECT_EQ(LoadProfile(ProfilePath())->relay_address(), "127.0.0.1:7443");
  // A certificate file that is no certificate.
  env_["SAMRAD_CONFIG"] = dir_.File("other-config");
  ASSERT_TRUE(WriteFileAtomically(dir_.File("cert.pem"), "-----BEGIN X-----\n").ok());
  std::vector<std::string> not_pem = InitArgs(pub);
  not_pem[4] = dir_.File("cert.pem");
  Result bad_cert = Run(not_pem);
  EXPECT_EQ(bad_cert.code, 10) << bad_cert.err;
  EXPECT_TRUE(absl::StrContains(bad_cert.err, "holds no PEM certificate")) << bad_cert.err;
  // Bad directory key.
  Result bad_key = Run(InitArgs("abcd"));
  EXPECT_EQ(bad_key.code, 2);
  EXPECT_FALSE(PathExists(dir_.File("other-config")));
}

TEST_F(CliTest, WrongPassphraseFileExitsSix) {
  std::string pub = InitDirectory();
  ASSERT_NO_FATAL_FAILURE(Init(pub));
  Result r = Run({"keys", "list", "--passphrase-file", dir_.File("wrongpass")});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(Lines(r.err), 1);
  env_["SAMRAD_PASSPHRASE_FILE"] = dir_.File("pass");
  Result ok = Run({"keys", "list", "--json"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(absl::StrContains(ok.out, R"("adviser_keys":[])")) << ok.out;
}

// Issue 19's passphrase rule: a new keystore needs 12 characters; one made
// earlier with a shorter passphrase still opens, with a note to change it.
TEST_F(CliTest, ShortPassphrasesAreRefusedForNewKeystoresAndHintedForOld) {
  std::string pub = InitDirectory();
  ASSERT_TRUE(WriteFileAtomically(dir_.File("short"), "elva tecken\n").ok());  // 11 characters
  std::vector<std::string> init = InitArgs(pub);
  init.back() = dir_.File("short");
  Result refused = Run(init);
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "at least 12 characters")) << refused.err;
  EXPECT_FALSE(PathExists(dir_.path() + "/.config/samrad/keystore"));
  Result swedish = Run(init, Language::kSwedish);
  EXPECT_TRUE(absl::StrContains(swedish.err, "minst 12 tecken")) << swedish.err;

  // A keystore from before the rule still opens, with a note to change it.
  ASSERT_NO_FATAL_FAILURE(Init(pub));
  ASSERT_TRUE(std::filesystem::remove(KeystorePath()));
  ASSERT_TRUE(Keystore::Create(KeystorePath(), crypto::SecretBytes::FromString("elva tecken"),
                               {.time_cost = 1, .memory_kib = 256, .parallelism = 1})
                  .ok());
  Result listed = Run({"keys", "list", "--passphrase-file", dir_.File("short")});
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_TRUE(absl::StrContains(listed.err, "shorter than 12 characters")) << listed.err;
  EXPECT_TRUE(absl::StrContains(listed.err, "samrad passphrase")) << listed.err;
  ASSERT_TRUE(WriteFileAtomically(dir_.File("new"), "tolv tecken!\n").ok());  // 12 characters
  Result changed = Run({"passphrase", "--passphrase-file", dir_.File("short"),
                        "--new-passphrase-file", dir_.File("new")});
  ASSERT_EQ(changed.code, 0) << changed.err;
  Result quiet = Run({"keys", "list", "--passphrase-file", dir_.File("new")});
  EXPECT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST_F(CliTest, KeygenWritesBundleAndRotates) {
  std::string pub = InitDirectory();
  ASSERT_NO_FATAL_FAILURE(Init(pub, "a-12"));
  env_["SAMRAD_PASSPHRASE_FILE"] = dir_.File("pass");
  const std::string bundle = dir_.File("a-12.json");
  Result r = Run({"keygen", "--out", bundle});
  ASSERT_EQ(r.code, 0) << r.err;
  auto first = ParseAdviserBundle(ReadFileToString(bundle).value());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->adviser_id(), "a-12");
  EXPECT_EQ(Run({"keygen", "--out", bundle}).code, 2);  // already have keys
  Result rotated = Run({"keygen", "--rotate", "--out", bundle, "--json"});
  ASSERT_EQ(rotated.code, 0) << rotated.err;
  auto second = ParseAdviserBundle(ReadFileToString(bundle).value());
  EXPECT_NE(second->signing_public_key(), first->signing_public_key());
  Result list = Run({"keys", "list"});
  EXPECT_TRUE(absl::StrContains(list.out, "current")) << list.out;
  EXPECT_TRUE(absl::StrContains(list.out, "superseded")) << list.out;
  Result pruned = Run({"keys", "prune", "--older-than", "0", "--json"});
  EXPECT_EQ(pruned.code, 0) << pruned.err;
  EXPECT_TRUE(absl::StrContains(pruned.out, R"("adviser_key_pairs_deleted":0)")) << pruned.out;
  EXPECT_EQ(Run({"keys", "prune", "--older-than", "soon"}).code, 2);
}

TEST_F(CliTest, AdminDirectoryCommandsEditSignAndShow) {
  std::string pub = InitDirectory();
  env_["SAMRAD_ADMIN_DIR"] = dir_.File("dir");
  env_["SAMRAD_DIRECTORY_PASSPHRASE_FILE"] = dir_.File("dirpass");
  ASSERT_NO_FATAL_FAILURE(Init(pub, "a-1"));
  env_["SAMRAD_PASSPHRASE_FILE"] = dir_.File("pass");
  ASSERT_EQ(Run({"keygen", "--out", dir_.File("a-1.json")}).code, 0);

  EXPECT_EQ(Run({"admin", "directory", "add-unit", "rc-stockholm", "--name", "RC Stockholm",
                 "--counties", "01,03"})
                .code,
            0);
  Result taken = Run({"admin", "directory", "add-unit", "rc-x", "--counties", "07"});
  EXPECT_EQ(taken.code, 8);
  EXPECT_TRUE(absl::StrContains(taken.err, "already belongs to unit \"rc-kronoberg\""))
      << taken.err;
  EXPECT_EQ(Run({"admin", "directory", "add-adviser", "rc-kronoberg", dir_.File("a-1.json")}).code,
            0);
  EXPECT_EQ(Run({"admin", "directory", "add-adviser", "rc-nowhere", dir_.File("a-1.json")}).code,
            5);
  EXPECT_EQ(Run({"admin", "directory", "remove-unit", "nkt"}).code, 8);

  Result wrong = Run({"admin", "directory", "sign", "--key-passphrase-file", dir_.File("pass")});
  EXPECT_EQ(wrong.code, 6) << wrong.err;
  Result sign = Run({"admin", "directory", "sign", "--json"});
  ASSERT_EQ(sign.code, 0) << sign.err;
  EXPECT_TRUE(absl::StrContains(sign.out, R"("epoch":1)")) << sign.out;
  Result show = Run({"admin", "directory", "show"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_TRUE(absl::StrContains(show.out, "signed: epoch 1")) << show.out;
  EXPECT_TRUE(absl::StrContains(show.out, "signature valid")) << show.out;
  EXPECT_TRUE(absl::StrContains(show.out, "rc-stockholm")) << show.out;
  EXPECT_TRUE(absl::StrContains(show.out, "a-1")) << show.out;
  Result json = Run({"admin", "directory", "show", "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, R"("fallback_unit_id":"nkt")")) << json.out;
  EXPECT_TRUE(absl::StrContains(json.out, R"("signature_valid":true)")) << json.out;

  EXPECT_EQ(Run({"admin", "directory", "remove-adviser", "rc-kronoberg", "a-1"}).code, 0);
  EXPECT_EQ(Run({"admin", "directory", "remove-adviser", "rc-kronoberg", "a-1"}).code, 5);
  EXPECT_EQ(Run({"admin", "directory", "sign"}).code, 0);
  EXPECT_TRUE(absl::StrContains(Run({"admin", "directory", "show"}).out, "signed: epoch 2"));

  env_.erase("SAMRAD_ADMIN_DIR");
  Result no_dir = Run({"admin", "directory", "show"});
  EXPECT_EQ(no_dir.code, 2);
  EXPECT_TRUE(absl::StrContains(no_dir.err, "--dir DIR")) << no_dir.err;
}

TEST_F(CliTest, AskNeverSendsWithoutTheGuard) {
  std::string pub = InitDirectory();
  ASSERT_NO_FATAL_FAILURE(Init(pub));
  env_["SAMRAD_PASSPHRASE_FILE"] = dir_.File("pass");
  // The relay address points nowhere: if anything tried to send, the exit
  // code would be 3 (unreachable), not the guard's 1.
  Result r = Run({"ask", "--county", "07", "--category", "honour-violence", "--urgency", "acute",
                  "--org", "school", "--age", "child"},
                 Language::kEnglish, "Anna Svensson, 850709-9805, ring 070-123 45 67.\n");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "call 112")) << r.err;
  auto ks = Keystore::Open(dir_.path() + "/.config/samrad/keystore",
                           crypto::SecretBytes::FromString("keystore pass"));
  ASSERT_TRUE(ks.ok());
  EXPECT_EQ((*ks)->contents().threads_size(), 0);
  Result empty = Run({"ask", "--county", "07", "--category", "fgm", "--urgency", "normal", "--org",
                      "school", "--age", "child"},
                     Language::kEnglish, "  \n");
  EXPECT_EQ(empty.code, 2);
  Result county = Run({"ask", "--county", "99", "--category", "fgm", "--urgency", "normal", "--org",
                       "school", "--age", "child"});
  EXPECT_EQ(county.code, 2);
  // 02 looks like a county code but has not been one since 1998: it used to
  // pass and fall through to the fallback unit.
  for (const char* retired : {"02", "11", "15", "16"}) {
    Result old_code = Run({"ask", "--county", retired, "--category", "fgm", "--urgency", "normal",
                           "--org", "school", "--age", "child"},
                          Language::kSwedish);
    EXPECT_EQ(old_code.code, 2) << retired << ": " << old_code.err;
    EXPECT_TRUE(absl::StrContains(old_code.err, "ingen svensk länskod")) << old_code.err;
  }
}

// A case asked before subjects were kept has none: `cases` shows "—".
TEST_F(CliTest, CasesShowADashForACaseAskedBeforeSubjectsWereKept) {
  std::string pub = InitDirectory();
  ASSERT_NO_FATAL_FAILURE(Init(pub));
  env_["SAMRAD_PASSPHRASE_FILE"] = dir_.File("pass");
  {
    auto ks = Keystore::Open(KeystorePath(), crypto::SecretBytes::FromString("keystore pass"));
    ASSERT_TRUE(ks.ok()) << ks.status();
    // Unsent, so `cases` needs no relay.
    v1::ThreadKeys* old = (*ks)->mutable_contents().add_threads();
    old->set_thread_id(std::string(32, 'a'));
    old->set_pending_envelope("sealed");
    v1::ThreadKeys* with = (*ks)->mutable_contents().add_threads();
    with->set_thread_id(std::string(32, 'b'));
    with->set_pending_envelope("sealed");
    with->set_subject("Elev i åk 9");
    ASSERT_TRUE((*ks)->Save().ok());
  }
  Result r = Run({"cases"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<char, std::string> last_cell;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (line.size() > 32) last_cell[line[0]] = std::string(line.substr(line.rfind("  ") + 2));
  }
  EXPECT_EQ(last_cell['a'], "\u2014") << r.out;
  EXPECT_EQ(last_cell['b'], "Elev i åk 9") << r.out;
}

TEST_F(CliTest, EditorComposesTheTextAndLeavesNoDraftBehind) {
  const std::string tmp = dir_.File("tmp");
  ASSERT_TRUE(MakeDirectories(tmp).ok());
  env_["TMPDIR"] = tmp;
  env_["EDITOR"] = "printf 'Text från editorn\\n' >";
  const Messages messages(Language::kEnglish);
  auto parsed = ParseArgs(CommandTree(), GlobalFlags(), {"followup", "abcdef12"}, messages);
  ASSERT_TRUE(parsed.ok());
  std::ostringstream out, err;
  std::istringstream in("");
  CliIo io;
  io.out = &out;
  io.err = &err;
  io.in = &in;
  io.stdin_is_tty = true;  // so neither --file nor stdin: the editor
  io.getenv = [this](const std::string& name) -> std::optional<std::string> {
    auto it = env_.find(name);
    if (it == env_.end()) return std::nullopt;
    return it->second;
  };
  Session session(io, *parsed, messages);
  auto text = session.ComposeText();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "Text från editorn\n");
  session.FinishDraft(true);  // sent: the draft is wiped
  EXPECT_TRUE(std::filesystem::is_empty(tmp));

  env_["EDITOR"] = "false";
  Session failing(io, *parsed, messages);
  auto failed = failing.ComposeText();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "nothing was sent"));
  failing.FinishDraft(false);  // nothing was written: nothing to keep
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
}

// A fake $EDITOR: a script that counts its runs in `dir`, copies what it was
// shown to dir/seen-N, records the draft's path in dir/path, then runs the
// shell snippet for its run number (or `otherwise`) on "$1".
class DraftEditorTest : public CliTest {
 protected:
  void WriteEditor(const std::map<int, std::string>& rounds, const std::string& otherwise) {
    std::string script = "#!/bin/sh\nd='" + dir_.path() +
                         "'\nn=$(cat \"$d/count\" 2>/dev/null || echo 0)\nn=$((n + 1))\n"
                         "echo $n > \"$d/count\"\nprintf '%s' \"$1\" > \"$d/path\"\n"
                         "cp \"$1\" \"$d/seen-$n\"\ncase $n in\n";
    for (const auto& [n, action] : rounds) {
      script += std::to_string(n) + ") " + action + " ;;\n";
    }
    script += "*) " + otherwise + " ;;\nesac\n";
    ASSERT_TRUE(WriteFileAtomically(dir_.File("editor.sh"), script, 0700).ok());
    env_["EDITOR"] = dir_.File("editor.sh");
  }

  // Composes and guards a followup text as on a terminal (`tty`), like the
  // sending commands do, then finishes the draft as sent when both passed.
  struct Outcome {
    absl::Status status;
    std::string text;
    std::string err;
  };
  Outcome ComposeAndGuard(std::vector<std::string> args, bool tty = true,
                          Language language = Language::kEnglish) {
    const Messages messages(language);
    auto parsed = ParseArgs(CommandTree(), GlobalFlags(), args, messages);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    std::ostringstream out, err;
    std::istringstream in("");
    CliIo io;
    io.out = &out;
    io.err = &err;
    io.in = &in;
    io.stdin_is_tty = tty;
    io.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    Session session(io, *parsed, messages);
    Outcome outcome;
    absl::StatusOr<std::string> text = session.ComposeText();
    if (text.ok()) text = session.GuardText(std::move(*text));
    outcome.status = text.status();
    if (text.ok()) outcome.text = *text;
    session.FinishDraft(text.ok());
    outcome.err = err.str();
    return outcome;
  }

  std::string Read(const std::string& name) {
    return ReadFileToString(dir_.File(name)).value_or("");
  }
  static int Mode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
  }

  const std::string kIdentifying =
      "Fatima Hassan berättar att hon inte får träffa sina vänner efter skolan och att brodern "
      "kontrollerar hennes telefon. Hur går vi vidare?\n";
  const std::string kWrite = "printf '%s' '" + kIdentifying + "' > \"$1\"";
};

TEST_F(DraftEditorTest, RefusedTextIsReopenedWithTheFindingsAsCommentsAndWipedWhenSent) {
  const std::string run = dir_.File("run");
  ASSERT_TRUE(MakeDirectories(run, 0755).ok());
  env_["XDG_RUNTIME_DIR"] = run;
  WriteEditor({{1, kWrite}, {2, "sed -i 's/Fatima Hassan/En elev/' \"$1\""}}, "exit 9");
  Outcome o = ComposeAndGuard({"followup", "abcdef12"});
  ASSERT_TRUE(o.status.ok()) << o.status << o.err;
  EXPECT_EQ(Read("count"), "2\n");
  // Round 2 showed the same text under the findings, as "#! " comments
  // with LINE:COL as numbered in the file, and the instruction.
  const std::string seen = Read("seen-2");
  EXPECT_TRUE(absl::StartsWith(seen, "#! Not sent: remove or rewrite")) << seen;
  EXPECT_TRUE(absl::StrContains(seen, "\n#! ")) << seen;
  EXPECT_TRUE(std::regex_search(seen, std::regex("#! [0-9]+:1 name \"Fatima"))) << seen;
  EXPECT_TRUE(absl::EndsWith(seen, kIdentifying)) << seen;
  const int comment_lines = static_cast<int>(std::count(seen.begin(), seen.end(), '\n')) - 1;
  EXPECT_TRUE(absl::StrContains(seen, "#! " + std::to_string(comment_lines + 1) + ":1 name"))
      << seen;
  EXPECT_TRUE(absl::StrContains(o.err, "The editor opens again")) << o.err;
  // No comment line reaches the text that is sealed.
  EXPECT_EQ(o.text,
            "En elev berättar att hon inte får träffa sina vänner efter skolan och att "
            "brodern kontrollerar hennes telefon. Hur går vi vidare?\n");
  EXPECT_FALSE(absl::StrContains(o.text, "#!"));
  // The draft lived in a 0700 directory under $XDG_RUNTIME_DIR, as 0600,
  // and is gone once sent.
  const std::string path = Read("path");
  EXPECT_EQ(DirName(path), run + "/samrad");
  EXPECT_EQ(Mode(run + "/samrad"), 0700);
  EXPECT_FALSE(PathExists(path));
  EXPECT_TRUE(std::filesystem::is_empty(run + "/samrad"));
}

TEST_F(DraftEditorTest, EmptiedOrUnchangedDraftIsDiscardedAndWiped) {
  const std::string run = dir_.File("run");
  ASSERT_TRUE(MakeDirectories(run, 0700).ok());
  env_["XDG_RUNTIME_DIR"] = run;
  for (const std::string& second : {std::string("true"), std::string(": > \"$1\"")}) {
    std::filesystem::remove(dir_.File("count"));
    WriteEditor({{1, kWrite}, {2, second}}, "exit 9");
    Outcome o = ComposeAndGuard({"followup", "abcdef12"}, true, Language::kSwedish);
    EXPECT_EQ(ExitCodeOf(o.status), ExitCode::kFailure) << second << o.status;
    EXPECT_TRUE(absl::StrContains(o.status.message(), "utkastet kastades")) << o.status;
    EXPECT_TRUE(absl::StrContains(Read("seen-2"), "#! Inte skickad")) << Read("seen-2");
    EXPECT_EQ(Read("count"), "2\n");
    EXPECT_FALSE(PathExists(Read("path"))) << second;
    EXPECT_FALSE(absl::StrContains(o.err, "finns kvar")) << o.err;
    EXPECT_EQ(Mode(run + "/samrad"), 0700);
    EXPECT_TRUE(std::filesystem::is_empty(run + "/samrad")) << second;
  }
}

TEST_F(DraftEditorTest, RefusedDraftIsKeptAfterTheLastRoundAndWipedWhenSentWithFile) {
  // No $XDG_RUNTIME_DIR: a private mkdtemp directory under $TMPDIR.
  const std::string tmp = dir_.File("tmp");
  ASSERT_TRUE(MakeDirectories(tmp).ok());
  env_["TMPDIR"] = tmp;
  WriteEditor({{1, kWrite}}, "echo 'Hur går vi vidare?' >> \"$1\"");  // changes, keeps the name
  Outcome o = ComposeAndGuard({"followup", "abcdef12"});
  EXPECT_EQ(ExitCodeOf(o.status), ExitCode::kFailure) << o.status;
  EXPECT_TRUE(absl::StrContains(o.status.message(), "after 20 rounds")) << o.status;
  EXPECT_EQ(Read("count"), std::to_string(1 + Session::kMaxDraftRounds) + "\n");
  const std::string path = Read("path");
  EXPECT_TRUE(absl::StrContains(o.err, "Your text is kept in " + path)) << o.err;
  EXPECT_TRUE(absl::StrContains(o.err, "--file " + path)) << o.err;
  ASSERT_TRUE(PathExists(path));
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(DirName(path)), 0700);
  EXPECT_TRUE(absl::StartsWith(DirName(path), tmp + "/samrad-")) << path;

  // Rerun without a terminal on the kept draft: still refused, still kept.
  Outcome again = ComposeAndGuard({"followup", "abcdef12", "--file", path}, false);
  EXPECT_EQ(ExitCodeOf(again.status), ExitCode::kFailure);
  EXPECT_TRUE(absl::StrContains(again.err, "Your text is kept in " + path)) << again.err;
  ASSERT_TRUE(PathExists(path));
  // Fixed by hand (its comment lines left in): sent without them, then wiped
  // together with its private directory.
  std::string fixed = ReadFileToString(path).value_or("");
  size_t at = fixed.rfind("Fatima Hassan");  // the text, below the comments
  ASSERT_NE(at, std::string::npos);
  fixed.replace(at, std::string("Fatima Hassan").size(), "En elev");
  ASSERT_TRUE(WriteFileAtomically(path, fixed, 0600).ok());
  Outcome sent = ComposeAndGuard({"followup", "abcdef12", "--file", path}, false);
  ASSERT_TRUE(sent.status.ok()) << sent.status << sent.err;
  EXPECT_FALSE(absl::StrContains(sent.text, "#!")) << sent.text;
  EXPECT_TRUE(absl::StartsWith(sent.text, "En elev berättar")) << sent.text;
  EXPECT_FALSE(PathExists(path));
  EXPECT_TRUE(std::filesystem::is_empty(tmp));

  // A --file that is not a samrad draft is never wiped.
  ASSERT_TRUE(WriteFileAtomically(dir_.File("draft-abcdef.txt"), "En elev berättar.\n").ok());
  Outcome own =
      ComposeAndGuard({"followup", "abcdef12", "--file", dir_.File("draft-abcdef.txt")}, false);
  ASSERT_TRUE(own.status.ok()) << own.status;
  EXPECT_TRUE(PathExists(dir_.File("draft-abcdef.txt")));
}

TEST(FailureHintTest, ExhaustedRelayMeansTryLaterNotFixTheInput) {
  EXPECT_EQ(
      FailureHint(absl::ResourceExhaustedError("the relay's storage is full"), ExitCode::kRejected),
      Msg::kHintTryLater);
  EXPECT_EQ(FailureHint(absl::InvalidArgumentError("text too long"), ExitCode::kRejected),
            Msg::kHintRejected);
  EXPECT_EQ(FailureHint(absl::NotFoundError("no such case"), ExitCode::kNotFound),
            Msg::kHintNotFound);
  const Messages english(Language::kEnglish);
  EXPECT_EQ(english.Format(Msg::kHintTryLater), "wait a while and try again");
}

// Issue 15: keys that cannot open a case (not yet shared with a newcomer) are
// not a wrong passphrase; a damaged keystore still is.
TEST(FailureHintTest, KeysThatCannotOpenACaseDoNotAskForThePassphrase) {
  EXPECT_EQ(FailureHint(absl::FailedPreconditionError("not shared yet"), ExitCode::kKeystore),
            Msg::kHintFailure);
  EXPECT_EQ(FailureHint(absl::DataLossError("keystore damaged"), ExitCode::kKeystore),
            Msg::kHintKeystore);
}

// client/status_class.h: which failures `samrad resend` may cure.
TEST(ClassifyFailureTest, OnlyWhatRepeatingCanCureIsTransient) {
  for (const absl::Status& transient :
       {absl::UnavailableError("relay down"), absl::DeadlineExceededError("slow"),
        absl::ResourceExhaustedError("rate limit reached"), absl::AbortedError("race"),
        absl::InternalError("reference 1a2b"), absl::CancelledError("cancelled"),
        WithExitCode(absl::NotFoundError("cannot read the client key"), ExitCode::kConfig)}) {
    EXPECT_EQ(ClassifyFailure(transient), FailureKind::kTransient) << transient;
  }
  for (const absl::Status& permanent :
       {absl::InvalidArgumentError("bad header"), absl::PermissionDeniedError("not your county"),
        absl::FailedPreconditionError("sealed for epoch 1"), absl::UnauthenticatedError("revoked"),
        absl::NotFoundError("no such case"), absl::AlreadyExistsError("other content"),
        absl::OutOfRangeError("range"), absl::UnimplementedError("old relay"),
        MarkSizeLimit(absl::ResourceExhaustedError("envelope is too large"))}) {
    EXPECT_EQ(ClassifyFailure(permanent), FailureKind::kPermanent) << permanent;
  }
  // A size limit is the input to correct, not a reason to wait.
  EXPECT_EQ(
      FailureHint(MarkSizeLimit(absl::ResourceExhaustedError("too large")), ExitCode::kRejected),
      Msg::kHintRejected);
}

}  // namespace
}  // namespace samrad::client
