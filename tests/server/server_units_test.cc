// Unit tests of the relay's parts that need no running server: config,
// identities (with certificates from certs/samrad-pki.sh), the method table,
// validation, limits, the event hub, and the PKI script's own refusals.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/authz.h"
#include "server/config.h"
#include "server/event_hub.h"
#include "server/event_stream.h"
#include "server/identity.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/status.h"
#include "server/validation.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server {
namespace {

using testing::ReadFile;
using testing::RunPki;
using testing::SharedPki;
using testing::TempDir;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- config ----

constexpr char kMinimalConfig[] = R"pb(
  tls { cert_file: "r.crt" key_file: "r.key" client_ca_file: "ca.crt" }
  data_dir: "/var/lib/samrad"
  kek_file: "/etc/samrad/kek"
  directory_public_key_file: "/etc/samrad/directory.pub"
)pb";

TEST(ConfigTest, MinimalConfigGetsDocumentedDefaults) {
  auto config = ParseRelayConfigText(kMinimalConfig, "test.textproto");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(FinalizeConfig(*config).ok());
  EXPECT_EQ(config->listen_address(), "127.0.0.1:7443");
  EXPECT_EQ(config->limits().max_envelope_bytes(), 256u * 1024);
  EXPECT_EQ(config->limits().proof_window_seconds(), 120u);
  EXPECT_EQ(config->retention().closed_days(), 90u);
  EXPECT_EQ(config->retention().inactive_days(), 30u);
  EXPECT_EQ(config->tls().refresh_interval_seconds(), 60u);
  EXPECT_EQ(config->backup_keep(), 7u);
}

TEST(ConfigTest, BackupKeepZeroOrTooManyIsRefusedNamingTheField) {
  for (const char* keep : {"0", "1001"}) {
    auto config = ParseRelayConfigText(std::string(kMinimalConfig) + "backup_keep: " + keep, "t");
    ASSERT_TRUE(config.ok());
    absl::Status s = FinalizeConfig(*config);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << keep;
    EXPECT_EQ(s.message(),
              absl::StrCat("backup_keep is ", keep, "; it must be between 1 and 1000"));
  }
  auto config = ParseRelayConfigText(std::string(kMinimalConfig) + "backup_keep: 2", "t");
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(FinalizeConfig(*config).ok());
  EXPECT_EQ(config->backup_keep(), 2u);
}

TEST(ConfigTest, ShippedExampleConfigIsValid) {
  auto config = ParseRelayConfigFile(SAMRAD_SOURCE_DIR "/deploy/relay.textproto");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(FinalizeConfig(*config).ok());
}

TEST(ConfigTest, UnknownFieldIsRefusedWithLineAndColumn) {
  auto config =
      ParseRelayConfigText("data_dir: \"x\"\nlisten_adress: \"a:1\"\n", "relay.textproto");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("relay.textproto:2:"), std::string::npos)
      << config.status();
  EXPECT_NE(config.status().message().find("listen_adress"), std::string::npos);
}

TEST(ConfigTest, OutOfRangeFieldIsNamed) {
  auto config =
      ParseRelayConfigText(std::string(kMinimalConfig) + "limits { proof_window_seconds: 2 }", "t");
  ASSERT_TRUE(config.ok());
  absl::Status s = FinalizeConfig(*config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("limits.proof_window_seconds"), std::string::npos) << s;
}

TEST(ConfigTest, MissingRequiredFieldIsNamed) {
  auto config = ParseRelayConfigText("data_dir: \"x\"", "t");
  ASSERT_TRUE(config.ok());
  absl::Status s = FinalizeConfig(*config);
  EXPECT_NE(s.message().find("tls.cert_file"), std::string::npos) << s;
}

TEST(ConfigTest, BothKekSourcesAreRefused) {
  auto config = ParseRelayConfigText(std::string(kMinimalConfig) + "kek_env: \"SAMRAD_KEK\"", "t");
  ASSERT_TRUE(config.ok());
  EXPECT_NE(FinalizeConfig(*config).message().find("kek_file"), std::string::npos);
}

TEST(ConfigTest, PublicKeyFileTakesRawOrHex) {
  TempDir dir;
  const std::string raw(32, '\x07');
  testing::WriteFile(dir.path() + "/raw", raw);
  testing::WriteFile(dir.path() + "/hex", std::string(64, 'a') + "\n");
  testing::WriteFile(dir.path() + "/bad", "short");
  EXPECT_EQ(*LoadPublicKeyFile(dir.path() + "/raw"), raw);
  EXPECT_EQ(LoadPublicKeyFile(dir.path() + "/hex")->size(), 32u);
  EXPECT_EQ(LoadPublicKeyFile(dir.path() + "/bad").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadPublicKeyFile(dir.path() + "/none").status().code(), absl::StatusCode::kNotFound);
}

