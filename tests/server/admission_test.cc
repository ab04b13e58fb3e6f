// Admission (server/admission.h) without TLS: a real Store on a temp dir
// (real RocksDB), real certificates from certs/samrad-pki.sh verified by a
// real PeerVerifier, real Ed25519 ownership proofs. The PEM strings stand in
// for what the TLS session hands the gRPC layer.
#include "server/admission.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "common/clock.h"
#include "common/reasons.h"
#include "crypto/keys.h"
#include "crypto/ownership_proof.h"
#include "gtest/gtest.h"
#include "server/authz.h"
#include "tests/server/relay_fixture.h"
#include "tests/storage/test_util.h"

namespace samrad::server {
namespace {

using testing::CertificateSerialHex;
using testing::IssueClientCertificate;
using testing::ReadFile;
using testing::SharedPki;

constexpr char kProfessional[] = "professional-07-p-1";
constexpr char kAdviser[] = "adviser-rc-kronoberg-a-1";
constexpr char kOtherAdviser[] = "adviser-nkt-b-1";
constexpr char kAdmin[] = "admin-national-ops-1";
constexpr char kUnit[] = "rc-kronoberg";

std::string Token(const absl::Status& status) {
  auto wire = reasons::ReasonOf(status);
  return wire.has_value() ? wire->token : "";
}

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = SystemNowUnixMs();
    storage::StoreOptions options;
    options.data_dir = dir_.path() + "/db";
    options.kek = storage::testing::RandomKek();
    auto store = storage::Store::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto verifier = PeerVerifier::New(SharedPki().dir + "/ca.crt", 1000, SystemNowUnixMs);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
    admission_ = NewAdmission(/*rate_per_second=*/1000, /*burst=*/1000);
  }

  std::unique_ptr<Admission> NewAdmission(double rate, double burst) {
    AdmissionOptions options;
    options.proof_window_ms = 120'000;
    options.rate_per_second = rate;
    options.rate_burst = burst;
    options.clock = [this] { return now_.load(); };
    return std::make_unique<Admission>(store_.get(), verifier_.get(), std::move(options));
  }

  absl::StatusOr<Identity> Call(const std::string& cert, absl::string_view method) {
    return admission_->Authenticate(ReadFile(SharedPki().Cert(cert)), "", method);
  }

  absl::Status StoreRevocation(const std::string& serial_as_typed) {
    v1::RevocationRecord record;
    record.set_serial_hex(serial_as_typed);
    record.set_revoked_at_unix_ms(now_);
    return storage::testing::AwaitDone(
        [&](storage::DoneCallback done) { store_->Revoke(record, std::nullopt, std::move(done)); });
  }

  // A thread of kUnit whose key is `key`, stored for real.
  std::string StoreThread(const crypto::Ed25519PrivateKey& key) {
    const std::string thread_id(32, 'a');
    v1::ThreadRecord thread = storage::testing::MakeThread(thread_id, kUnit);
    thread.set_thread_signing_public_key(key.public_key().bytes());
    auto created = storage::testing::CreateThreadSync(
        *store_, thread, storage::testing::ProfessionalMessage(thread_id, std::string(32, 'b'), 1));
    EXPECT_TRUE(created.ok()) << created.status();
    return thread_id;
  }

  v1::OwnershipProof Proof(const std::string& thread_id, const v1::GetThreadRequest& request,
                           const crypto::Ed25519PrivateKey& key, int64_t at) {
    return crypto::MakeOwnershipProof(std::string(method::kGetThread), thread_id,
                                      DigestWithoutProof(request), at, key);
  }

  absl::StatusOr<v1::ThreadRecord> Reach(const Identity& caller,
                                         const v1::GetThreadRequest& request) {
    return admission_->ReachThread(
        caller, method::kGetThread, request.thread_id(),
        [&] { return DigestWithoutProof(request); }, request.proof(), request.has_proof());
  }

  testing::TempDir dir_;
  std::atomic<int64_t> now_{0};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<PeerVerifier> verifier_;
  std::unique_ptr<Admission> admission_;
};

TEST_F(AdmissionTest, AVerifiedCallerGetsTheIdentityOfItsCertificate) {
  auto caller = Call(kAdviser, method::kListQueue);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->role, Role::kAdviser);
  EXPECT_EQ(caller->scope, kUnit);
  EXPECT_EQ(caller->serial_hex, CertificateSerialHex(kAdviser));
  EXPECT_TRUE(admission_->SeenSinceStart(caller->serial_hex));
  EXPECT_EQ(admission_->SeenAdviserOf(caller->serial_hex).unit, kUnit);
}

