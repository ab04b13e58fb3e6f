// Issue 15 item 1 end to end: advisers work as a team. A newly enrolled
// adviser reads the unit's open cases once a colleague ran `samrad team
// share`, without the relay ever holding a key that opens them; an adviser
// removed from the directory reads nothing written after the removal. Real
// samrad-relay and samrad processes (tests/client/cli_relay_fixture.h).
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_relay_fixture.h"
#include "client/relay_client.h"
#include "crypto/random.h"
#include "gtest/gtest.h"
#include "proto/client.pb.h"
#include "proto/relay.grpc.pb.h"

namespace samrad::client {
namespace {

using testing::CliRelayTest;
using testing::ProcessResult;

constexpr int kExitNotFound = 5;   // ExitCode::kNotFound
constexpr int kExitKeystore = 6;   // ExitCode::kKeystore
constexpr int kExitDirectory = 7;  // ExitCode::kDirectory

const std::string kQuestion1 = "Hur stöttar vi en elev som är rädd för att giftas bort i sommar?\n";
const std::string kQuestion2 = "Vad gör vi när en vårdnadshavare vill ta med barnet utomlands?\n";
const std::string kAnswer = "Kontakta socialtjänsten i dag och gör en orosanmälan.\n";
const std::string kFollowup = "Socialtjänsten är kontaktad; vad gör skolan nu?\n";

class TeamShareTest : public CliRelayTest {
 protected:
  // Asks `text` as the professional; the case reference.
  std::string AskCase(const std::string& text) {
    ProcessResult ask = Ask(text);
    EXPECT_EQ(ask.exit_code, 0) << ask.err;
    const std::string ref = Reference(ask.out);
    EXPECT_EQ(ref.size(), 32u) << ask.out;
    return ref;
  }

  // Enrols adviser `id` of `unit` as the fixture enrols a-1 and a-2: a
  // certificate, a profile `who`, `samrad keygen`, and the admin adds the
  // bundle and publishes the next epoch.
  void Enrol(const std::string& who, const std::string& unit, const std::string& id) {
    ASSERT_NO_FATAL_FAILURE(AddPerson(who, {"adviser", unit, id}, {"--adviser-id", id}));
    const std::string bundle = dir().File(who + ".bundle.json");
    ProcessResult keygen = Samrad(who, {"keygen", "--out", bundle});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({"add-adviser", unit, bundle}));
  }

  // `samrad team share --json` as `who`, expected to succeed.
  std::string TeamShare(const std::string& who) {
    ProcessResult share = Samrad(who, {"team", "share", "--json"});
    EXPECT_EQ(share.exit_code, 0) << share.err;
    return share.out;
  }

  // Whether `show --json` as `who` prints `text` as a verified message.
  bool Reads(const std::string& who, const std::string& ref, const std::string& text) {
    ProcessResult show = Samrad(who, {"show", ref, "--json"});
    std::string escaped = text;
    if (!escaped.empty() && escaped.back() == '\n') escaped.replace(escaped.size() - 1, 1, "\\n");
    return absl::StrContains(show.out, escaped);
  }

  // A relay connection with the PKI certificate `cert` (no samrad profile).
  std::unique_ptr<RelayClient> Connect(const std::string& cert) {
    v1::ClientProfile profile;
    profile.set_relay_address("127.0.0.1:" + port());
    profile.set_client_cert_path(pki() + "/" + cert + ".crt");
    profile.set_client_key_path(pki() + "/" + cert + ".key");
    profile.set_ca_cert_path(pki() + "/ca.crt");
    auto relay = RelayClient::Create(profile);
    EXPECT_TRUE(relay.ok()) << relay.status();
    return relay.ok() ? *std::move(relay) : nullptr;
  }
};

// (a) Join: a-3 is enrolled after two questions; they cannot read them (a
// precise error, nothing sent) until a-1 runs `samrad team share`; then a-3
// reads and answers both. A second share adds nothing.
TEST_F(TeamShareTest, NewcomerReadsAndAnswersTheBacklogAfterAColleagueShares) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_FALSE(HasFatalFailure());
  const std::string ref1 = AskCase(kQuestion1);
  const std::string ref2 = AskCase(kQuestion2);
  ASSERT_EQ(Samrad("adviser", {"claim", ref1}).exit_code, 0);
  ProcessResult answered = Samrad("adviser", {"answer", ref1}, kAnswer);
  ASSERT_EQ(answered.exit_code, 0) << answered.err;
  ASSERT_NO_FATAL_FAILURE(Enrol("adviser3", "rc-kronoberg", "a-3"));

