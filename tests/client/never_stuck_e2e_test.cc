// Issue 19, "Never stuck, never misleading", end to end with the real
// `samrad` and `samrad-relay` binaries on 127.0.0.1 (cli_relay_fixture.h):
// requests that can never succeed are refused before anything is stored, a
// permanent refusal offers `samrad discard` and a transient one `samrad
// resend`, `cases` fails rather than show stale or false states, `init`
// checks what it is given and `whoami` says who the certificate names.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_relay_fixture.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

using testing::CliEnvFor;
using testing::CliInitArgs;
using testing::CliRelayTest;
using testing::ProcessResult;
using testing::RunProcess;

const std::string kQuestion =
    "En elev berättar att hon inte får träffa sina vänner efter skolan och att "
    "brodern kontrollerar hennes telefon. Hur går vi vidare?\n";
const std::map<std::string, std::string> kSwedish = {{"LANG", "sv_SE.UTF-8"}};

class NeverStuckTest : public CliRelayTest {
 protected:
  // `samrad ask` as the professional (certificate for county 07) for `county`.
  ProcessResult AskAs(const std::string& who, const std::string& county, const std::string& text,
                      const std::map<std::string, std::string>& env = {}) {
    return SamradWithEnv(who,
                         {"ask", "--county", county, "--category", "honour-violence", "--urgency",
                          "normal", "--org", "school", "--age", "child", "--json"},
                         env, text);
  }