TEST_F(AdmissionTest, NoCertificateAndAForeignCaAreUnauthenticated) {
  EXPECT_EQ(admission_->Authenticate("", "", method::kListQueue).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto foreign = admission_->Authenticate(
      ReadFile(SharedPki().other_dir + "/professional-07-p-1.crt"), "", method::kGetDirectory);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AdmissionTest, TheMethodTableRefusesARoleThatMayNotCall) {
  EXPECT_EQ(Call(kProfessional, method::kListQueue).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Call(kAdviser, method::kRevokeCertificate).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Call(kAdmin, method::kRevokeCertificate).ok());
}

TEST_F(AdmissionTest, TheRateLimitIsPerCertificate) {
  admission_ = NewAdmission(/*rate_per_second=*/0.001, /*burst=*/2);
  EXPECT_TRUE(Call(kAdviser, method::kListQueue).ok());
  EXPECT_TRUE(Call(kAdviser, method::kListQueue).ok());
  EXPECT_EQ(Call(kAdviser, method::kListQueue).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Call(kOtherAdviser, method::kListQueue).ok());
}

TEST_F(AdmissionTest, AStoredRevocationRefusesTheCertificateWithItsReason) {
  const std::string serial = CertificateSerialHex(kAdviser);
  ASSERT_TRUE(StoreRevocation(serial).ok());
  auto refused = Call(kAdviser, method::kListQueue);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Token(refused.status()), "certificate-revoked");
  EXPECT_FALSE(admission_->SeenSinceStart(serial));
  EXPECT_EQ(admission_->NotRevokedNow(serial).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AdmissionTest, MarksOverrideTheCachedAnswerAtOnce) {
  const std::string serial = CertificateSerialHex(kAdviser);
  ASSERT_TRUE(Call(kAdviser, method::kListQueue).ok());  // caches "not revoked"
  admission_->MarkRevoked(serial);
  EXPECT_EQ(Call(kAdviser, method::kListQueue).status().code(), absl::StatusCode::kUnauthenticated);
  admission_->MarkUnrevoked(serial);
  EXPECT_TRUE(Call(kAdviser, method::kListQueue).ok());
}

// The revocation bug of the security issue: a serial stored as typed (lower
// case, leading zeros) never matched. At start it is stored again canonically.
TEST_F(AdmissionTest, ARevocationStoredAsTypedTakesEffectAfterCanonicalizing) {
  const std::string serial = CertificateSerialHex(kAdviser);
  ASSERT_FALSE(serial.empty());
  const std::string typed = "00" + absl::AsciiStrToLower(serial);
  ASSERT_TRUE(StoreRevocation(typed).ok());
  EXPECT_TRUE(Call(kAdviser, method::kListQueue).ok()) << "a typed form alone does not match";
  ASSERT_TRUE(admission_->CanonicalizeStoredRevocations().ok());
  admission_ = NewAdmission(1000, 1000);  // a restart: empty cache
  EXPECT_EQ(Call(kAdviser, method::kListQueue).status().code(), absl::StatusCode::kUnauthenticated);
  auto forms = admission_->StoredFormsOf(serial);
  ASSERT_TRUE(forms.ok()) << forms.status();
  EXPECT_EQ(forms->size(), 2u);  // the typed record stays for the audit trail
  auto audit = store_->ReadAudit(0, 0, 10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].actor_role(), "relay");
  EXPECT_EQ((*audit)[0].action(), "revoke");
}

TEST_F(AdmissionTest, TwoAdminsCannotRevokeEachOtherAtOnce) {
  const std::string other_admin = IssueClientCertificate("admin", "national", "ops-2");
  auto a = Call(kAdmin, method::kRevokeCertificate);
  auto b = Call(other_admin, method::kRevokeCertificate);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(admission_->BeginRevocation(*a, b->serial_hex).ok());
  const absl::Status back = admission_->BeginRevocation(*b, a->serial_hex);
  EXPECT_EQ(back.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Token(back), "certificate-being-revoked");
  auto third = Call(kAdmin, method::kRevokeCertificate);
  EXPECT_EQ(admission_->BeginRevocation(*third, b->serial_hex).code(), absl::StatusCode::kAborted);
  admission_->EndRevocation(b->serial_hex);
  EXPECT_TRUE(admission_->BeginRevocation(*b, a->serial_hex).ok());
  admission_->EndRevocation(a->serial_hex);
}

