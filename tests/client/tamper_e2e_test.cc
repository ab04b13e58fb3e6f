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
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/envelope.pb.h"
#include "proto/records.pb.h"
#include "tests/server/health.grpc.pb.h"

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
bool Mentions(const std::string& text, const std::string& needle) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(needle));
}

// The unit named in the envelope header of the StoredMessage in `file`.
std::string SealedUnit(const std::string& file) {
  v1::StoredMessage stored;
  v1::SealedEnvelope envelope;
  v1::EnvelopeHeader header;
  const std::string bytes = ReadFileToString(file).value_or("");
  if (!stored.ParseFromString(bytes) || !envelope.ParseFromString(stored.envelope()) ||
      !header.ParseFromString(envelope.header())) {
    return "?";
  }
  return header.unit();
}

// How often `needle` occurs in `text`.
int Occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// How many messages `show --json` printed.
int MessageCount(const std::string& json) {
  const std::regex sequence("\"sequence\":[0-9]+");
  return static_cast<int>(std::distance(std::sregex_iterator(json.begin(), json.end(), sequence),
                                        std::sregex_iterator()));
}

// The messages of `show --json` output, one string each.
std::vector<std::string> MessageObjects(const std::string& json) {
  std::vector<std::string> out;
  size_t at = json.find("{\"sequence\":");
  while (at != std::string::npos) {
    const size_t next = json.find("{\"sequence\":", at + 1);
    out.push_back(json.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  return out;
}

// Whether `show --json` output presents a message of `adviser_id` as verified.
bool ShowsVerifiedFrom(const std::string& json, const std::string& adviser_id) {
  for (const std::string& message : MessageObjects(json)) {
    if (absl::StrContains(message, "\"adviser_id\":\"" + adviser_id + "\"") &&
        absl::StrContains(message, "\"verified\":true")) {
      return true;
    }
  }
  return false;
}

const std::vector<std::string> kAskArgs = {
    "ask",   "--county", "07",    "--category", "honour-violence", "--urgency", "normal",
    "--org", "school",   "--age", "child"};

// The client's wall clock `days` ahead (tests/client/time_shift.c).
std::map<std::string, std::string> DaysLater(int days) {
  return {{"LD_PRELOAD", SAMRAD_TIME_SHIFT_LIB},
          {"SAMRAD_TEST_TIME_SHIFT_SECONDS", absl::StrCat(int64_t{days} * 86400)}};
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
    std::vector<std::string> args = kAskArgs;
    args.push_back("--json");
    ProcessResult ask = Samrad(who, args, kQuestion);
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
  ProcessResult unknown = Samrad(ViaProxy("late"), kAskArgs, kQuestion);
  EXPECT_NE(unknown.exit_code, 0) << unknown.out;
  EXPECT_TRUE(absl::StrContains(unknown.err, "holds no identity")) << unknown.err;
  EXPECT_TRUE(absl::StrContains(ProxyLog(), "no --client-identity for caller")) << ProxyLog();
}

// --- The attacks of issue 14. Each fails on a client without its fix. ---

// Promise 1: a follow-up goes only to the thread's real unit. The relay's
// summary says rc-skane (which has an adviser); the client must take the
// unit from signed data, refuse, and send nothing.
TEST_F(TamperTest, FollowUpIsNotRedirectedToTheUnitTheRelayNames) {
  ASSERT_NO_FATAL_FAILURE(
      StartWithProxy({{"skane", "adviser", "rc-skane", "s-1", "--adviser-id", "s-1"}}));
  const std::string bundle = dir().File("skane.bundle.json");
  ASSERT_EQ(Samrad("skane", {"keygen", "--out", bundle}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({"add-adviser", "rc-skane", bundle}));
  const std::string ref = AskAs("pro");  // routed to rc-kronoberg by county 07
  ASSERT_FALSE(ref.empty());
  ProcessResult before = Samrad("pro", {"show", ref, "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const std::string pro = ViaProxy("pro");

  // The compromised relay keeps whatever is posted (the real relay would
  // refuse a header naming rc-skane; a compromised one stores it for Skåne).
  const std::string leaked = dir().File("leaked-followup.msg");
  ASSERT_NO_FATAL_FAILURE(SetTamperRules("summary_unit rc-skane\nswallow_post " + leaked + "\n"));
  ProcessResult followup = Samrad(pro, {"followup", ref}, kFollowup);
  EXPECT_EQ(followup.exit_code, kExitDirectory)
      << "PROMISE 1 BROKEN: samrad followup accepted the unit the relay named (rc-skane) "
         "instead of the thread's signed unit (rc-kronoberg)\n"
      << followup.out << followup.err;
  EXPECT_TRUE(Mentions(followup.err, "may be compromised")) << followup.err;
  EXPECT_FALSE(PathExists(leaked)) << "PROMISE 1 BROKEN: a follow-up sealed for unit \""
                                   << SealedUnit(leaked) << "\" left the client\n"
                                   << ProxyLog();
  ProcessResult show = Samrad(pro, {"show", ref});
  EXPECT_EQ(show.exit_code, kExitDirectory)
      << "PROMISE 1 BROKEN: samrad show accepted a summary naming another unit\n"
      << show.err;
  EXPECT_TRUE(Mentions(show.err, "may be compromised")) << show.err;

  // Nothing was posted: the relay holds the thread as it was.
  ASSERT_NO_FATAL_FAILURE(SetTamperRules(""));
  ProcessResult after = Samrad("pro", {"show", ref, "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(MessageCount(after.out), MessageCount(before.out))
      << "PROMISE 1 BROKEN: a follow-up sealed for rc-skane reached the relay\n"
      << after.out;
}

// Promise 2, regression: a client that has seen epoch 2 refuses epoch 1
// served again (rollback). Holds before issue 14 too.
TEST_F(TamperTest, DirectoryRollbackIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string pro = ViaProxy("pro");
  const std::string epoch1 = dir().File("epoch1.directory");
  ASSERT_NO_FATAL_FAILURE(SetTamperRules("record_directory " + epoch1 + "\n"));
  ASSERT_FALSE(AskAs(pro).empty());
  ASSERT_TRUE(PathExists(epoch1)) << ProxyLog();
  ASSERT_NO_FATAL_FAILURE(SetTamperRules(""));
  ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({"remove-adviser", "rc-kronoberg", "a-2"}));
  ASSERT_FALSE(AskAs("pro").empty());  // the client has now seen epoch 2

  ASSERT_NO_FATAL_FAILURE(SetTamperRules("serve_directory " + epoch1 + "\n"));
  ProcessResult ask = Samrad(pro, kAskArgs, kQuestion);
  EXPECT_EQ(ask.exit_code, kExitDirectory) << "rollback to epoch 1 accepted\n" << ask.err;
  EXPECT_TRUE(Mentions(ask.err, "rollback")) << ask.err;
}

// Promise 2: a directory goes stale. A professional who has only ever seen
// epoch 1 is served epoch 1 for ever by the relay although the admin removed
// a-2 in epoch 2; 15 days later (directories are valid 14 days by default)
// the client refuses it as expired and seals nothing. After the admin's
// `directory refresh`, asking works again at that clock.
TEST_F(TamperTest, ExpiredDirectoryIsRefusedAndRefreshHelps) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy({{"fresh", "professional", "07", "p-2"}}));
  const std::string fresh = ViaProxy("fresh");
  const std::string epoch1 = dir().File("epoch1.directory");
  ASSERT_NO_FATAL_FAILURE(SetTamperRules("record_directory " + epoch1 + "\n"));
  ASSERT_FALSE(AskAs(fresh).empty());  // seen: epoch 1 only
  ASSERT_NO_FATAL_FAILURE(SetTamperRules(""));
  ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({"remove-adviser", "rc-kronoberg", "a-2"}));

  ASSERT_NO_FATAL_FAILURE(SetTamperRules("serve_directory " + epoch1 + "\n"));
  const int submits_before = Occurrences(ProxyLog(), "call SubmitConsultation ");
  ProcessResult ask = SamradWithEnv(fresh, kAskArgs, DaysLater(15), kQuestion);
  EXPECT_EQ(ask.exit_code, kExitDirectory)
      << "PROMISE 2 BROKEN: a 15-day-old directory (epoch 1, a-2 still listed) was used\n"
      << ask.out << ask.err;
  EXPECT_TRUE(Mentions(ask.err, "expired")) << ask.err;
  EXPECT_EQ(Occurrences(ProxyLog(), "call SubmitConsultation "), submits_before)
      << "PROMISE 2 BROKEN: a question sealed under the expired directory (to a-2, removed "
         "in epoch 2) left the client\n"
      << ProxyLog();

  // The admin refreshes (same content, new epoch and date) and publishes.
  ProcessResult refresh = Samrad("admin", {"admin", "directory", "refresh", "--valid-days", "30"});
  ASSERT_EQ(refresh.exit_code, 0) << "samrad admin directory refresh: " << refresh.err;
  ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;
  ASSERT_NO_FATAL_FAILURE(SetTamperRules(""));
  ProcessResult later = SamradWithEnv(fresh, kAskArgs, DaysLater(15), kQuestion);
  EXPECT_EQ(later.exit_code, 0) << "after a refresh, asking 15 days later must work\n" << later.err;
}

// Promise 2, the relay side: health reports NOT_SERVING for the service
// "samrad.v1.Directory" while the published directory expires within 2 days,
// and SERVING again after a refresh with the default validity.
TEST_F(TamperTest, RelayHealthWarnsBeforeTheDirectoryExpires) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({}, {"--valid-days", "1"}));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileToString(pki() + "/ca.crt").value_or("");
  ssl.pem_cert_chain = ReadFileToString(pki() + "/admin-national-ops-1.crt").value_or("");
  ssl.pem_private_key = ReadFileToString(pki() + "/admin-national-ops-1.key").value_or("");
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel("127.0.0.1:" + port(), grpc::SslCredentials(ssl)));
  const auto directory_health = [&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("samrad.v1.Directory");
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << "health of samrad.v1.Directory: " << status.error_code() << " "
                             << status.error_message();
    return status.ok() ? response.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  };
  EXPECT_EQ(directory_health(), grpc::health::v1::HealthCheckResponse::NOT_SERVING)
      << "PROMISE 2 BROKEN: a directory valid for 1 day does not turn the relay's directory "
         "health NOT_SERVING";
  EXPECT_TRUE(Mentions(RelayLog(), "expire")) << RelayLog();

  ProcessResult refresh = Samrad("admin", {"admin", "directory", "refresh"});
  ASSERT_EQ(refresh.exit_code, 0) << "samrad admin directory refresh: " << refresh.err;
  ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;
  EXPECT_EQ(directory_health(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Promise 3: removed signers are not trusted. a-2 answers in epoch 1, then
// the admin removes a-2 (epoch 2): the professional's client must no longer
// present that answer as verified.
TEST_F(TamperTest, AnswerOfARemovedAdviserIsNotVerified) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string ref = AskAs("pro");
  ASSERT_FALSE(ref.empty());
  ASSERT_NO_FATAL_FAILURE(ClaimAndAnswer("adviser2", ref));
  ProcessResult trusted = Samrad("pro", {"show", ref, "--json"});
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  ASSERT_TRUE(ShowsVerifiedFrom(trusted.out, "a-2")) << "a-2 is listed in epoch 1\n" << trusted.out;
  ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({"remove-adviser", "rc-kronoberg", "a-2"}));

  ProcessResult show = Samrad("pro", {"show", ref});
  EXPECT_EQ(show.exit_code, kExitDirectory)
      << "PROMISE 3 BROKEN: the answer of a-2, removed in epoch 2, is shown without complaint\n"
      << show.out << show.err;
  EXPECT_TRUE(Mentions(show.err, "no longer in the directory")) << show.err;
  ProcessResult json = Samrad("pro", {"show", ref, "--json"});
  EXPECT_FALSE(ShowsVerifiedFrom(json.out, "a-2"))
      << "PROMISE 3 BROKEN: a-2's answer is labelled verified after a-2 was removed\n"
      << json.out;
}

// Promise 3 with the relay's help: after removal, a-2 (still holding its
// keys and its certificate) answers another case of epoch 1 through the
// compromised relay, which keeps the answer (swallow_post) and injects it
// into what the professional reads. Never verified.
TEST_F(TamperTest, AnswerInjectedByARemovedAdviserIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string epoch1 = dir().File("epoch1.directory");
  const std::string adviser2 = ViaProxy("adviser2");
  ASSERT_NO_FATAL_FAILURE(SetTamperRules("record_directory " + epoch1 + "\n"));
  const std::string ref = AskAs(ViaProxy("pro"));  // sealed to a-1 and a-2
  ASSERT_FALSE(ref.empty());
  ProcessResult read = Samrad(adviser2, {"show", ref});  // a-2 has seen epoch 1 only
  ASSERT_EQ(read.exit_code, 0) << read.err;
  ASSERT_NO_FATAL_FAILURE(SetTamperRules(""));
  ASSERT_NO_FATAL_FAILURE(PublishNextEpoch({"remove-adviser", "rc-kronoberg", "a-2"}));
  ProcessResult direct = Samrad("pro", {"show", ref});  // the professional has seen epoch 2
  ASSERT_EQ(direct.exit_code, 0) << direct.err;

  const std::string forged = dir().File("forged-answer.msg");
  ASSERT_NO_FATAL_FAILURE(
      SetTamperRules("serve_directory " + epoch1 + "\nswallow_post " + forged + "\n"));
  ProcessResult answer = Samrad(adviser2, {"answer", ref}, "Ni behöver inte göra något.\n");
  ASSERT_EQ(answer.exit_code, 0) << answer.err << ProxyLog();
  ASSERT_TRUE(PathExists(forged)) << ProxyLog();

  ASSERT_NO_FATAL_FAILURE(SetTamperRules("inject_message " + forged + "\n"));
  ProcessResult show = Samrad(ViaProxy("pro"), {"show", ref});
  EXPECT_EQ(show.exit_code, kExitDirectory)
      << "PROMISE 3 BROKEN: an answer signed by removed adviser a-2 and injected by the relay "
         "is accepted\n"
      << show.out << show.err;
  EXPECT_TRUE(Mentions(show.err, "no longer in the directory")) << show.err;
  ProcessResult json = Samrad(ViaProxy("pro"), {"show", ref, "--json"});
  EXPECT_FALSE(ShowsVerifiedFrom(json.out, "a-2"))
      << "PROMISE 3 BROKEN: the injected answer of a-2 is labelled verified\n"
      << json.out;
}

// Promise 4: a hidden answer is detected. Thread: question (1), a-1's answer
// (2), follow-up (3); the relay drops 2, for the professional and the adviser.
TEST_F(TamperTest, DroppedAnswerIsDetected) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string ref = AskAs("pro");
  ASSERT_FALSE(ref.empty());
  ASSERT_NO_FATAL_FAILURE(ClaimAndAnswer("adviser", ref));
  ASSERT_EQ(Samrad("pro", {"followup", ref}, kFollowup).exit_code, 0);

  ASSERT_NO_FATAL_FAILURE(SetTamperRules("drop_sequence 2\n"));
  for (const std::string who : {"pro", "adviser"}) {
    ProcessResult show = Samrad(ViaProxy(who), {"show", ref});
    EXPECT_EQ(show.exit_code, kExitDirectory)
        << "PROMISE 4 BROKEN: " << who << " was shown the thread without answer 2 as if whole\n"
        << show.out << show.err;
    EXPECT_TRUE(Mentions(show.err, "message 2 is missing")) << who << ": " << show.err;
  }
}