  // The cases the professional's keystore holds (`keys list --json`).
  std::string StoredCases() {
    ProcessResult list = Samrad("pro", {"keys", "list", "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    std::smatch match;
    if (!std::regex_search(list.out, match, std::regex(R"("cases":(\[[^\]]*\]))"))) return "?";
    return match[1].str();
  }

  // Runs samrad as `who` in a session without a controlling terminal, so
  // nothing can be asked on /dev/tty.
  ProcessResult WithoutTerminal(const std::string& who, std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/setsid", "-w", kSamrad};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, CliEnvFor(dir(), who), dir().path());
  }

  // `samrad-pki.sh --dir <pki> <args>` (e.g. certificates with set dates).
  void Pki(std::vector<std::string> args, const std::string& pki_dir = "") {
    ProcessResult r = harness::RunPki(pki_dir.empty() ? pki() : pki_dir, args, dir().path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // `samrad init` for a new person `who` with certificate <pki>/<cert>.crt
  // (the passphrase file written first), `extra` added and the values of the
  // flags in `replace` ("--ca" -> FILE) replaced.
  ProcessResult InitNew(const std::string& who, const std::string& cert,
                        const std::vector<std::string>& extra,
                        const std::map<std::string, std::string>& replace = {},
                        const std::map<std::string, std::string>& env = {}) {
    EXPECT_TRUE(
        WriteFileAtomically(dir().File(who + ".pass"), absl::StrCat("passphrase of ", who, "\n"))
            .ok());
    std::vector<std::string> args = CliInitArgs(dir(), pki(), port(), who, cert, extra);
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      auto it = replace.find(args[i]);
      if (it != replace.end()) args[i + 1] = it->second;
    }
    return SamradWithEnv(who, args, env);
  }

  bool NothingWrittenFor(const std::string& who) {
    return !PathExists(dir().File(who + ".keystore")) && !PathExists(dir().File(who + ".conf"));
  }

  // `ask` (county 07) as the professional while the test holds the lock of
  // their keystore: once `ask` waits for it (after fetching the directory,
  // before storing and submitting), the relay is stopped and the lock
  // released.
  ProcessResult AskWhileTheRelayStops() {
    ProcessResult result;
    const int lock =
        ::open(dir().File("pro.keystore.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    EXPECT_GE(lock, 0);
    EXPECT_EQ(::flock(lock, LOCK_EX), 0);
    const std::string base = dir().File("blocked-ask");
    EXPECT_TRUE(WriteFileAtomically(base + ".in", kQuestion).ok());
    const pid_t pid =
        testing::Spawn({kSamrad, "ask", "--county", "07", "--category", "honour-violence",
                        "--urgency", "normal", "--org", "school", "--age", "child"},
                       testing::MakeEnv(CliEnvFor(dir(), "pro")), base + ".in", base + ".out",
                       base + ".err", dir().path());
    bool waiting = false;
    for (int i = 0; i < 1200 && !waiting; ++i) {
      waiting = WaitsForALock(pid);
      if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(waiting) << "ask never reached its save";
    StopRelay(SIGTERM);
    ::close(lock);
    result.exit_code = testing::WaitFor(pid, std::chrono::seconds(120));
    result.out = ReadFileToString(base + ".out").value_or("");
    result.err = ReadFileToString(base + ".err").value_or("");
    return result;
  }

  // Whether `pid` is blocked on a file lock (/proc/locks lists waiters as
  // "N: -> FLOCK ADVISORY WRITE PID ...").
  static bool WaitsForALock(pid_t pid) {
    std::ifstream in("/proc/locks");
    std::string line;
    const std::string needle = absl::StrCat(" ", pid, " ");
    while (std::getline(in, line)) {
      if (absl::StrContains(line, "->") && absl::StrContains(line, needle)) return true;
    }
    return false;
  }

  static bool HasGrpcLogLines(const std::string& err) {
    return absl::StrContains(err, ".cc:") || absl::StrContains(err, "grpc:");
  }
};

// A county other than the certificate's and a text over the relay's limit
// are refused before sealing: nothing in the keystore, the exit code and a
// sentence that says what to do (in Swedish for a Swedish locale).
TEST_F(NeverStuckTest, RequestsThatCannotSucceedAreRefusedBeforeAnythingIsStored) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));

  ProcessResult county = AskAs("pro", "12", kQuestion);
  EXPECT_EQ(county.exit_code, 2) << county.err;
  EXPECT_TRUE(absl::StrContains(county.err,
                                "--county 12 (Skåne län): your certificate is for county 07 "
                                "(Kronobergs län)"))
      << county.err;
  EXPECT_TRUE(absl::StrContains(county.err, "use --county 07. Nothing was stored.")) << county.err;
  EXPECT_FALSE(absl::StrContains(county.err, "resend")) << county.err;
  EXPECT_EQ(StoredCases(), "[]");

  ProcessResult swedish = AskAs("pro", "12", kQuestion, kSwedish);
  EXPECT_EQ(swedish.exit_code, 2) << swedish.err;
  EXPECT_TRUE(
      absl::StrContains(swedish.err,
                        "ditt certifikat gäller län 07 (Kronobergs län), och reläet tar "
                        "bara emot frågor för det länet; ange --county 07. Inget sparades."))
      << swedish.err;

  // A code that is no county lists every county with its name.
  ProcessResult bad = AskAs("pro", "99", kQuestion);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "01 Stockholms län, 03 Uppsala län")) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "25 Norrbottens län")) << bad.err;

  // Longer than the relay's limit (256 KiB sealed by default): refused before
  // sealing, and one that fits only unsealed is refused before storing.
  const std::string sentence = "Hur ska vi hantera detta? ";  // ASCII: any cut is valid UTF-8
  std::string huge;
  while (huge.size() < 300000) huge += sentence;
  ProcessResult too_long = AskAs("pro", "07", huge);
  EXPECT_EQ(too_long.exit_code, 9) << too_long.err;
  EXPECT_TRUE(absl::StrContains(too_long.err, "the text is too long for the relay: " +
                                                  std::to_string(huge.size()) + " bytes"))
      << too_long.err;
  EXPECT_TRUE(absl::StrContains(too_long.err, "the relay accepts 262144 bytes sealed"))
      << too_long.err;
  std::string almost = huge.substr(0, 262144 - 8);
  ProcessResult sealed_too_long = AskAs("pro", "07", almost);
  EXPECT_EQ(sealed_too_long.exit_code, 9) << sealed_too_long.err;
  std::smatch fit;
  ASSERT_TRUE(std::regex_search(sealed_too_long.err, fit, std::regex("at most ([0-9]+) fit")))
      << sealed_too_long.err;
  EXPECT_LT(std::stoul(fit[1].str()), almost.size());
  EXPECT_GT(std::stoul(fit[1].str()), 200000u);
  EXPECT_EQ(StoredCases(), "[]");
  // What fits is sent.
  ProcessResult fits = AskAs("pro", "07", huge.substr(0, std::stoul(fit[1].str())));
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
}