// ---- identity ----

TEST(IdentityTest, ParsesEachRole) {
  auto pro = ParseSamradUri("samrad://professional/07/p-3f9a");
  ASSERT_TRUE(pro.ok());
  EXPECT_EQ(pro->role, Role::kProfessional);
  EXPECT_EQ(pro->scope, "07");
  EXPECT_EQ(pro->id, "p-3f9a");
  auto adviser = ParseSamradUri("samrad://adviser/rc-kronoberg/a-12");
  ASSERT_TRUE(adviser.ok());
  EXPECT_EQ(adviser->role, Role::kAdviser);
  auto admin = ParseSamradUri("samrad://admin/national/ops-1");
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->role, Role::kAdmin);
}

TEST(IdentityTest, RefusesMalformedUris) {
  for (const char* uri :
       {"samrad://professional/99/p", "samrad://professional/7/p", "samrad://root/x/y",
        "samrad://adviser/RC/a", "samrad://adviser/rc/a/b", "https://adviser/rc/a",
        "samrad://adviser/rc/", "samrad://adviser/rc/a b"}) {
    EXPECT_EQ(ParseSamradUri(uri).status().code(), absl::StatusCode::kUnauthenticated) << uri;
  }
}

class PeerVerifierTest : public ::testing::Test {
 protected:
  std::unique_ptr<PeerVerifier> Verifier(std::function<int64_t()> clock = Now) {
    auto v = PeerVerifier::New(SharedPki().dir + "/ca.crt", 1000, std::move(clock));
    EXPECT_TRUE(v.ok()) << v.status();
    return *std::move(v);
  }
};

TEST_F(PeerVerifierTest, VerifiesScriptIssuedCertificateAndReadsSanAndSerial) {
  auto identity = Verifier()->Verify(ReadFile(SharedPki().Cert("adviser-rc-kronoberg-a-1")), "");
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->role, Role::kAdviser);
  EXPECT_EQ(identity->scope, "rc-kronoberg");
  EXPECT_EQ(identity->id, "a-1");
  EXPECT_EQ(identity->uri, "samrad://adviser/rc-kronoberg/a-1");
  EXPECT_FALSE(identity->serial_hex.empty());
  EXPECT_EQ(identity->serial_hex.size() % 2, 0u);
}

