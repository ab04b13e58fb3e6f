// End to end with the real `samrad` and `samrad-relay` binaries on 127.0.0.1
// (cli_relay_fixture.h): the commands the whole-story test in
// cli_e2e_test.cc does not reach — `resend`, `release`, `check` and
// `close --forget`. Each test fails when its feature stops doing what
// client/README.md says it does.
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "cli_relay_fixture.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

using testing::CliRelayTest;
using testing::ProcessResult;

const std::string kSamrad = std::string(SAMRAD_BINARY_DIR) + "/client/samrad";
const std::string kQuestion =
    "En elev berättar att hon inte får träffa sina vänner efter skolan och att "
    "brodern kontrollerar hennes telefon. Hur går vi vidare?\n";

// `samrad resend`: a question the relay did not acknowledge (its store could
// not write) stays sealed in the keystore as "unsent"; once the relay can
// write again, resend delivers exactly that question, and only once.
TEST_F(CliRelayTest, ResendDeliversAQuestionTheRelayDidNotAcknowledge) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({.disk_can_fill = true}));
  ASSERT_NO_FATAL_FAILURE(SetDiskFull(true));

  ProcessResult ask = Ask(kQuestion);
  EXPECT_EQ(ask.exit_code, 9) << ask.err;  // RESOURCE_EXHAUSTED: the relay stored nothing
  EXPECT_TRUE(absl::StrContains(ask.err, "storage is full")) << ask.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(ask.err, match, std::regex("samrad resend ([0-9a-f]{8})")))
      << ask.err;
  const std::string prefix = match[1].str();
  ProcessResult cases = Samrad("pro", {"cases", "--json"});
  ASSERT_EQ(cases.exit_code, 0) << cases.err;
  const std::string ref = Reference(cases.out);
  ASSERT_EQ(ref.substr(0, 8), prefix) << cases.out;
  EXPECT_TRUE(absl::StrContains(cases.out, R"("state":"unsent")")) << cases.out;
  // Not on the relay: the adviser's queue (a read, served while full) lacks it.
  ProcessResult queue = Samrad("adviser", {"queue", "--json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_FALSE(absl::StrContains(queue.out, ref)) << queue.out;

  ASSERT_NO_FATAL_FAILURE(SetDiskFull(false));
  ProcessResult resend = Samrad("pro", {"resend", prefix, "--json"});
  ASSERT_EQ(resend.exit_code, 0) << resend.err << RelayLog();
  EXPECT_EQ(Reference(resend.out), ref) << resend.out;

  // The adviser reads the very question that was typed before the failure.
  ProcessResult show = Samrad("adviser", {"show", ref});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(absl::StrContains(show.out, "brodern kontrollerar hennes telefon")) << show.out;
  ProcessResult again = Samrad("pro", {"resend", ref});
  EXPECT_EQ(again.exit_code, 8) << again.err;
  EXPECT_TRUE(absl::StrContains(again.err, "already acknowledged")) << again.err;
  ProcessResult open = Samrad("pro", {"cases", "--json"});
  EXPECT_TRUE(absl::StrContains(open.out, R"("state":"open")")) << open.out;
  ProcessResult queued = Samrad("adviser", {"queue", "--json"});
  EXPECT_EQ(queued.out.find(ref), queued.out.rfind(ref)) << "listed twice: " << queued.out;
}

// `samrad release`: the claim is really gone on the relay — the case is back
// in the queue unclaimed and another adviser of the unit can take and answer
// it; the adviser who released it cannot release it again.
TEST_F(CliRelayTest, ReleaseLetsAnotherAdviserTakeTheCase) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult ask = Ask(kQuestion);
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const std::string ref = Reference(ask.out);
  ASSERT_FALSE(ref.empty()) << ask.out;

  ASSERT_EQ(Samrad("adviser", {"claim", ref}).exit_code, 0);
  ProcessResult taken = Samrad("adviser2", {"claim", ref});
  EXPECT_EQ(taken.exit_code, 8) << taken.err;  // claimed by a-1

  ProcessResult release = Samrad("adviser", {"release", ref.substr(0, 10)});
  ASSERT_EQ(release.exit_code, 0) << release.err;
  EXPECT_EQ(release.out, "Case " + ref + " is back in the queue.\n");
  ProcessResult queue = Samrad("adviser2", {"queue", "--json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_TRUE(absl::StrContains(queue.out, R"("state":"open","claimed_by":"")")) << queue.out;

  ProcessResult claim = Samrad("adviser2", {"claim", ref});
  ASSERT_EQ(claim.exit_code, 0) << claim.err;
  EXPECT_EQ(claim.out, "You took case " + ref + ".\n");
  ProcessResult answer = Samrad("adviser2", {"answer", ref}, "Kontakta socialtjänsten i dag.\n");
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  ProcessResult shown = Samrad("pro", {"show", ref});
  EXPECT_TRUE(
      absl::StrContains(shown.out, "adviser a-2 of rc-kronoberg\n  Kontakta socialtjänsten"))
      << shown.out;
  // a-1 no longer holds the claim.
  ProcessResult stale = Samrad("adviser", {"release", ref});
  EXPECT_EQ(stale.exit_code, 8) << stale.err;
}

// A thread longer than one GetThread page (the relay here returns 2 messages
// a page): `show` prints every message, and `followup` and `answer` post at
// the right next sequence (reading only the first page, they would compute
// it from a truncated thread and the relay would refuse them).
TEST_F(CliRelayTest, AThreadLongerThanOnePageIsReadWhole) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({.extra_config = "limits { max_messages_per_read: 2 }"}));
  ProcessResult ask = Ask(kQuestion);
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const std::string ref = Reference(ask.out);
  ASSERT_FALSE(ref.empty()) << ask.out;
  ASSERT_EQ(Samrad("adviser", {"claim", ref}).exit_code, 0);
  const std::vector<std::pair<std::string, std::string>> turns = {
      {"adviser", "Svar nummer ett.\n"}, {"pro", "Följdfråga nummer ett.\n"},
      {"adviser", "Svar nummer två.\n"}, {"pro", "Följdfråga nummer två.\n"},
      {"adviser", "Svar nummer tre.\n"},
  };
  for (const auto& [who, text] : turns) {
    ProcessResult posted = Samrad(who, {who == "pro" ? "followup" : "answer", ref}, text);
    ASSERT_EQ(posted.exit_code, 0) << who << ": " << text << posted.err;
  }
  for (const char* who : {"pro", "adviser"}) {
    ProcessResult shown = Samrad(who, {"show", ref});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    for (const auto& [unused, text] : turns) {
      EXPECT_TRUE(absl::StrContains(shown.out, text.substr(0, text.size() - 1)))
          << who << " misses " << text << shown.out;
    }
    ProcessResult json = Samrad(who, {"show", ref, "--json"});
    EXPECT_TRUE(absl::StrContains(json.out, R"("sequence":6)")) << json.out;
  }
}

