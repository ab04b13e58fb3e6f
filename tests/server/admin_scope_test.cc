// Admin scope (issue 17 item 3; docs/DESIGN.md section 4): a national admin
// covers every unit; a unit admin (samrad://admin/UNIT/ID) sees only its
// unit's audit entries, statistics and revocations and revokes only
// certificates of its unit, named by the certificate; nobody revokes their
// own certificate; a national admin can undo a revocation. Real relay on
// 127.0.0.1 with real mTLS and RocksDB.
#include <algorithm>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "gtest/gtest.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server::testing {
namespace {

using grpc::ClientContext;
using grpc::StatusCode;

class AdminScopeTest : public RelayTest {
 protected:
  void SetUp() override {
    RelayTest::SetUp();
    StartRelay();
    PublishDirectory(1);
    unit_admin_ = IssueClientCertificate("admin", kUnit, "ua-1");
    unit_admin2_ = IssueClientCertificate("admin", kUnit, "ua-2");
    other_unit_admin_ = IssueClientCertificate("admin", kOtherUnit, "oa-1");
    national2_ = IssueClientCertificate("admin", "national", "ops-2");
    pro_05_ = IssueClientCertificate("professional", "05", "p-5");
  }

  // A case of county 05, which the directory routes to unit nkt.
  std::string SubmitToOtherUnit() {
    ThreadKeys thread = NewThreadKeys();
    const std::string id = crypto::RandomId();
    v1::SubmitConsultationRequest request;
    auto* metadata = request.mutable_metadata();
    metadata->set_county("05");
    metadata->set_category(v1::CATEGORY_CHILD_MARRIAGE);
    metadata->set_urgency(v1::URGENCY_HIGH);
    metadata->set_org_type(v1::ORG_TYPE_SCHOOL);
    metadata->set_age_group(v1::AGE_GROUP_CHILD);
    request.set_thread_signing_public_key(thread.signing.public_key().bytes());
    request.set_envelope(SealFromProfessional(thread, id, 1, "q", true, kOtherUnit));
    v1::Ack ack;
    ClientContext ctx;
    grpc::Status status = Stub(pro_05_)->SubmitConsultation(&ctx, request, &ack);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(ack.unit(), kOtherUnit);
    return thread.thread_id;
  }

