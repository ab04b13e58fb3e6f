// Issue 14 end to end: the real `samrad` CLI talks to samrad-tamper-proxy, a
// compromised relay (the relay's own TLS key, forwarding every call to the
// real samrad-relay under the caller's identity and rewriting replies as its
// rules file says), and must notice each attack the issue lists. Each test
// names the promise it checks; a failure says which promise broke.
//
// The proxy itself must be transparent: TransparentProxyRunsAWholeConsultation
// passes without any client change. The attack tests fail until the client
// side of issue 14 lands (envelope v2 hash chain, directory v2 with
// not_after, signer trust from the current directory only, audit anchors).
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_relay_fixture.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

using testing::CliRelayTest;
using testing::ProcessResult;

constexpr int kExitDirectory = 7;  // ExitCode::kDirectory (client/exit_codes.h)

const std::string kQuestion =
    "En elev berättar att familjen planerar en resa i sommar och att hon är rädd att inte få "
    "komma tillbaka. Hur går vi vidare?\n";
const std::string kAnswer = "Kontakta socialtjänsten i dag och gör en orosanmälan.\n";
const std::string kFollowup = "Tack. Socialtjänsten har kontaktats; vad gör skolan nu?\n";

// Case-insensitive substring test, as the contract states the messages.
[[maybe_unused]] bool Mentions(const std::string& text, const std::string& needle) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(needle));
}

// How many messages `show --json` printed.
int MessageCount(const std::string& json) {
  const std::regex sequence("\"sequence\":[0-9]+");
  return static_cast<int>(std::distance(std::sregex_iterator(json.begin(), json.end(), sequence),
                                        std::sregex_iterator()));
}

class TamperTest : public CliRelayTest {
 protected:
  // The deployment, plus (before the proxy starts, so it can forward for
  // them) `extra` people, then the proxy.
  void StartWithProxy(const std::vector<std::vector<std::string>>& extra = {}) {
    ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
    for (const auto& person : extra) {
      ASSERT_GE(person.size(), 4u);
      std::vector<std::string> init(person.begin() + 4, person.end());
      ASSERT_NO_FATAL_FAILURE(AddPerson(person[0], {person[1], person[2], person[3]}, init));
    }
    ASSERT_NO_FATAL_FAILURE(StartTamperProxy());
  }

  // The professional `who` asks the standard question; returns the reference.
  std::string AskAs(const std::string& who) {
    ProcessResult ask =
        Samrad(who,
               {"ask", "--county", "07", "--category", "honour-violence", "--urgency", "normal",
                "--org", "school", "--age", "child", "--json"},
               kQuestion);
    EXPECT_EQ(ask.exit_code, 0) << ask.err << ProxyLog();
    const std::string ref = Reference(ask.out);
    EXPECT_EQ(ref.size(), 32u) << ask.out;
    return ref;
  }

  // `adviser_profile` claims and answers `ref` directly.
  void ClaimAndAnswer(const std::string& adviser_profile, const std::string& ref) {
    ProcessResult claim = Samrad(adviser_profile, {"claim", ref});
    ASSERT_EQ(claim.exit_code, 0) << claim.err;
    ProcessResult answer = Samrad(adviser_profile, {"answer", ref}, kAnswer);
    ASSERT_EQ(answer.exit_code, 0) << answer.err;
  }

  // Admin: edits the offline directory with `edit` (e.g. remove-adviser
  // rc-kronoberg a-2), signs the next epoch and publishes it directly.
  void PublishNextEpoch(const std::vector<std::string>& edit,
                        const std::vector<std::string>& sign_extra = {}) {
    if (!edit.empty()) {
      std::vector<std::string> args = {"admin", "directory"};
      args.insert(args.end(), edit.begin(), edit.end());
      ProcessResult edited = Samrad("admin", args);
      ASSERT_EQ(edited.exit_code, 0) << edited.err;
    }
    std::vector<std::string> sign = {"admin", "directory", "sign"};
    sign.insert(sign.end(), sign_extra.begin(), sign_extra.end());
    ProcessResult signed_now = Samrad("admin", sign);
    ASSERT_EQ(signed_now.exit_code, 0) << signed_now.err;
    ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
    ASSERT_EQ(publish.exit_code, 0) << publish.err;
  }
};