TEST_F(PeerVerifierTest, RefusesExpiredForeignServerAndMissingCertificates) {
  auto verifier = Verifier();
  EXPECT_EQ(verifier->Verify("", "").status().code(), absl::StatusCode::kUnauthenticated);
  auto expired = verifier->Verify(ReadFile(SharedPki().Cert("expired")), "");
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  auto foreign = verifier->Verify(ReadFile(SharedPki().other_dir + "/professional-07-p-1.crt"), "");
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kUnauthenticated);
  // The relay's own certificate is for serverAuth only.
  auto server = verifier->Verify(ReadFile(SharedPki().Cert("relay")), "");
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(PeerVerifierTest, CachedIdentityStillExpiresWithTheClock) {
  // Read the certificate first: the shared PKI is made on first use, and a
  // clock read before that would predate the certificate's notBefore.
  const std::string pem = ReadFile(SharedPki().Cert("professional-07-p-1"));
  std::atomic<int64_t> now{Now()};
  auto verifier = Verifier([&] { return now.load(); });
  auto first = verifier->Verify(pem, "");
  ASSERT_TRUE(first.ok()) << first.status();
  now += int64_t{2} * 365 * 24 * 3600 * 1000;  // past the 365-day lifetime
  EXPECT_EQ(verifier->Verify(pem, "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(PeerVerifierTest, ReplacedCaFileIsPickedUpWithoutRestart) {
  TempDir dir;
  const std::string ca = dir.path() + "/ca.crt";
  testing::WriteFile(ca, ReadFile(SharedPki().dir + "/ca.crt"));
  std::atomic<int64_t> now{Now()};
  auto v = PeerVerifier::New(ca, 1000, [&] { return now.load(); });
  ASSERT_TRUE(v.ok());
  const std::string foreign = ReadFile(SharedPki().other_dir + "/professional-07-p-1.crt");
  EXPECT_EQ((*v)->Verify(foreign, "").status().code(), absl::StatusCode::kUnauthenticated);
  // Extend the bundle with the other CA (new mtime), then let the interval pass.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  testing::WriteFile(
      ca, ReadFile(SharedPki().dir + "/ca.crt") + ReadFile(SharedPki().other_dir + "/ca.crt"));
  now += 2000;
  EXPECT_TRUE((*v)->Verify(foreign, "").ok());
}

// ---- authz ----

TEST(AuthzTest, TableAllowsAndRefusesPerRole) {
  EXPECT_TRUE(AuthorizeMethod(method::kSubmitConsultation, Role::kProfessional, "07").ok());
  EXPECT_EQ(AuthorizeMethod(method::kSubmitConsultation, Role::kAdviser, "u").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeMethod(method::kClaimThread, Role::kAdviser, "u").ok());
  EXPECT_EQ(AuthorizeMethod(method::kClaimThread, Role::kProfessional, "07").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeMethod(method::kPublishDirectory, Role::kAdmin, kNationalScope).ok());
  EXPECT_EQ(AuthorizeMethod(method::kGetThread, Role::kAdmin, kNationalScope).code(),
            absl::StatusCode::kPermissionDenied);
  for (Role r : {Role::kProfessional, Role::kAdviser, Role::kAdmin}) {
    EXPECT_TRUE(AuthorizeMethod(method::kGetDirectory, r, "u").ok());
    EXPECT_EQ(AuthorizeMethod("/samrad.v1.Relay/Unlisted", r, kNationalScope).code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST(AuthzTest, SomeAdminMethodsAreForNationalAdminsOnly) {
  for (const char* m : {method::kPublishDirectory, method::kBackup, method::kRunRetention,
                        method::kUnrevokeCertificate, method::kListBackups}) {
    EXPECT_TRUE(AuthorizeMethod(m, Role::kAdmin, kNationalScope).ok()) << m;
    absl::Status unit = AuthorizeMethod(m, Role::kAdmin, "rc-kronoberg");
    EXPECT_EQ(unit.code(), absl::StatusCode::kPermissionDenied) << m;
    EXPECT_NE(unit.message().find("national admins"), absl::string_view::npos) << unit.message();
  }
  for (const char* m : {method::kRevokeCertificate, method::kGetAuditLog, method::kGetStats,
                        method::kListRevoked, method::kForceReleaseThread}) {
    EXPECT_TRUE(AuthorizeMethod(m, Role::kAdmin, "rc-kronoberg").ok()) << m;
  }
}

// ---- validation ----

TEST(ValidationTest, HexIdsAndUtf8) {
  EXPECT_TRUE(ValidateHexId("thread_id", "0123456789abcdef0123456789abcdef").ok());
  EXPECT_FALSE(ValidateHexId("thread_id", "0123456789ABCDEF0123456789abcdef").ok());
  EXPECT_FALSE(ValidateHexId("thread_id", "0123").ok());
  EXPECT_TRUE(ValidateUtf8("reason", "förlorad dator", 100).ok());
  EXPECT_EQ(ValidateUtf8("reason", "\xc3\x28", 100).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateUtf8("reason", "\xed\xa0\x80", 100).code(),
            absl::StatusCode::kInvalidArgument);  // surrogate
  EXPECT_EQ(ValidateUtf8("reason", "\xc0\xaf", 100).code(),
            absl::StatusCode::kInvalidArgument);  // overlong
  EXPECT_EQ(ValidateUtf8("reason", "abc", 2).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidationTest, MetadataEnumsAndCounty) {
  v1::CaseMetadata m;
  m.set_county("07");
  m.set_category(v1::CATEGORY_FGM);
  m.set_urgency(v1::URGENCY_ACUTE);
  m.set_org_type(v1::ORG_TYPE_POLICE);
  m.set_age_group(v1::AGE_GROUP_ADULT);
  EXPECT_TRUE(ValidateCaseMetadata(m, false).ok());
  m.set_county("26");
  EXPECT_NE(ValidateCaseMetadata(m, false).message().find("metadata.county"), std::string::npos);
  m.set_county("07");
  m.set_urgency(static_cast<v1::Urgency>(42));
  EXPECT_NE(ValidateCaseMetadata(m, false).message().find("metadata.urgency"), std::string::npos);
}

TEST(ValidationTest, ProofShapeAndWindow) {
  v1::OwnershipProof proof;
  proof.set_nonce(std::string(16, 'n'));
  proof.set_signature(std::string(64, 's'));
  proof.set_timestamp_unix_ms(1000000);
  EXPECT_TRUE(ValidateProofShape(proof, true, 1000000 + 119000, 120000).ok());
  EXPECT_EQ(ValidateProofShape(proof, true, 1000000 + 121000, 120000).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ValidateProofShape(proof, false, 1000000, 120000).code(),
            absl::StatusCode::kUnauthenticated);
  proof.set_nonce("short");
  EXPECT_EQ(ValidateProofShape(proof, true, 1000000, 120000).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(ValidationTest, HeaderMismatchesSayWhatIsExpected) {
  v1::EnvelopeHeader h;
  h.set_thread_id(std::string(32, 'a'));
  h.set_message_id(std::string(32, 'b'));
  h.set_sequence(3);
  h.set_sender_role(v1::SENDER_ROLE_ADVISER);
  h.set_unit("rc-x");
  h.set_directory_epoch(4);
  ExpectedHeader e{std::string(32, 'a'), 3, v1::SENDER_ROLE_ADVISER, {"rc-x"}, 4};
  EXPECT_TRUE(CheckEnvelopeHeader(h, e).ok());
  e.sequence = 2;
  absl::Status s = CheckEnvelopeHeader(h, e);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("expects 2"), std::string::npos);
  e.sequence = 3;
  e.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
  EXPECT_EQ(CheckEnvelopeHeader(h, e).code(), absl::StatusCode::kInvalidArgument);
  e.sender_role = v1::SENDER_ROLE_ADVISER;
  e.directory_epoch = 5;
  EXPECT_EQ(CheckEnvelopeHeader(h, e).code(), absl::StatusCode::kFailedPrecondition);
  e.directory_epoch = 4;
  e.units = {"rc-y"};
  EXPECT_EQ(CheckEnvelopeHeader(h, e).code(), absl::StatusCode::kFailedPrecondition);
}

// ---- limits ----

// The limiter behind the `handshake_refused` log line: a burst per window is
// written, the rest counted and reported once, with the next line after the
// window (or taken at shutdown). The clock is injected: no sleeps.
TEST(LogRateLimiterTest, BurstPerWindowThenOneSummaryCount) {
  int64_t now = 1'000;
  LogRateLimiter limiter(3, 60'000, [&now] { return now; });
  int written = 0;
  for (int i = 0; i < 1000; ++i) {
    const LogRateLimiter::Decision d = limiter.Admit();
    written += d.write ? 1 : 0;
    EXPECT_EQ(d.suppressed, 0u);
    now += 10;  // 1000 refusals within 10 s
  }
  EXPECT_EQ(written, 3);
  now = 1'000 + 59'999;
  EXPECT_FALSE(limiter.Admit().write);  // still the first window
  now = 1'000 + 60'000;
  LogRateLimiter::Decision next = limiter.Admit();
  EXPECT_TRUE(next.write);
  EXPECT_EQ(next.suppressed, 998u);  // 1000 + 1 - 3 held back, reported once
  EXPECT_EQ(limiter.Admit().suppressed, 0u);
  EXPECT_TRUE(limiter.Admit().write);
  EXPECT_FALSE(limiter.Admit().write);
  EXPECT_FALSE(limiter.Admit().write);
  // The hammering stops: the rest of this window is taken at shutdown.
  EXPECT_EQ(limiter.TakeSuppressed(), 2u);
  EXPECT_EQ(limiter.TakeSuppressed(), 0u);
  // A quiet spell: the next window starts with the next line, nothing owed.
  now += 10 * 60'000;
  next = limiter.Admit();
  EXPECT_TRUE(next.write);
  EXPECT_EQ(next.suppressed, 0u);
}

TEST(LogRateLimiterTest, ConcurrentCallersShareOneBudget) {
  std::atomic<int64_t> now{0};
  LogRateLimiter limiter(5, 60'000, [&now] { return now.load(); });
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) written += limiter.Admit().write ? 1 : 0;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(written.load(), 5);
  EXPECT_EQ(limiter.TakeSuppressed(), 995u);
}

TEST(RateLimiterTest, BurstThenRefillAtRate) {
  RateLimiter limiter(/*rate_per_second=*/2, /*burst=*/3);
  int64_t t = 1000000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("A", t).ok());
  EXPECT_EQ(limiter.Acquire("A", t).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(limiter.Acquire("B", t).ok());  // per key
  t += 500;                                   // one token at 2/s
  EXPECT_TRUE(limiter.Acquire("A", t).ok());
  EXPECT_EQ(limiter.Acquire("A", t).code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReplayCacheTest, SecondUseOfNonceIsRefusedUntilWindowPasses) {
  ReplayCache cache(/*window_ms=*/1000, /*max_entries=*/2);
  EXPECT_TRUE(cache.CheckAndRemember("t", "n1", 5000, 5000).ok());
  EXPECT_EQ(cache.CheckAndRemember("t", "n1", 5000, 5100).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(cache.CheckAndRemember("u", "n1", 5000, 5100).ok());  // per thread
  // Full of live entries: refuse rather than forget.
  EXPECT_EQ(cache.CheckAndRemember("t", "n2", 5000, 5100).code(),
            absl::StatusCode::kResourceExhausted);
  // After the window the old entries are pruned.
  EXPECT_TRUE(cache.CheckAndRemember("t", "n2", 6500, 6500).ok());
}

TEST(StreamBudgetTest, TotalAndPerIdentityCaps) {
  StreamBudget budget(3, 2);
  EXPECT_TRUE(budget.Acquire("a").ok());
  EXPECT_TRUE(budget.Acquire("a").ok());
  EXPECT_EQ(budget.Acquire("a").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(budget.Acquire("b").ok());
  EXPECT_EQ(budget.Acquire("c").code(), absl::StatusCode::kResourceExhausted);
  budget.Release("a");
  EXPECT_TRUE(budget.Acquire("c").ok());
  EXPECT_EQ(budget.open(), 3u);
}

// Guards built under a Binding follow the bound LiveLimits (a reload), not
// their constructor's values; guards built outside keep their own.
TEST(LiveLimitsTest, BoundGuardsFollowSetAndOthersDoNot) {
  auto live = std::make_shared<LiveLimits>(LiveLimits::Values{.rate_per_second = 1,
                                                              .rate_burst = 2,
                                                              .max_concurrent_streams = 1,
                                                              .max_streams_per_identity = 1});
  std::unique_ptr<RateLimiter> bound_limiter;
  std::unique_ptr<StreamBudget> bound_budget;
  {
    LiveLimits::Binding binding(live);
    bound_limiter = std::make_unique<RateLimiter>(1000, 1000);  // ignored: bound
    bound_budget = std::make_unique<StreamBudget>(100, 100);
  }
  RateLimiter own_limiter(1, 2);  // after the binding ended: its own values
  const int64_t t = 1000000;
  EXPECT_TRUE(bound_limiter->Acquire("A", t).ok());
  EXPECT_TRUE(bound_limiter->Acquire("A", t).ok());
  EXPECT_EQ(bound_limiter->Acquire("A", t).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(bound_budget->Acquire("a").ok());
  EXPECT_EQ(bound_budget->Acquire("b").code(), absl::StatusCode::kResourceExhausted);

  live->Set({.rate_per_second = 1000,
             .rate_burst = 5,
             .max_concurrent_streams = 3,
             .max_streams_per_identity = 2});
  EXPECT_TRUE(bound_limiter->Acquire("A", t + 10).ok());  // refilled at the new rate
  EXPECT_TRUE(bound_budget->Acquire("a").ok());           // open streams are kept
  EXPECT_EQ(bound_budget->Acquire("a").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(bound_budget->open(), 2u);
  // A smaller burst drops the stored tokens above it at once.
  live->Set({.rate_per_second = 0.001,
             .rate_burst = 1,
             .max_concurrent_streams = 3,
             .max_streams_per_identity = 2});
  EXPECT_TRUE(bound_limiter->Acquire("A", t + 10).ok());
  EXPECT_EQ(bound_limiter->Acquire("A", t + 10).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(own_limiter.Acquire("A", t).ok());
  EXPECT_TRUE(own_limiter.Acquire("A", t).ok());
  EXPECT_EQ(own_limiter.Acquire("A", t).code(), absl::StatusCode::kResourceExhausted);
}

// Half of 8 slots kept for advisers: professionals together get 4, whoever
// holds them; advisers still get the rest.
TEST(StreamBudgetTest, ProfessionalsCannotTakeTheAdviserReserve) {
  StreamBudget budget(8, 8, 50);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(budget.Acquire(i % 2 ? "p1" : "p2", StreamClass::kProfessional).ok());
  }
  absl::Status refused = budget.Acquire("p3", StreamClass::kProfessional);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("advisers"), std::string::npos) << refused;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(budget.Acquire("a1", StreamClass::kReserved).ok());
  EXPECT_EQ(budget.Acquire("a2", StreamClass::kReserved).code(),
            absl::StatusCode::kResourceExhausted);
  budget.Release("p1", StreamClass::kProfessional);
  EXPECT_TRUE(budget.Acquire("p3", StreamClass::kProfessional).ok());
}

TEST(StreamMemoryPoolTest, ProfessionalsShareWhatTheReserveLeaves) {
  StreamMemory memory(1000, 40);  // professionals: 600
  EXPECT_TRUE(memory.TryCharge(StreamClass::kProfessional, 600));
  EXPECT_FALSE(memory.TryCharge(StreamClass::kProfessional, 1));
  EXPECT_TRUE(memory.TryCharge(StreamClass::kReserved, 400));
  EXPECT_FALSE(memory.TryCharge(StreamClass::kReserved, 1));
  EXPECT_EQ(memory.used(), 1000u);
  memory.Release(StreamClass::kProfessional, 100);
  EXPECT_FALSE(memory.TryCharge(StreamClass::kReserved, 101));
  EXPECT_TRUE(memory.TryCharge(StreamClass::kReserved, 100));  // advisers may use any free byte
  memory.Release(StreamClass::kReserved, 500);
  memory.Release(StreamClass::kProfessional, 500);
  EXPECT_EQ(memory.used(), 0u);
  // Past the budget by a forced charge: nothing more fits until it is returned.
  memory.ForceCharge(StreamClass::kReserved, 1200);
  EXPECT_FALSE(memory.TryCharge(StreamClass::kReserved, 1));
  memory.Release(StreamClass::kReserved, 1200);
  EXPECT_TRUE(memory.TryCharge(StreamClass::kReserved, 1));
}

// ---- event hub ----

template <typename Event>
class RecordingSink : public EventSink<Event> {
 public:
  void Deliver(const Event& e) override { events.push_back(e); }
  void Close(const absl::Status& s) override { closed = s; }
  std::vector<Event> events;
  absl::Status closed;
};

TEST(EventHubTest, DeliversPerUnitAndPerThreadAndClosesOnShutdown) {
  EventHub hub;
  auto unit_a = std::make_shared<RecordingSink<v1::QueueEvent>>();
  auto unit_b = std::make_shared<RecordingSink<v1::QueueEvent>>();
  auto thread = std::make_shared<RecordingSink<v1::ThreadEvent>>();
  ASSERT_TRUE(hub.SubscribeQueue("a", {"serial-1", ""}, unit_a).ok());
  auto handle_b = hub.SubscribeQueue("b", {"serial-2", ""}, unit_b);
  ASSERT_TRUE(handle_b.ok());
  ASSERT_TRUE(hub.SubscribeThread("t1", {"serial-3", ""}, thread).ok());
  v1::QueueEvent q;
  q.set_kind(v1::QueueEvent::KIND_NEW);
  hub.PublishQueue("a", q);
  hub.PublishThread("t1", v1::ThreadEvent());
  hub.PublishThread("t2", v1::ThreadEvent());
  EXPECT_EQ(unit_a->events.size(), 1u);
  EXPECT_EQ(unit_b->events.size(), 0u);
  EXPECT_EQ(thread->events.size(), 1u);
  hub.Unsubscribe(*handle_b);
  hub.PublishQueue("b", q);
  EXPECT_EQ(unit_b->events.size(), 0u);
  EXPECT_EQ(hub.subscriber_count(), 2u);
  hub.Shutdown(absl::UnavailableError("bye"));
  EXPECT_EQ(unit_a->closed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(thread->closed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.SubscribeQueue("a", {"serial-1", ""}, unit_a).status().code(),
            absl::StatusCode::kUnavailable);
}

// Records the shared event it was handed, to see that fan-out shares one copy.
class SharedRecordingSink : public EventSink<v1::QueueEvent> {
 public:
  void Deliver(const v1::QueueEvent&) override { ADD_FAILURE() << "the hub delivers shared"; }
  void DeliverShared(const std::shared_ptr<const v1::QueueEvent>& e) override {
    events.push_back(e);
  }
  void Close(const absl::Status&) override {}
  std::vector<std::shared_ptr<const v1::QueueEvent>> events;
};

// One publish to a unit with many watchers copies the event once: every sink
// gets the same object, byte-identical to what was published.
TEST(EventHubTest, FanOutHandsEveryWatcherTheSameEvent) {
  EventHub hub;
  std::vector<std::shared_ptr<SharedRecordingSink>> sinks;
  for (int i = 0; i < 50; ++i) {
    sinks.push_back(std::make_shared<SharedRecordingSink>());
    ASSERT_TRUE(hub.SubscribeQueue("a", {absl::StrCat("s", i), ""}, sinks.back()).ok());
  }
  v1::QueueEvent q;
  q.set_kind(v1::QueueEvent::KIND_NEW);
  q.mutable_thread()->set_thread_id("0123456789abcdef");
  hub.PublishQueue("a", q);
  ASSERT_EQ(sinks[0]->events.size(), 1u);
  const std::string published = q.SerializeAsString();
  EXPECT_EQ(sinks[0]->events[0]->SerializeAsString(), published);
  for (const auto& sink : sinks) {
    ASSERT_EQ(sink->events.size(), 1u);
    EXPECT_EQ(sink->events[0].get(), sinks[0]->events[0].get());
  }
}

// Sharing does not discount the memory accounting: N streams holding one
// shared event are charged N times its size, each against its own cap, and
// every byte comes back when the streams are done.
TEST(EventHubTest, SharedEventIsChargedToEveryStream) {
  StreamMemory memory(size_t{1} << 20, 50);
  EventHub hub;
  v1::QueueEvent q;
  q.set_kind(v1::QueueEvent::KIND_NEW);
  q.mutable_thread()->set_thread_id(std::string(64, 'a'));
  const size_t bytes = q.ByteSizeLong();
  constexpr int kStreams = 20;
  // Small enough that a stream's cap fits one event: the second one ends it.
  StreamCharge charge{&memory, StreamClass::kProfessional, bytes, bytes};
  std::vector<std::unique_ptr<EventStream<v1::QueueEvent>>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(std::make_unique<EventStream<v1::QueueEvent>>(charge, nullptr));
    ASSERT_TRUE(hub.SubscribeQueue("a", {absl::StrCat("s", i), ""}, streams.back()->state()).ok());
  }
  hub.PublishQueue("a", q);  // not started: held for each stream, and charged
  EXPECT_EQ(memory.used(), kStreams * bytes);
  hub.PublishQueue("a", q);  // past every stream's own cap: refused, not charged
  EXPECT_EQ(memory.used(), kStreams * bytes);
  for (auto& stream : streams) stream->state()->ReleaseAll();
  EXPECT_EQ(memory.used(), 0u);
}

TEST(EventHubTest, CloseOwnerEndsOnlyThatCertificatesStreams) {
  EventHub hub;
  auto revoked_queue = std::make_shared<RecordingSink<v1::QueueEvent>>();
  auto revoked_thread = std::make_shared<RecordingSink<v1::ThreadEvent>>();
  auto colleague = std::make_shared<RecordingSink<v1::QueueEvent>>();
  auto handle = hub.SubscribeQueue("a", {"09BE", ""}, revoked_queue);
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(hub.SubscribeThread("t1", {"09BE", ""}, revoked_thread).ok());
  ASSERT_TRUE(hub.SubscribeQueue("a", {"0A11", ""}, colleague).ok());
  EXPECT_EQ(hub.CloseOwner("09BE", absl::UnauthenticatedError("revoked")), 2u);
  EXPECT_EQ(revoked_queue->closed.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(revoked_thread->closed.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(colleague->closed.ok());
  v1::QueueEvent q;
  hub.PublishQueue("a", q);
  hub.PublishThread("t1", v1::ThreadEvent());
  EXPECT_EQ(revoked_queue->events.size(), 0u);
  EXPECT_EQ(revoked_thread->events.size(), 0u);
  EXPECT_EQ(colleague->events.size(), 1u);
  hub.Unsubscribe(*handle);  // the stream's own cleanup afterwards is harmless
  EXPECT_EQ(hub.subscriber_count(), 1u);
  EXPECT_EQ(hub.CloseOwner("09BE", absl::UnauthenticatedError("again")), 0u);
}

// Removal from the directory ends an adviser's streams on every certificate of
// theirs (the principal), and unsubscribing later clears both indexes.
TEST(EventHubTest, CloseOwnerByPrincipalEndsEveryCertificateOfThatAdviser) {
  EventHub hub;
  const std::string principal = EventHub::AdviserPrincipal("rc-kronoberg", "a-1");
  auto old_certificate = std::make_shared<RecordingSink<v1::QueueEvent>>();
  auto new_certificate = std::make_shared<RecordingSink<v1::ThreadEvent>>();
  auto namesake_elsewhere = std::make_shared<RecordingSink<v1::QueueEvent>>();
  ASSERT_TRUE(hub.SubscribeQueue("rc-kronoberg", {"01", principal}, old_certificate).ok());
  ASSERT_TRUE(hub.SubscribeThread("t1", {"02", principal}, new_certificate).ok());
  ASSERT_TRUE(hub.SubscribeQueue("nkt", {"03", EventHub::AdviserPrincipal("nkt", "a-1")},
                                 namesake_elsewhere)
                  .ok());
  EXPECT_EQ(hub.CloseOwner(principal, absl::PermissionDeniedError("removed")), 2u);
  EXPECT_EQ(old_certificate->closed.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(new_certificate->closed.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(namesake_elsewhere->closed.ok());
  EXPECT_EQ(hub.CloseOwner("01", absl::UnauthenticatedError("revoked")), 0u);
  EXPECT_EQ(hub.CloseOwner("", absl::UnauthenticatedError("no key")), 0u);
  EXPECT_EQ(hub.subscriber_count(), 1u);
}

// ---- status ----

TEST(ToGrpcStatusTest, InternalDetailsStayInTheLogAndTheClientGetsAReference) {
  const absl::Status internal =
      absl::InternalError("IO error: /var/lib/samrad/data/000123.sst: No such file");
  const grpc::Status first = ToGrpcStatus(internal);
  EXPECT_EQ(first.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(first.error_message().find("/var/lib"), std::string::npos) << first.error_message();
  EXPECT_NE(first.error_message().find("reference "), std::string::npos);
  // Each failure gets its own reference.
  EXPECT_NE(ToGrpcStatus(internal).error_message(), first.error_message());
  const grpc::Status corrupt = ToGrpcStatus(absl::DataLossError("block checksum in /x/y.sst"));
  EXPECT_EQ(corrupt.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(corrupt.error_message().find("/x/y.sst"), std::string::npos);
  // Everything a client can act on passes through unchanged.
  const grpc::Status invalid = ToGrpcStatus(absl::InvalidArgumentError("metadata is required"));
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(invalid.error_message(), "metadata is required");
}

// ---- certs/samrad-pki.sh ----

TEST(PkiScriptTest, KeysArePrivateAndNothingIsOverwrittenWithoutForce) {
  TempDir dir;
  const std::string d = "--dir " + dir.path() + "/pki ";
  ASSERT_EQ(RunPki(d + "init"), 0);
  ASSERT_EQ(RunPki(d + "client adviser rc-skane a-9"), 0);
  struct stat st = {};
  ASSERT_EQ(stat((dir.path() + "/pki/ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir.path() + "/pki/adviser-rc-skane-a-9.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string cert = ReadFile(dir.path() + "/pki/adviser-rc-skane-a-9.crt");
  EXPECT_NE(RunPki(d + "init 2>/dev/null"), 0);
  EXPECT_NE(RunPki(d + "client adviser rc-skane a-9 2>/dev/null"), 0);
  EXPECT_EQ(ReadFile(dir.path() + "/pki/adviser-rc-skane-a-9.crt"), cert);
  EXPECT_EQ(RunPki(d + "--force client adviser rc-skane a-9"), 0);
  EXPECT_NE(ReadFile(dir.path() + "/pki/adviser-rc-skane-a-9.crt"), cert);
  // Bad role, bad county.
  EXPECT_NE(RunPki(d + "client root x y 2>/dev/null"), 0);
  EXPECT_NE(RunPki(d + "client professional 99 p 2>/dev/null"), 0);
}

TEST(PkiScriptTest, RenewIssuesNewSerialAndRevokeRecordsIt) {
  TempDir dir;
  const std::string d = "--dir " + dir.path() + "/pki ";
  ASSERT_EQ(RunPki(d + "init"), 0);
  ASSERT_EQ(RunPki(d + "client professional 12 p-1"), 0);
  auto v = PeerVerifier::New(dir.path() + "/pki/ca.crt", 1000, Now);
  ASSERT_TRUE(v.ok());
  auto before = (*v)->Verify(ReadFile(dir.path() + "/pki/professional-12-p-1.crt"), "");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(RunPki(d + "renew professional-12-p-1"), 0);
  auto after = (*v)->Verify(ReadFile(dir.path() + "/pki/professional-12-p-1.crt"), "");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(before->serial_hex, after->serial_hex);
  EXPECT_EQ(after->uri, "samrad://professional/12/p-1");
  ASSERT_EQ(RunPki(d + "revoke professional-12-p-1 lost"), 0);
  const std::string revoked = ReadFile(dir.path() + "/pki/db/revoked.txt");
  EXPECT_EQ(revoked.rfind(after->serial_hex + "\t", 0), 0u) << revoked;
}

}  // namespace
}  // namespace samrad::server