  EXPECT_FALSE(Reads("adviser3", ref1, kQuestion1));
  ProcessResult refused = Samrad("adviser3", {"answer", ref2}, kAnswer);
  EXPECT_EQ(refused.exit_code, kExitKeystore) << refused.out << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "samrad team share")) << refused.err;

  const std::string report = TeamShare("adviser");
  EXPECT_TRUE(absl::StrContains(report, R"("cases_shared":2)")) << report;
  EXPECT_TRUE(absl::StrContains(report, R"("messages_shared":3)")) << report;
  EXPECT_TRUE(absl::StrContains(report, R"("advisers":["a-3"])")) << report;
  EXPECT_TRUE(absl::StrContains(report, R"("refused":[])")) << report;
  ProcessResult text = Samrad("adviser", {"team", "share"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "Nothing to share")) << text.out;
  EXPECT_TRUE(absl::StrContains(TeamShare("adviser2"), R"("wraps_added":0)"));

  EXPECT_TRUE(Reads("adviser3", ref1, kQuestion1));
  EXPECT_TRUE(Reads("adviser3", ref1, kAnswer));
  ProcessResult show = Samrad("adviser3", {"show", ref2, "--json"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_FALSE(absl::StrContains(show.out, R"("verified":false)")) << show.out;
  ProcessResult answer = Samrad("adviser3", {"answer", ref2}, kAnswer);
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  // ref1 is a-1's claim: a-3 answers it once a-1 hands it over.
  ProcessResult handover = Samrad("adviser", {"handover", ref1, "a-3"});
  ASSERT_EQ(handover.exit_code, 0) << handover.err;
  ProcessResult answer1 = Samrad("adviser3", {"answer", ref1}, kAnswer);
  ASSERT_EQ(answer1.exit_code, 0) << answer1.err;
  EXPECT_TRUE(Reads("pro", ref2, kAnswer));
  EXPECT_TRUE(Reads("adviser", ref2, kAnswer));
}

// (b) A case opened while nobody of the unit was online: the professional
// asks, a-3 is enrolled, and no adviser command ran in between (no client
// of the unit has seen the case or the new epoch). a-2's first command is
// the share; a-3 then reads the question and a follow-up sent after joining.
TEST_F(TeamShareTest, CaseOpenedWhileNobodyWasOnlineIsShared) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_FALSE(HasFatalFailure());
  const std::string ref = AskCase(kQuestion1);
  ASSERT_NO_FATAL_FAILURE(Enrol("adviser3", "rc-kronoberg", "a-3"));
  ProcessResult followup = Samrad("pro", {"followup", ref}, kFollowup);
  ASSERT_EQ(followup.exit_code, 0) << followup.err;

  const std::string report = TeamShare("adviser2");
  EXPECT_TRUE(absl::StrContains(report, R"("cases_shared":1)")) << report;
  // Only the question needed a wrap: the follow-up was sealed for a-3.
  EXPECT_TRUE(absl::StrContains(report, R"("messages_shared":1)")) << report;
  EXPECT_TRUE(Reads("adviser3", ref, kQuestion1));
  EXPECT_TRUE(Reads("adviser3", ref, kFollowup));
  ProcessResult answer = Samrad("adviser3", {"answer", ref}, kAnswer);
  EXPECT_EQ(answer.exit_code, 0) << answer.err;
}

