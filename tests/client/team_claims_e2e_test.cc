// Issue 15, claims that mean something: end to end with the real `samrad`
// and `samrad-relay` binaries on 127.0.0.1 (cli_relay_fixture.h, advisers
// a-1 and a-2 of rc-kronoberg; a third adviser or an adviser of another unit
// joins through the same admin commands the fixture uses). Handover, take-over
// (and two advisers taking over at once), answering someone else's case,
// an admin's force-release, and the claims of a revoked adviser freed.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_relay_fixture.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

using testing::CliRelayTest;
using testing::ProcessResult;

const std::string kQuestion =
    "En elev berättar att hon inte får träffa sina vänner efter skolan och att "
    "brodern kontrollerar hennes telefon. Hur går vi vidare?\n";
const std::string kAnswer = "Kontakta socialtjänsten i dag och dokumentera samtalet.\n";

class TeamClaimsTest : public CliRelayTest {
 protected:
  // The professional asks; returns the reference.
  std::string AskQuestion() {
    ProcessResult ask = Ask(kQuestion);
    EXPECT_EQ(ask.exit_code, 0) << ask.err;
    const std::string ref = Reference(ask.out);
    EXPECT_EQ(ref.size(), 32u) << ask.out;
    return ref;
  }

  // A further adviser `who` (profile) with id `id` of `unit`: certificate,
  // keys, listed in a newly signed and published directory epoch.
  void AddAdviser(const std::string& who, const std::string& unit, const std::string& id) {
    ASSERT_NO_FATAL_FAILURE(AddPerson(who, {"adviser", unit, id}, {"--adviser-id", id}));
    const std::string bundle = dir().File(who + ".bundle.json");
    ProcessResult keygen = Samrad(who, {"keygen", "--out", bundle});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    ProcessResult add = Samrad("admin", {"admin", "directory", "add-adviser", unit, bundle});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    ProcessResult sign = Samrad("admin", {"admin", "directory", "sign"});
    ASSERT_EQ(sign.exit_code, 0) << sign.err;
    ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
    ASSERT_EQ(publish.exit_code, 0) << publish.err;
  }

  // `who`'s queue as JSON.
  std::string QueueJson(const std::string& who) {
    ProcessResult queue = Samrad(who, {"queue", "--json"});
    EXPECT_EQ(queue.exit_code, 0) << queue.err;
    return queue.out;
  }

  // The JSON summary of `ref` in `who`'s queue shows `state` and `holder`.
  static std::string Listed(const std::string& state, const std::string& holder) {
    return absl::StrCat(R"("state":")", state, R"(","claimed_by":")", holder, R"(")");
  }

  std::string Audit() {
    ProcessResult audit = Samrad("admin", {"admin", "audit", "--json", "--limit", "1000"});
    EXPECT_EQ(audit.exit_code, 0) << audit.err;
    return audit.out;
  }

  // Starts `samrad watch` (the queue) as `who`; stdout to `out`, and
  // "Watching" on out + ".err" once it listens.
  pid_t WatchQueue(const std::string& who, const std::string& out) {
    std::vector<std::string> argv = {kSamrad, "watch"};
    return testing::Spawn(argv, testing::MakeEnv(testing::CliEnvFor(dir(), who)), "", out,
                          out + ".err", dir().path());
  }

  // Waits up to 30 s for `needle` in the file `path`.
  static bool WaitForText(const std::string& path, const std::string& needle) {
    return harness::WaitForText(path, needle, 30000);
  }

  static void Stop(pid_t pid) { testing::StopGroup(pid); }
};