// The proxy with no rules changes nothing: a whole consultation through it
// (ask, queue, claim, answer, show, follow-up, close, audit) works, and what
// each side reads through the proxy equals what it reads directly.
TEST_F(TamperTest, TransparentProxyRunsAWholeConsultation) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string pro = ViaProxy("pro");
  const std::string adviser = ViaProxy("adviser");
  const std::string admin = ViaProxy("admin");

  const std::string ref = AskAs(pro);
  ASSERT_FALSE(ref.empty());
  ProcessResult queue = Samrad(adviser, {"queue", "--json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err << ProxyLog();
  EXPECT_TRUE(absl::StrContains(queue.out, ref)) << queue.out;
  ASSERT_NO_FATAL_FAILURE(ClaimAndAnswer(adviser, ref));
  ProcessResult followup = Samrad(pro, {"followup", ref}, kFollowup);
  ASSERT_EQ(followup.exit_code, 0) << followup.err;

  for (const auto& [direct, proxied] :
       std::vector<std::pair<std::string, std::string>>{{"pro", pro}, {"adviser", adviser}}) {
    ProcessResult through = Samrad(proxied, {"show", ref, "--json"});
    ASSERT_EQ(through.exit_code, 0) << through.err << ProxyLog();
    EXPECT_EQ(MessageCount(through.out), 3) << through.out;
    EXPECT_TRUE(absl::StrContains(through.out, "orosanmälan")) << through.out;
    EXPECT_TRUE(absl::StrContains(through.out, "Socialtjänsten har kontaktats")) << through.out;
    EXPECT_FALSE(absl::StrContains(through.out, "\"verified\":false")) << through.out;
    ProcessResult plain = Samrad(direct, {"show", ref, "--json"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(through.out, plain.out) << "the proxy changed what " << direct << " reads";
  }

  ProcessResult audit = Samrad(admin, {"admin", "audit", "--verify", "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err << ProxyLog();
  EXPECT_TRUE(absl::StrContains(audit.out, "\"chain_intact\":true")) << audit.out;
  ProcessResult close = Samrad(pro, {"close", ref});
  ASSERT_EQ(close.exit_code, 0) << close.err;
  ProcessResult closed = Samrad("adviser", {"queue", "--all", "--json"});
  EXPECT_TRUE(absl::StrContains(closed.out, R"("state":"closed")")) << closed.out;
  // The proxy changed nothing, so it logged no rewrite.
  EXPECT_FALSE(absl::StrContains(ProxyLog(), "->")) << ProxyLog();

  // The calls above really went through the proxy: a rules file it cannot
  // parse fails them, naming the line.
  ASSERT_NO_FATAL_FAILURE(SetTamperRules("no_such_rule 1\n"));
  ProcessResult refused = Samrad(pro, {"show", ref});
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_TRUE(absl::StrContains(refused.err, "tamper rules")) << refused.err;
  ASSERT_NO_FATAL_FAILURE(SetTamperRules(""));
  // A caller the proxy holds no identity for is not forwarded at all.
  ASSERT_NO_FATAL_FAILURE(AddPerson("late", {"professional", "07", "p-9"}, {}));
  ProcessResult stranger = Samrad(ViaProxy("late"), {"cases"});
  EXPECT_EQ(stranger.exit_code, 0) << "cases without cases needs no relay: " << stranger.err;
  ProcessResult unknown = Samrad(ViaProxy("late"),
                                 {"ask", "--county", "07", "--category", "honour-violence",
                                  "--urgency", "normal", "--org", "school", "--age", "child"},
                                 kQuestion);
  EXPECT_NE(unknown.exit_code, 0) << unknown.out;
  EXPECT_TRUE(absl::StrContains(unknown.err, "holds no identity")) << unknown.err;
  EXPECT_TRUE(absl::StrContains(ProxyLog(), "no --client-identity for caller")) << ProxyLog();
}

}  // namespace
}  // namespace samrad::client