// (c) Leave: a-2 is removed in a new epoch. The professional's next
// follow-up is sealed without a-2, a share to the newcomer never includes
// a-2, and a-2 can no longer share. What a-2 read before stays readable.
TEST_F(TeamShareTest, RemovedAdviserReadsNothingWrittenAfterRemoval) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_FALSE(HasFatalFailure());
  const std::string ref = AskCase(kQuestion1);
  ASSERT_TRUE(Reads("adviser2", ref, kQuestion1));
  ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({"remove-adviser", "rc-kronoberg", "a-2"}));
  ProcessResult followup = Samrad("pro", {"followup", ref}, kFollowup);
  ASSERT_EQ(followup.exit_code, 0) << followup.err;
  ProcessResult answer = Samrad("adviser", {"answer", ref}, kAnswer);
  ASSERT_EQ(answer.exit_code, 0) << answer.err;

  EXPECT_TRUE(Reads("adviser", ref, kFollowup));
  EXPECT_FALSE(Reads("adviser2", ref, kFollowup));
  EXPECT_FALSE(Reads("adviser2", ref, kAnswer));

  ASSERT_NO_FATAL_FAILURE(Enrol("adviser3", "rc-kronoberg", "a-3"));
  const std::string report = TeamShare("adviser");
  EXPECT_TRUE(absl::StrContains(report, R"("advisers":["a-3"])")) << report;
  EXPECT_TRUE(Reads("adviser3", ref, kFollowup));
  EXPECT_FALSE(Reads("adviser2", ref, kFollowup)) << "a share reached the removed adviser";
  ProcessResult audit = Samrad("admin", {"admin", "audit", "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_TRUE(absl::StrContains(audit.out, "to=a-3")) << audit.out;
  EXPECT_FALSE(absl::StrContains(audit.out, "to=a-2")) << audit.out;

  ProcessResult removed = Samrad("adviser2", {"team", "share"});
  EXPECT_EQ(removed.exit_code, kExitDirectory) << removed.out << removed.err;
  EXPECT_TRUE(absl::StrContains(removed.err, "not listed")) << removed.err;
}

// (d) The relay itself refuses a share from an adviser of another unit (the
// case is not visible to them) and a wrap to a key id that is no adviser of
// the case's unit, whatever a client sends.
TEST_F(TeamShareTest, RelayRefusesForeignAdvisersAndForeignKeys) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_FALSE(HasFatalFailure());
  const std::string ref = AskCase(kQuestion1);
  ASSERT_NO_FATAL_FAILURE(Enrol("skane", "rc-skane", "s-1"));
  std::unique_ptr<RelayClient> a1 = Connect("adviser-rc-kronoberg-a-1");
  std::unique_ptr<RelayClient> s1 = Connect("adviser-rc-skane-s-1");
  ASSERT_TRUE(a1 != nullptr && s1 != nullptr);
  v1::GetThreadRequest get;
  get.set_thread_id(ref);
  v1::ThreadView view;
  ASSERT_TRUE(a1->Call(Msg::kActionReadCase, [&](auto& ctx) {
                  return a1->stub().GetThread(&ctx, get, &view);
                }).ok());
  ASSERT_EQ(view.messages_size(), 1);

  v1::ShareThreadRequest share;
  share.set_thread_id(ref);
  v1::MessageRewrap* rewrap = share.add_rewraps();
  rewrap->set_message_id(view.messages(0).message_id());
  v1::WrappedKey* wrap = rewrap->add_recipients();
  wrap->set_key_id(crypto::RandomString(16));
  wrap->set_enc(crypto::RandomString(32));
  wrap->set_ciphertext(crypto::RandomString(48));
  v1::ShareThreadReply reply;
  absl::Status foreign_key = a1->Call(Msg::kActionShareCase, [&](auto& ctx) {
    return a1->stub().ShareThread(&ctx, share, &reply);
  });
  EXPECT_EQ(foreign_key.code(), absl::StatusCode::kInvalidArgument) << foreign_key;
  EXPECT_TRUE(absl::StrContains(foreign_key.message(), "not the encryption key of an adviser"))
      << foreign_key;
  absl::Status foreign_adviser = s1->Call(Msg::kActionShareCase, [&](auto& ctx) {
    return s1->stub().ShareThread(&ctx, share, &reply);
  });
  EXPECT_EQ(foreign_adviser.code(), absl::StatusCode::kNotFound) << foreign_adviser;
  // The CLI of an adviser of another unit finds nothing of rc-kronoberg's.
  ProcessResult skane = Samrad("skane", {"team", "share", "--json"});
  EXPECT_EQ(skane.exit_code, 0) << skane.err;
  EXPECT_TRUE(absl::StrContains(skane.out, R"("cases_examined":0)")) << skane.out;
  ProcessResult show = Samrad("skane", {"show", ref});
  EXPECT_EQ(show.exit_code, kExitNotFound) << show.err;
}

}  // namespace
}  // namespace samrad::client