// a-1 claims and hands the case to a-2, whose `watch` and `queue` show it;
// a-2 answers; a-1 can no longer answer it without --take-over, and is told
// so in English and Swedish.
TEST_F(TeamClaimsTest, HandoverMovesTheCaseToTheColleagueWhoAnswersIt) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::string ref = AskQuestion();
  ASSERT_EQ(Samrad("adviser", {"claim", ref}).exit_code, 0);

  const std::string watch_out = dir().File("a2-watch.out");
  const pid_t watcher = WatchQueue("adviser2", watch_out);
  ASSERT_GT(watcher, 0);
  ASSERT_TRUE(WaitForText(watch_out + ".err", "Watching"))
      << ReadFileToString(watch_out + ".err").value_or("");
  // "Watching" is printed as the stream opens; give the relay a moment to
  // subscribe it before the event.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  ProcessResult handover = Samrad("adviser", {"handover", ref.substr(0, 8), "a-2"});
  ASSERT_EQ(handover.exit_code, 0) << handover.err;
  EXPECT_EQ(handover.out, "Case " + ref + " is now with a-2.\n");
  // One line per event: kind, reference, urgency, category, county, state,
  // holder.
  EXPECT_TRUE(WaitForText(watch_out, "handed-over  " + ref))
      << ReadFileToString(watch_out).value_or("")
      << ReadFileToString(watch_out + ".err").value_or("");
  Stop(watcher);
  const std::string event = ReadFileToString(watch_out).value_or("");
  EXPECT_TRUE(absl::StrContains(event, "  claimed  a-2\n")) << event;
  EXPECT_TRUE(absl::StrContains(QueueJson("adviser2"), Listed("claimed", "a-2")));

  // The old holder can neither hand it on nor answer it now.
  ProcessResult again = Samrad("adviser", {"handover", ref, "a-2"});
  EXPECT_EQ(again.exit_code, 8) << again.err;
  EXPECT_TRUE(absl::StrContains(again.err, "claimed by a-2")) << again.err;

  ProcessResult answer = Samrad("adviser2", {"answer", ref}, kAnswer);
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  EXPECT_TRUE(absl::StrContains(QueueJson("adviser"), Listed("answered", "a-2")));

  ProcessResult refused = Samrad("adviser", {"answer", ref}, "Ett svar till.\n");
  EXPECT_EQ(refused.exit_code, 8) << refused.err;
  EXPECT_TRUE(absl::StrContains(
      refused.err, "case " + ref +
                       " is claimed by a-2; ask them to hand it over (samrad handover), or "
                       "use --take-over"))
      << refused.err;
  ProcessResult swedish =
      SamradWithEnv("adviser", {"answer", ref}, {{"LANG", "sv_SE.UTF-8"}}, "Ett svar till.\n");
  EXPECT_EQ(swedish.exit_code, 8) << swedish.err;
  EXPECT_TRUE(absl::StrContains(swedish.err, "har tagits av a-2; be dem lämna över det"))
      << swedish.err;

  const std::string audit = Audit();
  EXPECT_TRUE(absl::StrContains(audit, R"("action":"handover")")) << audit;
  EXPECT_TRUE(absl::StrContains(audit, R"("detail":"to=a-2")")) << audit;
  EXPECT_FALSE(absl::StrContains(audit, "socialtjänsten")) << "no content in the audit log";
}