// `samrad close --forget`: closes on the relay and deletes the case's keys
// from the keystore at once; a plain close keeps them (the answer stays
// readable).
TEST_F(CliRelayTest, CloseForgetDeletesTheCaseKeysAndPlainCloseKeepsThem) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult first = Ask(kQuestion);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string forgotten = Reference(first.out);
  ProcessResult second = Ask("En andra fråga om samma skola.\n");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string kept = Reference(second.out);
  ASSERT_FALSE(forgotten.empty());
  ASSERT_FALSE(kept.empty());

  // Without a terminal and without --yes nothing changes (exit 2).
  ProcessResult no_tty = SamradWithoutTerminal("pro", {"close", forgotten, "--forget"});
  EXPECT_EQ(no_tty.exit_code, 2) << no_tty.out << no_tty.err;
  EXPECT_TRUE(absl::StrContains(no_tty.err, "pass --yes")) << no_tty.err;
  ProcessResult still_open = Samrad("pro", {"show", forgotten});
  EXPECT_EQ(still_open.exit_code, 0) << still_open.err;
  ProcessResult still_listed = Samrad("pro", {"cases", "--json"});
  EXPECT_TRUE(absl::StrContains(still_listed.out, forgotten)) << still_listed.out;
  ProcessResult forget = Samrad("pro", {"close", forgotten, "--forget", "--yes"});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  EXPECT_EQ(forget.out, "Case " + forgotten + " closed and its keys deleted.\n");
  ProcessResult close = Samrad("pro", {"close", kept});
  ASSERT_EQ(close.exit_code, 0) << close.err;
  EXPECT_EQ(close.out, "Case " + kept + " closed.\n");

  // Locally: the forgotten case is gone, even from --all; the other is closed.
  ProcessResult all = Samrad("pro", {"cases", "--all", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_FALSE(absl::StrContains(all.out, forgotten)) << all.out;
  EXPECT_TRUE(absl::StrContains(all.out, kept)) << all.out;
  ProcessResult gone = Samrad("pro", {"show", forgotten});
  EXPECT_EQ(gone.exit_code, 5) << gone.err;
  ProcessResult readable = Samrad("pro", {"show", kept});
  EXPECT_EQ(readable.exit_code, 0) << readable.err;
  EXPECT_TRUE(absl::StrContains(readable.out, "En andra fråga")) << readable.out;

  // On the relay both are closed.
  ProcessResult queue = Samrad("adviser", {"queue", "--all", "--json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  for (const std::string& ref : {forgotten, kept}) {
    EXPECT_TRUE(absl::StrContains(queue.out, "{\"reference\":\"" + ref + "\"")) << queue.out;
  }
  EXPECT_FALSE(absl::StrContains(queue.out, R"("state":"open")")) << queue.out;
}

// `samrad check`: the anonymisation guard as a command of the real binary
// (stdin or a file, --redact, --json, exit 0 clean / 1 found), with no
// profile and no relay.
TEST(CliCheckTest, CheckCommandFindsAndRedactsIdentifyingDetails) {
  testing::TempDir dir;
  const std::map<std::string, std::string> env = {{"LANG", "C.UTF-8"},
                                                  {"LC_ALL", ""},
                                                  {"HOME", dir.path()},
                                                  {"SAMRAD_CONFIG", dir.File("none.conf")}};
  const std::string text =
      "Ärendet gäller Åsa.\nHon nås på 070-123 45 67 och bor på Storgatan 12.\n";
  // Åsa is a name (issue 20): three findings.

  ProcessResult found = testing::RunProcess({kSamrad, "check"}, env, dir.path(), text);
  EXPECT_EQ(found.exit_code, 1) << found.err;
  EXPECT_EQ(found.out,
            "1:16 name \"Åsa\"\n2:12 phone \"070-123 45 67\"\n2:37 street-address "
            "\"Storgatan 12\"\n");
  EXPECT_TRUE(absl::StrContains(found.err, "3 identifying details found")) << found.err;

  ASSERT_TRUE(WriteFileAtomically(dir.File("case.txt"), text).ok());
  ProcessResult redacted =
      testing::RunProcess({kSamrad, "check", dir.File("case.txt"), "--redact"}, env, dir.path());
  EXPECT_EQ(redacted.exit_code, 1) << redacted.err;
  EXPECT_EQ(redacted.out, "Ärendet gäller [name].\nHon nås på [phone] och bor på [address].\n");

  ProcessResult json = testing::RunProcess({kSamrad, "check", "-", "--json"}, env, dir.path(),
                                           "Ring 070-123 45 67.\n");
  EXPECT_EQ(json.exit_code, 1) << json.err;
  EXPECT_TRUE(absl::StrContains(json.out, R"("kind":"phone","excerpt":"070-123 45 67")"))
      << json.out;

  ProcessResult clean = testing::RunProcess({kSamrad, "check"}, env, dir.path(),
                                            "Flickan är 15 år och går i åk 9.\n");
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(clean.out, "");
  EXPECT_TRUE(absl::StrContains(clean.err, "The automatic check found no identifying details."))
      << clean.err;
  EXPECT_TRUE(absl::StrContains(clean.err, "read the text once more")) << clean.err;

  ProcessResult missing =
      testing::RunProcess({kSamrad, "check", dir.File("absent.txt")}, env, dir.path());
  EXPECT_EQ(missing.exit_code, 5) << missing.err;
}

// `samrad cases` shows each case's subject (the first line of the question,
// kept only in the keystore, never sent); `queue` and `show` show the age
// group, in the user's language.
TEST_F(CliRelayTest, CasesShowTheSubjectAndQueueAndShowTheAgeGroup) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult first = Ask(kQuestion);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ProcessResult second = Ask("Tvångsäktenskap?\nEn kollega undrar om en resa i sommar.\n");
  ASSERT_EQ(second.exit_code, 0) << second.err;

  ProcessResult cases = Samrad("pro", {"cases"});
  ASSERT_EQ(cases.exit_code, 0) << cases.err;
  EXPECT_TRUE(absl::StrContains(cases.out, "SUBJECT")) << cases.out;
  EXPECT_TRUE(
      absl::StrContains(cases.out, "En elev berättar att hon inte får träffa sina vän\u2026"))
      << cases.out;
  EXPECT_TRUE(absl::StrContains(cases.out, "Tvångsäktenskap?\n")) << cases.out;
  EXPECT_FALSE(absl::StrContains(cases.out, "En kollega undrar")) << "only the first line";
  ProcessResult json = Samrad("pro", {"cases", "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, R"("subject":"Tvångsäktenskap?")")) << json.out;
  // The relay never sees it: the adviser's queue does not have it.
  ProcessResult queue = Samrad("adviser", {"queue", "--json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_FALSE(absl::StrContains(queue.out, "subject")) << queue.out;

  ProcessResult table = Samrad("adviser", {"queue"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(absl::StrContains(table.out, "AGE GROUP")) << table.out;
  EXPECT_TRUE(absl::StrContains(table.out, "  child  ")) << table.out;
  ProcessResult svenska = SamradWithEnv("adviser", {"queue"}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_TRUE(absl::StrContains(svenska.out, "ÅLDERSGRUPP")) << svenska.out;
  EXPECT_TRUE(absl::StrContains(svenska.out, "  barn  ")) << svenska.out;
  const std::string ref = Reference(first.out);
  ProcessResult shown = Samrad("adviser", {"show", ref});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(absl::StrContains(shown.out, "  normal  child  ")) << shown.out;
  ProcessResult visad = SamradWithEnv("pro", {"show", ref}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_TRUE(absl::StrContains(visad.out, "  normal  barn  ")) << visad.out;
}

}  // namespace
}  // namespace samrad::client