// Promise 4: a cut-off end is detected. The professional has read 3 messages
// directly; the relay later shows only 1 and 2 (a consistent chain).
TEST_F(TamperTest, CutOffEndIsDetected) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string ref = AskAs("pro");
  ASSERT_FALSE(ref.empty());
  ASSERT_NO_FATAL_FAILURE(ClaimAndAnswer("adviser", ref));
  ASSERT_EQ(Samrad("pro", {"followup", ref}, kFollowup).exit_code, 0);
  ProcessResult seen = Samrad("pro", {"show", ref, "--json"});
  ASSERT_EQ(seen.exit_code, 0) << seen.err;
  ASSERT_EQ(MessageCount(seen.out), 3) << seen.out;

  ASSERT_NO_FATAL_FAILURE(SetTamperRules("truncate_after 2\n"));
  ProcessResult show = Samrad(ViaProxy("pro"), {"show", ref});
  EXPECT_EQ(show.exit_code, kExitDirectory)
      << "PROMISE 4 BROKEN: the relay cut message 3 after the client had seen it\n"
      << show.out << show.err;
  EXPECT_TRUE(Mentions(show.err, "fewer messages")) << show.err;
}

// Promise 6: the admin remembers the last verified audit entry; a chain
// that no longer reaches it (cut below it) is refused.
TEST_F(TamperTest, TruncatedAuditChainIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string ref = AskAs("pro");
  ASSERT_FALSE(ref.empty());
  ASSERT_NO_FATAL_FAILURE(ClaimAndAnswer("adviser", ref));
  ASSERT_EQ(Samrad("pro", {"show", ref}).exit_code, 0);
  ProcessResult anchor = Samrad("admin", {"admin", "audit", "--verify", "--json"});
  ASSERT_EQ(anchor.exit_code, 0) << anchor.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(anchor.out, match, std::regex("\"chain_length\":([0-9]+)")))
      << anchor.out;
  const int verified = std::stoi(match[1].str());
  ASSERT_GE(verified, 3) << anchor.out;
  ASSERT_EQ(Samrad("pro", {"followup", ref}, kFollowup).exit_code, 0);  // more entries
  ASSERT_EQ(Samrad("adviser", {"show", ref}).exit_code, 0);

  ASSERT_NO_FATAL_FAILURE(SetTamperRules(absl::StrCat("audit_truncate ", verified - 1, "\n")));
  ProcessResult cut = Samrad(ViaProxy("admin"), {"admin", "audit", "--verify"});
  EXPECT_EQ(cut.exit_code, kExitDirectory)
      << "PROMISE 6 BROKEN: an audit chain cut below the verified entry " << verified
      << " was accepted\n"
      << cut.out << cut.err;
  EXPECT_TRUE(Mentions(cut.err, "does not extend")) << cut.err;
}