// Bad handovers: an id no unit lists (NOT_FOUND, exit 5), an adviser of
// another unit (exit 8, naming that unit), oneself (exit 2), a case one does
// not hold (exit 8). Nothing changes on the relay.
TEST_F(TeamClaimsTest, HandoverToAnUnknownOrForeignAdviserIsRefusedPrecisely) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_NO_FATAL_FAILURE(AddAdviser("nkt-adviser", "nkt", "b-1"));
  const std::string ref = AskQuestion();
  ASSERT_EQ(Samrad("adviser", {"claim", ref}).exit_code, 0);

  ProcessResult unknown = Samrad("adviser", {"handover", ref, "a-9"});
  EXPECT_EQ(unknown.exit_code, 5) << unknown.err;
  EXPECT_TRUE(absl::StrContains(unknown.err, "no adviser \"a-9\" in the key directory (epoch 2)"))
      << unknown.err;
  ProcessResult unknown_sv =
      SamradWithEnv("adviser", {"handover", ref, "a-9"}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_EQ(unknown_sv.exit_code, 5);
  EXPECT_TRUE(absl::StrContains(unknown_sv.err, "det finns ingen rådgivare \"a-9\""))
      << unknown_sv.err;

  ProcessResult foreign = Samrad("adviser", {"handover", ref, "b-1"});
  EXPECT_EQ(foreign.exit_code, 8) << foreign.err;
  EXPECT_TRUE(absl::StrContains(foreign.err,
                                "adviser b-1 belongs to unit nkt, not to your unit rc-kronoberg"))
      << foreign.err;
  ProcessResult foreign_sv =
      SamradWithEnv("adviser", {"handover", ref, "b-1"}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_EQ(foreign_sv.exit_code, 8);
  EXPECT_TRUE(absl::StrContains(foreign_sv.err, "rådgivare b-1 hör till enhet nkt"))
      << foreign_sv.err;

  ProcessResult self = Samrad("adviser", {"handover", ref, "a-1"});
  EXPECT_EQ(self.exit_code, 2) << self.err;
  EXPECT_TRUE(absl::StrContains(self.err, "adviser a-1 is you")) << self.err;

  ProcessResult not_mine = Samrad("adviser2", {"handover", ref, "a-1"});
  EXPECT_EQ(not_mine.exit_code, 8) << not_mine.err;
  EXPECT_TRUE(absl::StrContains(not_mine.err, "claimed by a-1")) << not_mine.err;

  EXPECT_TRUE(absl::StrContains(QueueJson("adviser"), Listed("claimed", "a-1")));
  EXPECT_FALSE(absl::StrContains(Audit(), R"("action":"handover")"));
}

// --take-over moves someone else's claim to the answering adviser with the
// answer, audited with the previous holder; without it nothing is sent.
TEST_F(TeamClaimsTest, TakeOverMovesTheClaimWithTheAnswer) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::string ref = AskQuestion();
  ASSERT_EQ(Samrad("adviser", {"claim", ref}).exit_code, 0);

  ProcessResult refused = Samrad("adviser2", {"answer", ref}, kAnswer);
  EXPECT_EQ(refused.exit_code, 8) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "is claimed by a-1; ask them to hand it over"))
      << refused.err;
  EXPECT_TRUE(absl::StrContains(QueueJson("adviser"), Listed("claimed", "a-1")));

  ProcessResult taken = Samrad("adviser2", {"answer", ref, "--take-over"}, kAnswer);
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  EXPECT_EQ(taken.out,
            "You took over case " + ref + " from a-1.\nAnswer sent in case " + ref + ".\n");
  EXPECT_TRUE(absl::StrContains(QueueJson("adviser"), Listed("answered", "a-2")));
  ProcessResult shown = Samrad("pro", {"show", ref});
  EXPECT_TRUE(absl::StrContains(shown.out, "adviser a-2 of rc-kronoberg\n  Kontakta")) << shown.out;

  const std::string audit = Audit();
  EXPECT_TRUE(absl::StrContains(audit, R"("action":"take_over")")) << audit;
  EXPECT_TRUE(absl::StrContains(audit, R"("detail":"from=a-1")")) << audit;
  // a-1 lost the claim: releasing it is refused with what to do.
  ProcessResult release = Samrad("adviser", {"release", ref});
  EXPECT_EQ(release.exit_code, 8) << release.err;
  EXPECT_TRUE(absl::StrContains(release.err, "is not claimed by you")) << release.err;
}

// Two advisers take over a-1's case at the same moment: the case ends
// ANSWERED and held by the author of its last answer; an adviser who lost
// the race is told the case changed while they wrote (nothing was sent).
TEST_F(TeamClaimsTest, TwoAdvisersTakingOverAtOnceLeaveOneValidState) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_NO_FATAL_FAILURE(AddAdviser("adviser3", "rc-kronoberg", "a-3"));
  const std::string ref = AskQuestion();
  ASSERT_EQ(Samrad("adviser", {"claim", ref}).exit_code, 0);

  ProcessResult results[2];
  std::thread racers[2];
  const char* who[2] = {"adviser2", "adviser3"};
  for (int i = 0; i < 2; ++i) {
    racers[i] = std::thread([&, i] {
      results[i] = Samrad(who[i], {"answer", ref, "--take-over", "--json"},
                          absl::StrCat("Svar från ", who[i], ".\n"));
    });
  }
  for (std::thread& racer : racers) racer.join();
  int won = 0;
  for (const ProcessResult& result : results) {
    if (result.exit_code == 0) {
      ++won;
      continue;
    }
    EXPECT_EQ(result.exit_code, 8) << result.err;
    EXPECT_TRUE(absl::StrContains(result.err, "changed while you wrote") ||
                absl::StrContains(result.err, "nothing was sent"))
        << result.err;
  }
  ASSERT_GE(won, 1) << results[0].err << results[1].err;
  // The holder is whoever answered last, and the case is answered.
  ProcessResult thread = Samrad("adviser", {"show", ref});
  ASSERT_EQ(thread.exit_code, 0) << thread.err;
  const std::string queue = QueueJson("adviser");
  const bool a2 = absl::StrContains(queue, Listed("answered", "a-2"));
  const bool a3 = absl::StrContains(queue, Listed("answered", "a-3"));
  EXPECT_TRUE(a2 != a3) << queue;
  const size_t last_a2 = thread.out.rfind("Svar från adviser2");
  const size_t last_a3 = thread.out.rfind("Svar från adviser3");
  if (a2) {
    EXPECT_TRUE(last_a3 == std::string::npos || last_a2 > last_a3) << thread.out;
  }
  if (a3) {
    EXPECT_TRUE(last_a2 == std::string::npos || last_a3 > last_a2) << thread.out;
  }
  if (won == 1) {
    EXPECT_TRUE(last_a2 == std::string::npos || last_a3 == std::string::npos) << thread.out;
  }
}

