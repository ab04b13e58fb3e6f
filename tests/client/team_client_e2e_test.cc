// Issue 15 (advisers work as a team), the client's part, end to end with the
// real `samrad` and `samrad-relay` binaries on 127.0.0.1
// (cli_relay_fixture.h): a watch that keeps watching through a relay
// restart, --exec, the end of a watch on a revoked certificate, and the
// national fallback for a county whose unit has no advisers.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli_relay_fixture.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

using testing::BackgroundWatch;
using testing::CliEnvFor;
using testing::CliRelayTest;
using testing::MakeEnv;
using testing::ProcessResult;
using testing::Spawn;
using testing::WaitFor;

const std::string kQuestion =
    "En elev berättar att hon inte får träffa sina vänner efter skolan. Hur går vi vidare?\n";

// Waits up to `limit` until `read()` contains `text`.
template <typename Read>
bool WaitForText(Read read, const std::string& text,
                 std::chrono::seconds limit = std::chrono::seconds(90)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (absl::StrContains(read(), text)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::StrContains(read(), text);
}

// How many lines of `out` contain both `a` and `b`.
int LinesWith(const std::string& out, const std::string& a, const std::string& b) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StrContains(line, a) && absl::StrContains(line, b)) ++n;
  }
  return n;
}

// The relay is killed while the watch runs, with a question acknowledged
// just before the kill; nothing is submitted while it is down; it comes back
// on the same port and data. The watch says once that it lost the relay and
// once that it is back, and prints every event exactly once: the question
// from before the kill (live or caught up), and a new question and a
// follow-up after the restart. --exec saw each event in its environment.
TEST_F(CliRelayTest, WatchKeepsWatchingThroughARelayRestart) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::string exec_log = dir().File("exec.log");
  BackgroundWatch watch(dir(), "adviser",
                        {"--json", "--exec",
                         "printf '%s %s %s\\n' \"$SAMRAD_EVENT\" \"$SAMRAD_REF\" "
                         "\"$SAMRAD_URGENCY\" >> " +
                             exec_log});
  // Started: the watch has subscribed and taken the queue as its start.
  ASSERT_TRUE(WaitForText([&] { return watch.Err(); }, "Watching")) << watch.Err();

  ProcessResult before = Ask(kQuestion);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const std::string first = Reference(before.out);
  ASSERT_FALSE(first.empty());
  StopRelay(SIGKILL);
  ASSERT_TRUE(WaitForText([&] { return watch.Err(); }, "lost the relay")) << watch.Err();
  ASSERT_NO_FATAL_FAILURE(StartRelayAgain());
  ASSERT_TRUE(WaitForText([&] { return watch.Err(); }, "connected to the relay again"))
      << watch.Err() << RelayLog();

  ProcessResult after =
      Samrad("pro",
             {"ask", "--county", "07", "--category", "forced-marriage", "--urgency", "acute",
              "--org", "school", "--age", "child", "--json"},
             "Akut fråga efter omstarten.\n");
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const std::string second = Reference(after.out);
  ProcessResult followup = Samrad("pro", {"followup", first}, "En följdfråga.\n");
  ASSERT_EQ(followup.exit_code, 0) << followup.err;
  ASSERT_TRUE(WaitForText([&] { return watch.Out(); }, R"("event":"follow-up")")) << watch.Out();
  ASSERT_TRUE(
      WaitForText([&] { return ReadFileToString(exec_log).value_or(""); }, "follow-up " + first))
      << watch.Err();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // a duplicate would arrive by now

  const std::string out = watch.Out();
  EXPECT_EQ(LinesWith(out, first, R"("event":"new")"), 1) << out;
  EXPECT_EQ(LinesWith(out, second, R"("event":"new")"), 1) << out;
  EXPECT_EQ(LinesWith(out, second, R"("acute":true)"), 1) << out;
  EXPECT_EQ(LinesWith(out, first, R"("event":"follow-up")"), 1) << out;
  EXPECT_EQ(LinesWith(out, "", "\"event\""), 3) << out;
  const std::string err = watch.Err();
  EXPECT_EQ(LinesWith(err, "lost the relay", "reconnecting"), 1) << err;
  EXPECT_EQ(LinesWith(err, "connected to the relay again", ""), 1) << err;
  const std::string exec = ReadFileToString(exec_log).value_or("");
  EXPECT_EQ(LinesWith(exec, "new " + first, "normal"), 1) << exec;
  EXPECT_EQ(LinesWith(exec, "new " + second, "acute"), 1) << exec;
  EXPECT_EQ(LinesWith(exec, "follow-up " + first, ""), 1) << exec;
}