// The relay stops after `ask` fetched the directory and before it submits
// (the test holds the keystore's lock, so `ask` waits at its save in
// between): transient, stored, `resend` once the relay is back. A question
// sealed for an epoch that is no longer current is refused for good:
// `resend` says so and offers `discard`, which removes it; `close --forget`
// removes an unsent entry too.
TEST_F(NeverStuckTest, TransientFailuresOfferResendAndPermanentOnesDiscard) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  std::vector<std::string> refs;
  for (int i = 0; i < 3; ++i) {
    if (relay_pid() <= 0) {
      ASSERT_NO_FATAL_FAILURE(StartRelayAgain());
    }
    ProcessResult ask = AskWhileTheRelayStops();
    EXPECT_EQ(ask.exit_code, 3) << ask.err;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(ask.err, match, std::regex("`samrad resend ([0-9a-f]{8})`")))
        << ask.err;
    EXPECT_TRUE(absl::StrContains(
        ask.err, absl::StrCat("cannot reach the relay at 127.0.0.1:", port(), " — is it running?")))
        << ask.err;
    EXPECT_TRUE(absl::StrContains(ask.err, "stored on this computer")) << ask.err;
    EXPECT_FALSE(absl::StrContains(ask.err, "discard")) << ask.err;
    EXPECT_FALSE(HasGrpcLogLines(ask.err)) << ask.err;
    refs.push_back(match[1].str());
  }
  ProcessResult unsent = Samrad("pro", {"cases", "--json"});
  ASSERT_EQ(unsent.exit_code, 0) << unsent.err;  // only unsent ones: no relay needed
  EXPECT_EQ(std::count(unsent.out.begin(), unsent.out.end(), '{'), 3) << unsent.out;
  EXPECT_TRUE(absl::StrContains(unsent.out, R"("state":"unsent")")) << unsent.out;

  ASSERT_NO_FATAL_FAILURE(StartRelayAgain());
  ProcessResult resent = Samrad("pro", {"resend", refs[0], "--json"});
  ASSERT_EQ(resent.exit_code, 0) << resent.err << RelayLog();
  const std::string delivered = Reference(resent.out);
  ProcessResult show = Samrad("adviser", {"show", delivered});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(absl::StrContains(show.out, "brodern kontrollerar hennes telefon")) << show.out;

  // A new epoch: the other two were sealed for epoch 1 and never can be sent.
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "refresh"}).exit_code, 0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "publish"}).exit_code, 0);
  ProcessResult refused = Samrad("pro", {"resend", refs[1]});
  EXPECT_EQ(refused.exit_code, 9) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "sealed for directory epoch 1")) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "will refuse it again")) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, absl::StrCat("`samrad discard ", refs[1], "`")))
      << refused.err;
  EXPECT_FALSE(absl::StrContains(refused.err, "samrad resend")) << refused.err;
  ProcessResult swedish = SamradWithEnv("pro", {"resend", refs[1]}, kSwedish);
  EXPECT_TRUE(absl::StrContains(swedish.err,
                                absl::StrCat("Ta bort den med `samrad discard ", refs[1], "`")))
      << swedish.err;

  // discard asks first; without a terminal it needs --yes.
  ProcessResult no_tty = WithoutTerminal("pro", {"discard", refs[1]});
  EXPECT_EQ(no_tty.exit_code, 2) << no_tty.err;
  EXPECT_TRUE(absl::StrContains(no_tty.err, "pass --yes")) << no_tty.err;
  ProcessResult discard = Samrad("pro", {"discard", refs[1], "--yes"});
  ASSERT_EQ(discard.exit_code, 0) << discard.err;
  EXPECT_TRUE(absl::StartsWith(discard.out, absl::StrCat("Removed the unsent question ", refs[1])))
      << discard.out;
  EXPECT_EQ(Samrad("pro", {"resend", refs[1]}).exit_code, 5);
  // An acknowledged case is not discarded.
  ProcessResult acknowledged = Samrad("pro", {"discard", delivered, "--yes"});
  EXPECT_EQ(acknowledged.exit_code, 8) << acknowledged.err;
  EXPECT_TRUE(absl::StrContains(acknowledged.err, absl::StrCat("samrad close ", delivered)))
      << acknowledged.err;

  // close: nothing to close on the relay; --forget removes the entry.
  ProcessResult close = Samrad("pro", {"close", refs[2]});
  EXPECT_EQ(close.exit_code, 8) << close.err;
  EXPECT_TRUE(absl::StrContains(close.err, "never reached the relay")) << close.err;
  ProcessResult forget = Samrad("pro", {"close", refs[2], "--forget", "--yes"});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  const std::string stored = StoredCases();
  EXPECT_FALSE(absl::StrContains(stored, refs[1])) << stored;
  EXPECT_FALSE(absl::StrContains(stored, refs[2])) << stored;
  EXPECT_TRUE(absl::StrContains(stored, delivered)) << stored;
}