// An admin frees a claim (audited with its holder); freeing an unclaimed
// case is refused with a clear message; an admin needs the full reference.
TEST_F(TeamClaimsTest, AdminForceReleaseFreesAClaim) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::string ref = AskQuestion();
  ASSERT_EQ(Samrad("adviser", {"claim", ref}).exit_code, 0);

  ProcessResult freed = Samrad("admin", {"admin", "release", ref});
  ASSERT_EQ(freed.exit_code, 0) << freed.err;
  EXPECT_EQ(freed.out, "Case " + ref + " is freed and back in the queue.\n");
  EXPECT_TRUE(absl::StrContains(QueueJson("adviser2"), Listed("open", "")));
  const std::string audit = Audit();
  EXPECT_TRUE(absl::StrContains(audit, R"("action":"force_release")")) << audit;
  EXPECT_TRUE(absl::StrContains(audit, R"("detail":"holder=a-1")")) << audit;

  ProcessResult unclaimed = Samrad("admin", {"admin", "release", ref});
  EXPECT_EQ(unclaimed.exit_code, 8) << unclaimed.err;
  EXPECT_TRUE(absl::StrContains(unclaimed.err,
                                "case " + ref + " is not claimed by anyone; nothing to release"))
      << unclaimed.err;
  ProcessResult unclaimed_sv =
      SamradWithEnv("admin", {"admin", "release", ref}, {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_EQ(unclaimed_sv.exit_code, 8);
  EXPECT_TRUE(absl::StrContains(unclaimed_sv.err, "är inte taget av någon")) << unclaimed_sv.err;

  ProcessResult short_ref = Samrad("admin", {"admin", "release", ref.substr(0, 8)});
  EXPECT_EQ(short_ref.exit_code, 2) << short_ref.err;
  EXPECT_TRUE(absl::StrContains(short_ref.err, "give all 32 characters")) << short_ref.err;

  ProcessResult claim = Samrad("adviser2", {"claim", ref});
  EXPECT_EQ(claim.exit_code, 0) << claim.err;
}

// Revoking an adviser's certificate frees every case they held, in the same
// write as the revocation: a-2 can take them at once.
TEST_F(TeamClaimsTest, RevokingAnAdviserFreesTheirClaims) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::string claimed = AskQuestion();
  const std::string answered = AskQuestion();
  const std::string other = AskQuestion();
  ASSERT_EQ(Samrad("adviser", {"claim", claimed}).exit_code, 0);
  ASSERT_EQ(Samrad("adviser", {"claim", answered}).exit_code, 0);
  ASSERT_EQ(Samrad("adviser", {"answer", answered}, kAnswer).exit_code, 0);
  ASSERT_EQ(Samrad("adviser2", {"claim", other}).exit_code, 0);

  ProcessResult revoke =
      Samrad("admin", {"admin", "revoke", "--yes", "--cert",
                       pki() + "/adviser-rc-kronoberg-a-1.crt", "--reason", "laptop lost"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_TRUE(absl::StrContains(revoke.err,
                                "2 case(s) claimed by that adviser are back in the "
                                "queue."))
      << revoke.err;

  const std::string queue = QueueJson("adviser2");
  EXPECT_TRUE(absl::StrContains(queue, Listed("claimed", "a-2"))) << queue;
  EXPECT_FALSE(absl::StrContains(queue, R"("claimed_by":"a-1")")) << queue;
  ProcessResult claim = Samrad("adviser2", {"claim", claimed});
  EXPECT_EQ(claim.exit_code, 0) << claim.err;
  ProcessResult answer = Samrad("adviser2", {"answer", answered}, "Vi tar över ärendet.\n");
  EXPECT_EQ(answer.exit_code, 0) << answer.err;
  const std::string audit = Audit();
  EXPECT_TRUE(absl::StrContains(audit, R"("action":"force_release")")) << audit;
  EXPECT_TRUE(absl::StrContains(audit, "holder=a-1")) << audit;
}

}  // namespace
}  // namespace samrad::client