TEST_F(AdmissionTest, WhoMayRevokeWhom) {
  const std::string unit_admin = IssueClientCertificate("admin", kUnit, "boss-1");
  auto national = Call(kAdmin, method::kRevokeCertificate);
  auto local = Call(unit_admin, method::kRevokeCertificate);
  ASSERT_TRUE(national.ok() && local.ok()) << local.status();
  auto self = admission_->ResolveTarget(national->serial_hex, "");
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(Admission::CheckRevokeAllowed(*national, *self).code(),
            absl::StatusCode::kFailedPrecondition);
  auto bare = admission_->ResolveTarget(CertificateSerialHex(kAdviser), "");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(Admission::CheckRevokeAllowed(*national, *bare).ok());
  EXPECT_EQ(Admission::CheckRevokeAllowed(*local, *bare).code(),
            absl::StatusCode::kPermissionDenied);
  auto own = admission_->ResolveTarget("", ReadFile(SharedPki().Cert(kAdviser)));
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->serial, CertificateSerialHex(kAdviser));
  EXPECT_TRUE(Admission::CheckRevokeAllowed(*local, *own).ok());
  auto foreign = admission_->ResolveTarget("", ReadFile(SharedPki().Cert(kOtherAdviser)));
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(Token(Admission::CheckRevokeAllowed(*local, *foreign)), "revoke-not-your-unit");
  EXPECT_EQ(admission_->ResolveTarget("not hex", "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Whose claims a revocation frees in the same write: the adviser the
// certificate names, else the adviser seen calling with that serial, else
// nobody (a bare serial never seen says nothing about whose it is).
TEST_F(AdmissionTest, ARevocationFreesTheClaimsOfTheAdviserItCanName) {
  auto admin = Call(kAdmin, method::kRevokeCertificate);
  ASSERT_TRUE(admin.ok());
  auto bare = admission_->ResolveTarget(CertificateSerialHex(kOtherAdviser), "");
  ASSERT_TRUE(bare.ok());
  Revocation unseen = admission_->RevocationOf(*admin, *bare, "left", now_);
  EXPECT_EQ(unseen.record.serial_hex(), bare->serial);
  EXPECT_EQ(unseen.record.revoked_by(), "ops-1");
  EXPECT_EQ(unseen.record.reason(), "left");
  EXPECT_TRUE(unseen.holder.adviser_id.empty());
  ASSERT_TRUE(Call(kOtherAdviser, method::kListQueue).ok());  // now seen
  Revocation seen = admission_->RevocationOf(*admin, *bare, "left", now_);
  EXPECT_EQ(seen.holder.unit, "nkt");
  EXPECT_EQ(seen.holder.adviser_id, "b-1");
  auto named = admission_->ResolveTarget("", ReadFile(SharedPki().Cert(kAdviser)));
  ASSERT_TRUE(named.ok());
  Revocation by_certificate = admission_->RevocationOf(*admin, *named, "", now_);
  EXPECT_EQ(by_certificate.holder.unit, kUnit);
  EXPECT_EQ(by_certificate.holder.adviser_id, "a-1");
  EXPECT_EQ(by_certificate.record.subject_uri(), named->subject->uri);
}

TEST_F(AdmissionTest, AnAdviserReachesOnlyThreadsOfTheirUnit) {
  const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
  v1::GetThreadRequest request;
  request.set_thread_id(StoreThread(key));
  auto adviser = Call(kAdviser, method::kGetThread);
  auto other = Call(kOtherAdviser, method::kGetThread);
  ASSERT_TRUE(adviser.ok() && other.ok());
  EXPECT_TRUE(Reach(*adviser, request).ok());
  const absl::Status hidden = Reach(*other, request).status();
  EXPECT_EQ(hidden.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Token(hidden), "thread-not-visible");
  request.set_thread_id(std::string(32, 'c'));
  EXPECT_EQ(Token(Reach(*adviser, request).status()), "thread-not-visible");
}

TEST_F(AdmissionTest, AProfessionalsProofIsCheckedAndUsedOnce) {
  const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
  v1::GetThreadRequest request;
  request.set_thread_id(StoreThread(key));
  auto professional = Call(kProfessional, method::kGetThread);
  ASSERT_TRUE(professional.ok());
  EXPECT_EQ(Reach(*professional, request).status().code(), absl::StatusCode::kUnauthenticated)
      << "no proof";
  *request.mutable_proof() = Proof(request.thread_id(), request, key, now_);
  EXPECT_TRUE(Reach(*professional, request).ok());
  EXPECT_EQ(Reach(*professional, request).status().code(), absl::StatusCode::kUnauthenticated)
      << "a replayed proof";
  const crypto::Ed25519PrivateKey stranger = crypto::Ed25519PrivateKey::Generate();
  *request.mutable_proof() = Proof(request.thread_id(), request, stranger, now_);
  EXPECT_EQ(Token(Reach(*professional, request).status()), "thread-not-visible");
  // Signed for another request: the digest does not match.
  v1::GetThreadRequest other = request;
  other.set_after_sequence(5);
  *request.mutable_proof() = Proof(request.thread_id(), other, key, now_);
  EXPECT_EQ(Token(Reach(*professional, request).status()), "thread-not-visible");
}

TEST_F(AdmissionTest, AProofSignedBeforeTheRelayStartedIsRefused) {
  const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
  v1::GetThreadRequest request;
  request.set_thread_id(StoreThread(key));
  auto professional = Call(kProfessional, method::kGetThread);
  ASSERT_TRUE(professional.ok());
  // Inside the proof window, but older than this Admission (the relay's start).
  *request.mutable_proof() = Proof(request.thread_id(), request, key, now_ - 1000);
  EXPECT_EQ(Reach(*professional, request).status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace samrad::server