// `cases` shows the relay's states or fails with the documented exit code:
// never "purged" for a key file it cannot read, never stale states when the
// relay is down; "No cases" only when there are none.
TEST_F(NeverStuckTest, CasesFailsRatherThanShowFalseOrStaleStates) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult none = Samrad("pro", {"cases"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "No cases in this keystore.\n");
  ProcessResult ask = AskAs("pro", "07", kQuestion);
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const std::string ref = Reference(ask.out);

  const std::string key = pki() + "/professional-07-p-1.key";
  std::filesystem::rename(key, key + ".away");
  ProcessResult no_key = Samrad("pro", {"cases"});
  EXPECT_EQ(no_key.exit_code, 10) << no_key.err;
  EXPECT_TRUE(absl::StrContains(no_key.err, "cannot read the client key")) << no_key.err;
  EXPECT_FALSE(absl::StrContains(no_key.out, "purged")) << no_key.out;
  std::filesystem::rename(key + ".away", key);

  StopRelay(SIGTERM);
  ProcessResult down = Samrad("pro", {"cases"});
  EXPECT_EQ(down.exit_code, 3) << down.err;
  EXPECT_EQ(down.out, "");
  EXPECT_TRUE(absl::StrContains(
      down.err, absl::StrCat("cannot reach the relay at 127.0.0.1:", port(), " — is it running?")))
      << down.err;
  EXPECT_FALSE(HasGrpcLogLines(down.err)) << down.err;
  ProcessResult sv = SamradWithEnv("pro", {"cases"}, kSwedish);
  EXPECT_EQ(sv.exit_code, 3) << sv.err;
  EXPECT_TRUE(absl::StrContains(
      sv.err, absl::StrCat("når inte reläet på 127.0.0.1:", port(), " — är det igång?")))
      << sv.err;

  ASSERT_NO_FATAL_FAILURE(StartRelayAgain());
  ProcessResult open = Samrad("pro", {"cases"});
  ASSERT_EQ(open.exit_code, 0) << open.err;
  EXPECT_TRUE(absl::StrContains(open.out, ref)) << open.out;
  ASSERT_EQ(Samrad("pro", {"close", ref}).exit_code, 0);
  ProcessResult closed = Samrad("pro", {"cases"});
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_EQ(closed.out, "No open cases; 1 closed (`samrad cases --all` lists them).\n");
  ProcessResult all = Samrad("pro", {"cases", "--all"});
  EXPECT_TRUE(absl::StrContains(all.out, ref)) << all.out;
}