// Promise 6: a chain rewritten from entry 1 on (every hash recomputed, so it
// verifies internally) does not extend the remembered entry either.
TEST_F(TamperTest, RewrittenAuditChainIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWithProxy());
  const std::string ref = AskAs("pro");
  ASSERT_FALSE(ref.empty());
  ProcessResult anchor = Samrad("admin", {"admin", "audit", "--verify"});
  ASSERT_EQ(anchor.exit_code, 0) << anchor.err;
  ASSERT_NO_FATAL_FAILURE(ClaimAndAnswer("adviser", ref));

  ASSERT_NO_FATAL_FAILURE(SetTamperRules("audit_rewrite 1 rewritten by the relay\n"));
  ProcessResult rewritten = Samrad(ViaProxy("admin"), {"admin", "audit", "--verify"});
  EXPECT_TRUE(absl::StrContains(rewritten.out, "rewritten by the relay")) << rewritten.out;
  EXPECT_EQ(rewritten.exit_code, kExitDirectory)
      << "PROMISE 6 BROKEN: an audit chain rewritten from entry 1 was accepted\n"
      << rewritten.out << rewritten.err;
  EXPECT_TRUE(Mentions(rewritten.err, "does not extend")) << rewritten.err;
}

}  // namespace
}  // namespace samrad::client