  void Claim(const std::string& adviser, const std::string& thread_id) {
    v1::ClaimThreadRequest claim;
    claim.set_thread_id(thread_id);
    v1::ThreadSummary summary;
    ClientContext ctx;
    grpc::Status status = Stub(adviser)->ClaimThread(&ctx, claim, &summary);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Revoke(const std::string& as, const std::string& serial,
                      const std::string& cert_name, v1::RevocationRecord* record = nullptr) {
    v1::RevokeCertificateRequest request;
    request.set_serial_hex(serial);
    if (!cert_name.empty()) request.set_certificate_pem(ReadFile(SharedPki().Cert(cert_name)));
    v1::RevocationRecord ignored;
    ClientContext ctx;
    return Stub(as)->RevokeCertificate(&ctx, request, record ? record : &ignored);
  }

  grpc::Status Unrevoke(const std::string& as, const std::string& serial,
                        const std::string& cert_name) {
    v1::UnrevokeCertificateRequest request;
    request.set_serial_hex(serial);
    if (!cert_name.empty()) request.set_certificate_pem(ReadFile(SharedPki().Cert(cert_name)));
    v1::RevocationRecord record;
    ClientContext ctx;
    return Stub(as)->UnrevokeCertificate(&ctx, request, &record);
  }

  grpc::Status GetDirectoryAs(const std::string& name) {
    v1::SignedDirectory directory;
    ClientContext ctx;
    return Stub(name)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
  }

  v1::AuditLogReply AuditAs(const std::string& name) {
    v1::AuditLogRequest request;
    request.set_limit(1000);
    v1::AuditLogReply reply;
    ClientContext ctx;
    grpc::Status status = Stub(name)->GetAuditLog(&ctx, request, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  std::string unit_admin_, unit_admin2_, other_unit_admin_, national2_, pro_05_;
};

TEST_F(AdminScopeTest, UnitAdminReadsOnlyItsUnitsAuditEntries) {
  ThreadKeys own = NewThreadKeys();
  Submit(own, "q");
  Claim(kAdviser, own.thread_id);
  const std::string foreign = SubmitToOtherUnit();
  Claim(kOtherAdviser, foreign);
  // A thread-less entry of the unit admin itself, and one of the national admin.
  ASSERT_TRUE(Revoke(unit_admin_, "", unit_admin2_).ok());
  PublishDirectory(2);

  const v1::AuditLogReply scoped = AuditAs(unit_admin_);
  EXPECT_TRUE(scoped.scoped());
  bool saw_own_claim = false, saw_own_revoke = false;
  for (const v1::AuditEntry& e : scoped.entries()) {
    EXPECT_NE(e.thread_id(), foreign) << e.action();
    EXPECT_NE(e.action(), "publish");
    if (e.thread_id().empty()) {
      EXPECT_EQ(e.actor_id(), "ua-1") << e.action();
    }
    saw_own_claim = saw_own_claim || (e.action() == "claim" && e.thread_id() == own.thread_id);
    saw_own_revoke = saw_own_revoke || e.action() == "revoke";
  }
  EXPECT_TRUE(saw_own_claim);
  EXPECT_TRUE(saw_own_revoke);
  EXPECT_GT(scoped.scanned_to_index(), 0u);

  const v1::AuditLogReply whole = AuditAs(kAdmin);
  EXPECT_FALSE(whole.scoped());
  bool national_sees_foreign = false;
  for (const v1::AuditEntry& e : whole.entries()) {
    national_sees_foreign = national_sees_foreign || e.thread_id() == foreign;
  }
  EXPECT_TRUE(national_sees_foreign);
  EXPECT_GT(whole.entries_size(), scoped.entries_size());
}

TEST_F(AdminScopeTest, UnitAdminsStatisticsAndRevocationListAreTheirUnitsOnly) {
  // GetStats: the query is refused before any data for a bad period either
  // way; here only the scope, over the last ended year (empty is fine: no
  // row of another unit may appear).
  v1::StatsRequest request;
  request.set_period(v1::STATS_PERIOD_YEAR);
  request.set_year(2025);
  request.add_group_by("county");
  v1::StatsReply reply;
  {
    ClientContext ctx;
    grpc::Status status = Stub(unit_admin_)->GetStats(&ctx, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (const v1::StatsRow& row : reply.rows()) {
    ASSERT_TRUE(row.group().contains("unit"));
    EXPECT_EQ(row.group().at("unit"), kUnit);
  }
  // Revocations: the unit admin lists those of its unit's certificates only.
  ASSERT_TRUE(Revoke(kAdmin, "", kOtherAdviser).ok());
  ASSERT_TRUE(Revoke(kAdmin, "", kAdviser2).ok());
  v1::ListRevokedReply listed;
  {
    ClientContext ctx;
    ASSERT_TRUE(Stub(unit_admin_)->ListRevoked(&ctx, v1::ListRevokedRequest(), &listed).ok());
  }
  ASSERT_EQ(listed.revoked_size(), 1);
  EXPECT_EQ(listed.revoked(0).serial_hex(), CertificateSerialHex(kAdviser2));
  v1::ListRevokedReply all;
  {
    ClientContext ctx;
    ASSERT_TRUE(Stub(kAdmin)->ListRevoked(&ctx, v1::ListRevokedRequest(), &all).ok());
  }
  EXPECT_EQ(all.revoked_size(), 2);
}

TEST_F(AdminScopeTest, UnitAdminRevokesOnlyItsUnitsCertificatesAndOnlyByCertificate) {
  // A bare serial says nothing about whose it is: refused, pointing at --cert.
  grpc::Status bare = Revoke(unit_admin_, CertificateSerialHex(kAdviser2), "");
  EXPECT_EQ(bare.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_NE(bare.error_message().find("--cert"), std::string::npos) << bare.error_message();
  // Another unit's adviser, a professional and the national admin: refused.
  EXPECT_EQ(Revoke(unit_admin_, "", kOtherAdviser).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Revoke(unit_admin_, "", kProfessional).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Revoke(unit_admin_, "", kAdmin).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(GetDirectoryAs(kAdmin).ok());
  EXPECT_TRUE(GetDirectoryAs(kOtherAdviser).ok());
  // Its own unit's adviser: revoked, and the certificate stops working.
  v1::RevocationRecord record;
  grpc::Status own = Revoke(unit_admin_, "", kAdviser2, &record);
  ASSERT_TRUE(own.ok()) << own.error_message();
  EXPECT_EQ(record.serial_hex(), CertificateSerialHex(kAdviser2));
  EXPECT_EQ(record.subject_uri(), "samrad://adviser/rc-kronoberg/a-2");
  EXPECT_EQ(GetDirectoryAs(kAdviser2).error_code(), StatusCode::UNAUTHENTICATED);
  // A unit admin may not publish, back up, run retention or unrevoke.
  {
    v1::PublishDirectoryRequest publish;
    *publish.mutable_directory() = SignDirectory(5);
    v1::PublishDirectoryReply reply;
    ClientContext ctx;
    EXPECT_EQ(Stub(unit_admin_)->PublishDirectory(&ctx, publish, &reply).error_code(),
              StatusCode::PERMISSION_DENIED);
  }
  {
    v1::RetentionReply reply;
    ClientContext ctx;
    v1::RetentionRequest retention;
    retention.set_dry_run(true);
    EXPECT_EQ(Stub(unit_admin_)->RunRetention(&ctx, retention, &reply).error_code(),
              StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(Unrevoke(unit_admin_, "", kAdviser2).error_code(), StatusCode::PERMISSION_DENIED);
}

TEST_F(AdminScopeTest, NobodyRevokesTheirOwnCertificateAndANationalAdminRemains) {
  grpc::Status self = Revoke(kAdmin, CertificateSerialHex(kAdmin), "");
  EXPECT_EQ(self.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(self.error_message().find("your own certificate"), std::string::npos)
      << self.error_message();
  EXPECT_EQ(Revoke(unit_admin_, "", unit_admin_).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(GetDirectoryAs(kAdmin).ok());
  // The only way to revoke a national admin is by another, unrevoked one.
  EXPECT_EQ(Revoke(unit_admin_, "", national2_).error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Revoke(kAdmin, "", national2_).ok());
  EXPECT_EQ(GetDirectoryAs(national2_).error_code(), StatusCode::UNAUTHENTICATED);
  // The revoked national admin cannot revoke the last one.
  EXPECT_EQ(Revoke(national2_, "", kAdmin).error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(GetDirectoryAs(kAdmin).ok());
}

TEST_F(AdminScopeTest, NationalAdminUnrevokesAndTheCertificateWorksAgainAudited) {
  ASSERT_TRUE(Revoke(kAdmin, CertificateSerialHex(kAdviser2), "").ok());
  EXPECT_EQ(GetDirectoryAs(kAdviser2).error_code(), StatusCode::UNAUTHENTICATED);
  grpc::Status undone = Unrevoke(kAdmin, "", kAdviser2);
  ASSERT_TRUE(undone.ok()) << undone.error_message();
  // The relay's cached state follows at once.
  grpc::Status again = GetDirectoryAs(kAdviser2);
  EXPECT_TRUE(again.ok()) << again.error_message();
  EXPECT_EQ(Unrevoke(kAdmin, CertificateSerialHex(kAdviser2), "").error_code(),
            StatusCode::NOT_FOUND);
  bool audited = false;
  const v1::AuditLogReply log = AuditAs(kAdmin);
  for (const v1::AuditEntry& e : log.entries()) {
    audited = audited || (e.action() == "unrevoke" &&
                          e.detail() == "serial=" + CertificateSerialHex(kAdviser2));
  }
  EXPECT_TRUE(audited);
  // And it stays unrevoked after a restart.
  StopRelay();
  StartRelay();
  EXPECT_TRUE(GetDirectoryAs(kAdviser2).ok());
}

TEST_F(AdminScopeTest, RevokingByCertificateFreesTheAdvisersClaimsAfterARestart) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "q");
  Claim(kAdviser2, thread.thread_id);
  // The relay has not seen the adviser's certificate since this start.
  StopRelay();
  StartRelay();
  v1::RevocationRecord record;
  grpc::Status status = Revoke(kAdmin, "", kAdviser2, &record);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(record.seen_since_start());
  EXPECT_EQ(record.claims_released(), 1u);
}

}  // namespace
}  // namespace samrad::server::testing