// A watch whose certificate is revoked ends at once with exit 4 and says why;
// it does not retry forever.
TEST_F(CliRelayTest, WatchEndsForGoodWhenItsCertificateIsRevoked) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  BackgroundWatch watch(dir(), "adviser2", {});
  ASSERT_TRUE(WaitForText([&] { return watch.Err(); }, "Watching")) << watch.Err();
  ProcessResult revoke =
      Samrad("admin", {"admin", "revoke", "--yes", "--cert",
                       pki() + "/adviser-rc-kronoberg-a-2.crt", "--reason", "left the unit"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(watch.Wait(std::chrono::seconds(60)), 4) << watch.Err();
  EXPECT_TRUE(absl::StrContains(watch.Err(), "revoked")) << watch.Err();
  EXPECT_FALSE(absl::StrContains(watch.Err(), "reconnecting")) << watch.Err();
}

// A county whose unit has no advisers (Skåne, 12) falls back to the national
// team: refused (exit 7, naming NKT) while NKT has nobody either, sent to NKT
// once it has an adviser, who reads and answers it; the professional reads
// the answer (the redirect check accepts NKT in exactly this case), and a
// county whose unit has advisers still goes to that unit. `directory sign`
// warns about units without advisers first, in English and Swedish.
TEST_F(CliRelayTest, CountyWithoutAdvisersFallsBackToTheNationalTeam) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_NO_FATAL_FAILURE(AddPerson("pro-skane", {"professional", "12", "p-2"}, {}));
  const std::vector<std::string> ask = {"ask",         "--county",  "12",    "--category",
                                        "fgm",         "--urgency", "high",  "--org",
                                        "health-care", "--age",     "child", "--json"};
  ProcessResult nobody = Samrad("pro-skane", ask, "En fråga från Skåne.\n");
  EXPECT_EQ(nobody.exit_code, 7) << nobody.err;
  EXPECT_TRUE(absl::StrContains(nobody.err, "unit \"nkt\" has no advisers")) << nobody.err;

  ProcessResult warned = Samrad("admin", {"admin", "directory", "sign"});
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_TRUE(absl::StrContains(warned.err, "warning: the fallback unit nkt has no advisers"))
      << warned.err;
  EXPECT_TRUE(absl::StrContains(warned.err,
                                "warning: unit rc-skane has no advisers; questions "
                                "from its counties (12) go to the fallback unit nkt"))
      << warned.err;
  EXPECT_FALSE(absl::StrContains(warned.err, "unit rc-kronoberg")) << warned.err;

  ASSERT_NO_FATAL_FAILURE(AddPerson("nkt", {"adviser", "nkt", "n-1"}, {"--adviser-id", "n-1"}));
  const std::string bundle = dir().File("n-1.bundle.json");
  ASSERT_EQ(Samrad("nkt", {"keygen", "--out", bundle}).exit_code, 0);
  ASSERT_EQ(Samrad("admin", {"admin", "directory", "add-adviser", "nkt", bundle}).exit_code, 0);
  ProcessResult signed_sv =
      SamradWithEnv("admin", {"admin", "directory", "sign"}, {{"LANG", "sv_SE.UTF-8"}});
  ASSERT_EQ(signed_sv.exit_code, 0) << signed_sv.err;
  EXPECT_TRUE(absl::StrContains(signed_sv.err, "varning: enheten rc-skane har inga rådgivare"))
      << signed_sv.err;
  EXPECT_FALSE(absl::StrContains(signed_sv.err, "reservenheten nkt har inga")) << signed_sv.err;
  ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;

  ProcessResult sent = Samrad("pro-skane", ask, "En fråga från Skåne.\n");
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(absl::StrContains(sent.out, R"("unit":"nkt")")) << sent.out;
  const std::string ref = Reference(sent.out);
  ProcessResult queue = Samrad("nkt", {"queue", "--json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_TRUE(absl::StrContains(queue.out, ref)) << queue.out;
  EXPECT_FALSE(absl::StrContains(Samrad("adviser", {"queue", "--json"}).out, ref));
  ProcessResult read = Samrad("nkt", {"show", ref});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_TRUE(absl::StrContains(read.out, "En fråga från Skåne.")) << read.out;
  ProcessResult answer = Samrad("nkt", {"answer", ref}, "Svar från nationella teamet.\n");
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  ProcessResult shown = Samrad("pro-skane", {"show", ref});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(absl::StrContains(shown.out, "adviser n-1 of nkt\n  Svar från nationella teamet"))
      << shown.out;

  // Kronoberg has advisers: its county is not sent to NKT.
  ProcessResult kronoberg = Ask(kQuestion);
  ASSERT_EQ(kronoberg.exit_code, 0) << kronoberg.err;
  EXPECT_TRUE(absl::StrContains(kronoberg.out, R"("unit":"rc-kronoberg")")) << kronoberg.out;
}

// Unread markers: a case never opened is a new case to the adviser; an
// answer is new to the professional until `show`; a follow-up on an
// answered case is a new follow-up to the adviser (not to its author) until
// `show`. Text (English and Swedish) and --json say so.
TEST_F(CliRelayTest, UnreadMarkersShowNewAnswersAndFollowUpsUntilShown) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult ask = Ask(kQuestion);
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const std::string ref = Reference(ask.out);
  auto unread = [&](const std::string& who, const std::string& command) {
    ProcessResult r = Samrad(who, {command, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::smatch match;
    const std::regex pattern(ref + R"re(.*?"unread":"([a-z-]*)")re");
    return std::regex_search(r.out, match, pattern) ? match[1].str() : "(not listed)";
  };
  EXPECT_EQ(unread("adviser", "queue"), "new-case");
  EXPECT_TRUE(absl::StrContains(Samrad("adviser", {"queue"}).out, "new case"));
  ASSERT_EQ(Samrad("adviser", {"show", ref}).exit_code, 0);
  EXPECT_EQ(unread("adviser", "queue"), "");
  EXPECT_EQ(unread("pro", "cases"), "");

  ASSERT_EQ(Samrad("adviser", {"answer", ref}, "Kontakta socialtjänsten.\n").exit_code, 0);
  EXPECT_EQ(unread("pro", "cases"), "new-answer");
  EXPECT_EQ(unread("adviser", "queue"), "");  // my own answer
  EXPECT_TRUE(absl::StrContains(Samrad("pro", {"cases"}).out, "new answer"));
  ProcessResult svenska = SamradWithEnv("pro", {"cases"}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_TRUE(absl::StrContains(svenska.out, "nytt svar")) << svenska.out;
  ASSERT_EQ(Samrad("pro", {"show", ref}).exit_code, 0);
  EXPECT_EQ(unread("pro", "cases"), "");

  ASSERT_EQ(Samrad("pro", {"followup", ref}, "Och om hon inte vill?\n").exit_code, 0);
  EXPECT_EQ(unread("adviser", "queue"), "new-follow-up");
  EXPECT_EQ(unread("adviser2", "queue"), "new-case");  // a-2 never opened it
  EXPECT_EQ(unread("pro", "cases"), "");               // my own follow-up
  ProcessResult queue = Samrad("adviser", {"queue"});
  EXPECT_TRUE(absl::StrContains(queue.out, "new follow-up")) << queue.out;
  ProcessResult kön = SamradWithEnv("adviser", {"queue"}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_TRUE(absl::StrContains(kön.out, "ny följdfråga")) << kön.out;
  ASSERT_EQ(Samrad("adviser", {"show", ref}).exit_code, 0);
  EXPECT_EQ(unread("adviser", "queue"), "");

  struct stat st {};
  ASSERT_EQ(::stat(dir().File("adviser.keystore.read").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// `queue` and `cases` filters with the real relay; a bad value is refused
// (exit 2) listing the allowed values.
TEST_F(CliRelayTest, FiltersFindCases) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult a = Ask(kQuestion);  // normal, honour-violence, child
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string normal = Reference(a.out);
  ProcessResult b = Samrad("pro",
                           {"ask", "--county", "07", "--category", "fgm", "--urgency", "acute",
                            "--org", "health-care", "--age", "adult", "--json"},
                           "En vuxen kvinna berättar om ingreppet.\n");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string acute = Reference(b.out);
  ASSERT_EQ(Samrad("adviser", {"claim", normal}).exit_code, 0);

  auto listed = [&](const std::string& who, std::vector<std::string> args) {
    args.push_back("--json");
    ProcessResult r = Samrad(who, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string which;
    if (absl::StrContains(r.out, normal)) which += "normal";
    if (absl::StrContains(r.out, acute)) which += which.empty() ? "acute" : "+acute";
    return which;
  };
  EXPECT_EQ(listed("adviser", {"queue"}), "normal+acute");
  EXPECT_EQ(listed("adviser", {"queue", "--mine"}), "normal");
  EXPECT_EQ(listed("adviser2", {"queue", "--mine"}), "");
  EXPECT_EQ(listed("adviser", {"queue", "--urgency", "acute"}), "acute");
  EXPECT_EQ(listed("adviser", {"queue", "--state", "claimed"}), "normal");
  EXPECT_EQ(listed("adviser", {"queue", "--category", "fgm,child-marriage"}), "acute");
  EXPECT_EQ(listed("adviser", {"queue", "--age", "adult", "--county", "07"}), "acute");
  EXPECT_EQ(listed("adviser", {"queue", "--county", "12"}), "");
  const std::string today = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::LocalTimeZone());
  EXPECT_EQ(listed("adviser", {"queue", "--since", today, "--until", today}), "normal+acute");
  EXPECT_EQ(listed("adviser", {"queue", "--until", "2020-01-01"}), "");
  EXPECT_EQ(listed("pro", {"cases", "--urgency", "acute"}), "acute");
  EXPECT_EQ(listed("pro", {"cases", "--state", "claimed"}), "normal");
  EXPECT_EQ(listed("pro", {"cases", "--since", "2099-01-01"}), "");
  ProcessResult none = Samrad("adviser", {"queue", "--urgency", "high"});
  EXPECT_EQ(none.out, "No case matches the filters.\n");

  ProcessResult bad = Samrad("adviser", {"queue", "--state", "pending"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(
      bad.err,
      "--state \"pending\" is not allowed; use one or more of: open, claimed, answered, "
      "closed"))
      << bad.err;
  ProcessResult bad_sv =
      SamradWithEnv("pro", {"cases", "--since", "28/11"}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_EQ(bad_sv.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_sv.err, "är inget datum; skriv det som ÅÅÅÅ-MM-DD"))
      << bad_sv.err;
}

// `samrad search`: the adviser finds a case of the unit's queue by words of
// its text regardless of case and accents, the professional finds their own
// case; nothing else matches, and a bad --limit is a usage error.
TEST_F(CliRelayTest, SearchFindsCasesByTheirDecryptedText) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult a = Ask("Eleven berättar att hennes föräldrar planerar en resa i sommar.\n");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string trip = Reference(a.out);
  ProcessResult b = Ask("En kollega undrar hur vi pratar med pappan.\n");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string other = Reference(b.out);
  ASSERT_EQ(Samrad("adviser", {"answer", other}, "Boka ett möte med skolkuratorn.\n").exit_code, 0);

  ProcessResult adviser = Samrad("adviser", {"search", "FORALDRAR"});
  ASSERT_EQ(adviser.exit_code, 0) << adviser.err;
  EXPECT_TRUE(absl::StrContains(adviser.out, trip)) << adviser.out;
  EXPECT_FALSE(absl::StrContains(adviser.out, other)) << adviser.out;
  EXPECT_TRUE(absl::StrContains(adviser.out, "hennes föräldrar planerar")) << adviser.out;
  ProcessResult answer = Samrad("pro", {"search", "skolkuratorn", "--json"});
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  EXPECT_TRUE(absl::StrContains(answer.out, other)) << answer.out;
  EXPECT_TRUE(absl::StrContains(answer.out, R"("sequence":2)")) << answer.out;
  EXPECT_FALSE(absl::StrContains(answer.out, trip)) << answer.out;
  ProcessResult none = Samrad("adviser", {"search", "tvångsäktenskap"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "No case contains \"tvångsäktenskap\".\n");
  ProcessResult limited = Samrad("adviser", {"search", "föräldrar", "--limit", "1"});
  EXPECT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_TRUE(absl::StrContains(limited.err, "searched 1 of 2 cases")) << limited.err;
  ProcessResult zero =
      SamradWithEnv("adviser", {"search", "x", "--limit", "0"}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(zero.err, "--limit måste vara ett heltal")) << zero.err;
  EXPECT_EQ(Samrad("adviser", {"search", "  "}).exit_code, 2);
  EXPECT_EQ(Samrad("adviser", {"watch", trip, "--exec", "true"}).exit_code, 2);
}

}  // namespace
}  // namespace samrad::client