// init refuses what cannot work and writes nothing then: an --adviser-id the
// certificate does not name, a CA that did not sign the relay's certificate,
// an expired certificate, a directory key that does not verify the served
// directory. It warns about a certificate about to expire, reuses a keystore
// and says so; whoami prints the identity.
TEST_F(NeverStuckTest, InitChecksWhatItIsGivenAndWhoamiSaysWhoYouAre) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));

  ProcessResult mismatch = InitNew("adv9", "adviser-rc-kronoberg-a-1", {"--adviser-id", "a-9"});
  EXPECT_EQ(mismatch.exit_code, 2) << mismatch.err;
  EXPECT_TRUE(absl::StrContains(mismatch.err,
                                "--adviser-id a-9 does not match your certificate, which names a-1 "
                                "(samrad://adviser/rc-kronoberg/a-1); use --adviser-id a-1"))
      << mismatch.err;
  EXPECT_TRUE(NothingWrittenFor("adv9"));
  ProcessResult not_adviser = InitNew("pro9", "professional-07-p-1", {"--adviser-id", "p-1"});
  EXPECT_EQ(not_adviser.exit_code, 2) << not_adviser.err;
  EXPECT_TRUE(NothingWrittenFor("pro9"));

  // Another organisation's CA: the relay's certificate does not verify.
  const std::string other = dir().File("other-pki");
  ASSERT_NO_FATAL_FAILURE(Pki({"init"}, other));
  ProcessResult wrong_ca =
      InitNew("pro2", "professional-07-p-1", {}, {{"--ca", other + "/ca.crt"}});
  EXPECT_EQ(wrong_ca.exit_code, 3) << wrong_ca.err;
  EXPECT_TRUE(absl::StrContains(wrong_ca.err,
                                "the relay's certificate is not signed by your organisation's CA — "
                                "check the CA file (" +
                                    other + "/ca.crt), or the connection is being intercepted"))
      << wrong_ca.err;
  EXPECT_FALSE(HasGrpcLogLines(wrong_ca.err)) << wrong_ca.err;
  EXPECT_EQ(std::count(wrong_ca.err.begin(), wrong_ca.err.end(), '\n'), 1) << wrong_ca.err;
  EXPECT_TRUE(NothingWrittenFor("pro2"));
  // gRPC's own diagnostics only with --verbose.
  std::vector<std::string> verbose_extra = {"--verbose"};
  ProcessResult verbose =
      InitNew("pro2", "professional-07-p-1", verbose_extra, {{"--ca", other + "/ca.crt"}});
  EXPECT_EQ(verbose.exit_code, 3) << verbose.err;
  EXPECT_TRUE(absl::StrContains(verbose.err, "samrad: grpc: ")) << verbose.err;

  // Expired, and not yet valid.
  ASSERT_NO_FATAL_FAILURE(Pki({"--not-before", "20240101000000Z", "--not-after", "20250101000000Z",
                               "--name", "expired", "client", "professional", "07", "p-old"}));
  ProcessResult expired = InitNew("old", "expired", {});
  EXPECT_EQ(expired.exit_code, 4) << expired.err;
  EXPECT_EQ(expired.err,
            "samrad: your certificate has expired (2025-01-01 00:00 UTC) — ask your administrator "
            "for a new one\n");
  EXPECT_TRUE(NothingWrittenFor("old"));
  ProcessResult expired_sv = InitNew("old", "expired", {}, {}, kSwedish);
  EXPECT_TRUE(
      absl::StrContains(expired_sv.err, "ditt certifikat har gått ut (2025-01-01 01:00 CET)"))
      << expired_sv.err;
  ASSERT_NO_FATAL_FAILURE(Pki({"--not-before", "20300101000000Z", "--not-after", "20310101000000Z",
                               "--name", "future", "client", "professional", "07", "p-new"}));
  ProcessResult future = InitNew("new", "future", {});
  EXPECT_EQ(future.exit_code, 4) << future.err;
  EXPECT_TRUE(absl::StrContains(future.err, "not valid before 2030-01-01 00:00 UTC")) << future.err;
  EXPECT_TRUE(NothingWrittenFor("new"));

  // A directory key that is not the one that signed the served directory.
  ProcessResult wrong_key =
      InitNew("pro3", "professional-07-p-1", {}, {{"--directory-key", std::string(64, 'a')}});
  EXPECT_EQ(wrong_key.exit_code, 7) << wrong_key.err;
  EXPECT_TRUE(absl::StrContains(wrong_key.err, "does not verify the key directory"))
      << wrong_key.err;
  EXPECT_TRUE(NothingWrittenFor("pro3"));

  // About to expire: a warning, and the profile is written. An adviser's id
  // comes from the certificate.
  ASSERT_NO_FATAL_FAILURE(
      Pki({"--days", "10", "--name", "soon", "client", "adviser", "rc-kronoberg", "a-3"}));
  ProcessResult soon = InitNew("soon", "soon", {"--json"});
  ASSERT_EQ(soon.exit_code, 0) << soon.err;
  EXPECT_TRUE(std::regex_search(soon.err, std::regex("warning: your certificate expires in [0-9] "
                                                     "days \\([0-9-]+ [0-9:]+ UTC\\)")))
      << soon.err;
  EXPECT_TRUE(absl::StrContains(soon.out, R"("keystore_reused":false,"adviser_id":"a-3")"))
      << soon.out;

  // Re-running init reuses the keystore and says so.
  ProcessResult again =
      Samrad("pro", CliInitArgs(dir(), pki(), port(), "pro", "professional-07-p-1", {"--force"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(
      absl::StrContains(again.out, absl::StrCat("keystore reused at ", dir().File("pro.keystore"))))
      << again.out;

  ProcessResult whoami = Samrad("pro", {"whoami"});
  ASSERT_EQ(whoami.exit_code, 0) << whoami.err;
  EXPECT_TRUE(absl::StrContains(whoami.out, "Role:          professional\n")) << whoami.out;
  EXPECT_TRUE(absl::StrContains(whoami.out, "Scope:         07 (Kronobergs län)\n")) << whoami.out;
  EXPECT_TRUE(absl::StrContains(whoami.out, "Id:            p-1\n")) << whoami.out;
  EXPECT_TRUE(std::regex_search(whoami.out, std::regex("Certificate:   expires [0-9-]+ [0-9:]+ UTC "
                                                       "\\(36[45] days left\\)")))
      << whoami.out;
  EXPECT_TRUE(absl::StrContains(whoami.out, "Key directory: epoch 1, signed ")) << whoami.out;
  ProcessResult json = Samrad("adviser", {"whoami", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(absl::StrContains(json.out, R"("role":"adviser","scope":"rc-kronoberg")"))
      << json.out;
  EXPECT_TRUE(absl::StrContains(json.out, R"("directory_epoch":1)")) << json.out;
  ProcessResult sv = SamradWithEnv("pro", {"whoami"}, kSwedish);
  EXPECT_TRUE(absl::StrContains(sv.out, "Roll:          yrkesperson\n")) << sv.out;
}

}  // namespace
}  // namespace samrad::client
