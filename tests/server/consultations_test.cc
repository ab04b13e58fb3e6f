// Consultations (server/consultations.h) without TLS: real sealed and
// signed envelopes, a real store, a real signed directory.
#include "server/consultations.h"

#include "crypto/envelope.h"
#include "crypto/random.h"
#include "gtest/gtest.h"
#include "tests/server/relay_logic_fixture.h"
#include "tests/storage/test_util.h"

namespace samrad::server::testing {
namespace {

class ConsultationsTest : public RelayLogicTest {
 protected:
  void SetUp() override {
    RelayLogicTest::SetUp();
    v1::LimitsConfig limits;
    limits.set_max_envelope_bytes(64 * 1024);
    limits.set_max_messages_per_read(2);
    limits.set_max_read_bytes(1 << 20);
    consultations_ = std::make_unique<Consultations>(
        store_.get(), admission_.get(), directory_.get(), limits, [this] { return now_.load(); });
  }

  // A professional's first message of a new thread, sealed for kUnit's
  // advisers at `epoch`.
  v1::SubmitConsultationRequest Submission(const crypto::Ed25519PrivateKey& thread_key,
                                           const std::string& thread_id, uint64_t epoch,
                                           const std::string& county = "07") {
    const crypto::X25519PrivateKey reply = crypto::X25519PrivateKey::Generate();
    crypto::EnvelopeContext context{
        thread_id, crypto::RandomId(), 1, v1::SENDER_ROLE_PROFESSIONAL, kUnit, epoch, ""};
    v1::EnvelopeBody body;
    body.set_text("hej");
    body.set_thread_reply_public_key(reply.public_key().bytes());
    body.set_thread_signing_public_key(thread_key.public_key().bytes());
    const std::vector<crypto::X25519PublicKey> recipients = {a1_.encryption.public_key(),
                                                             a2_.encryption.public_key()};
    auto sealed = crypto::SealEnvelope(context, body, recipients, thread_key);
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    v1::SubmitConsultationRequest request;
    request.mutable_metadata()->set_county(county);
    request.mutable_metadata()->set_category(v1::CATEGORY_CHILD_MARRIAGE);
    request.mutable_metadata()->set_urgency(v1::URGENCY_HIGH);
    request.mutable_metadata()->set_org_type(v1::ORG_TYPE_SCHOOL);
    request.mutable_metadata()->set_age_group(v1::AGE_GROUP_CHILD);
    request.set_thread_signing_public_key(thread_key.public_key().bytes());
    request.set_envelope(sealed.ok() ? *sealed : "");
    return request;
  }

  // Writes a prepared submission for real.
  void Write(PreparedMessage prepared) {
    auto created = storage::testing::CreateThreadSync(*store_, prepared.thread, prepared.message);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  const Identity professional_ = Caller(Role::kProfessional, "07", "p-1");
  const Identity adviser_ = Caller(Role::kAdviser, kUnit, "a-1");
  std::unique_ptr<Consultations> consultations_;
};

TEST_F(ConsultationsTest, ASubmissionIsRoutedByCountyAndAResubmitGetsItsOriginalAck) {
  const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
  const std::string thread_id = crypto::RandomId();
  const v1::SubmitConsultationRequest request = Submission(key, thread_id, 1);
  EXPECT_EQ(Token(consultations_->PrepareSubmission(professional_, request).status()),
            "no-directory-yet");
  Publish(1, {&a1_, &a2_, &b1_});
  auto prepared = consultations_->PrepareSubmission(professional_, request);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_FALSE(prepared->duplicate_ack.has_value());
  EXPECT_EQ(prepared->thread.unit(), kUnit);
  EXPECT_EQ(prepared->thread.thread_id(), thread_id);
  EXPECT_EQ(prepared->message.sequence(), 1u);
  Write(*std::move(prepared));
  // After a newer epoch the same bytes fail the header check; the stored
  // message makes it a duplicate with the original Ack.
  Publish(2, {&a1_, &a2_, &b1_});
  auto again = consultations_->PrepareSubmission(professional_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->duplicate_ack.has_value());
  EXPECT_TRUE(again->duplicate_ack->duplicate());
  EXPECT_EQ(again->duplicate_ack->unit(), kUnit);
}

TEST_F(ConsultationsTest, ASubmissionIsRefusedForAForeignCountyOrABadSignature) {
  Publish(1, {&a1_, &a2_, &b1_});
  const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
  auto foreign = consultations_->PrepareSubmission(
      professional_, Submission(key, crypto::RandomId(), 1, /*county=*/"05"));
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Token(foreign.status()), "county-not-yours");
  v1::SubmitConsultationRequest request = Submission(key, crypto::RandomId(), 1);
  request.set_thread_signing_public_key(crypto::Ed25519PrivateKey::Generate().public_key().bytes());
  EXPECT_EQ(consultations_->PrepareSubmission(professional_, request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.clear_metadata();
  EXPECT_EQ(consultations_->PrepareSubmission(professional_, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ConsultationsTest, GetThreadPagesWithACursorAndRefusesAForgedOne) {
  Publish(1, {&a1_});
  const std::string thread_id = crypto::RandomId();
  v1::ThreadRecord thread = storage::testing::MakeThread(thread_id, kUnit);
  ASSERT_TRUE(
      storage::testing::CreateThreadSync(
          *store_, thread, storage::testing::ProfessionalMessage(thread_id, crypto::RandomId(), 1))
          .ok());
  for (uint64_t sequence = 2; sequence <= 3; ++sequence) {
    ASSERT_TRUE(
        storage::testing::AppendSync(*store_, storage::testing::AdviserMessage(
                                                  thread_id, crypto::RandomId(), sequence, "a-1"))
            .ok());
  }
  v1::GetThreadRequest request;
  request.set_thread_id(thread_id);
  v1::ThreadView first;
  ASSERT_TRUE(consultations_->ReadThreadPage(adviser_, request, &first).ok());
  ASSERT_EQ(first.messages_size(), 2);
  ASSERT_FALSE(first.next_cursor().empty());
  request.set_cursor(first.next_cursor());
  v1::ThreadView second;
  auto after = consultations_->ReadThreadPage(adviser_, request, &second);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, 2u);
  ASSERT_EQ(second.messages_size(), 1);
  EXPECT_EQ(second.messages(0).sequence(), 3u);
  EXPECT_TRUE(second.next_cursor().empty());
  request.set_cursor("x2");
  v1::ThreadView forged;
  EXPECT_EQ(Token(consultations_->ReadThreadPage(adviser_, request, &forged).status()),
            "bad-cursor");
  const Identity other = Caller(Role::kAdviser, kOtherUnit, "b-1");
  request.clear_cursor();
  EXPECT_EQ(Token(consultations_->ReadThreadPage(other, request, &forged).status()),
            "thread-not-visible");
}

TEST_F(ConsultationsTest, AReferralNeedsAKnownOtherUnitAnOpenThreadAndEveryMessageRewrapped) {
  const std::string thread_id = crypto::RandomId();
  v1::ReferThreadRequest request;
  request.set_thread_id(thread_id);
  request.set_to_unit(kOtherUnit);
  EXPECT_EQ(Token(consultations_->PrepareReferral(adviser_, request).status()), "no-directory-yet");
  Publish(1, {&a1_, &b1_});
  request.set_to_unit("no-such-unit");
  const absl::Status unknown = consultations_->PrepareReferral(adviser_, request).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Token(unknown), "unit-not-in-directory");
  request.set_to_unit(kUnit);
  const absl::Status own = consultations_->PrepareReferral(adviser_, request).status();
  EXPECT_EQ(own.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Token(own), "refer-to-own-unit");
  request.set_to_unit(kOtherUnit);
  EXPECT_EQ(Token(consultations_->PrepareReferral(adviser_, request).status()),
            "thread-not-visible");
  ASSERT_TRUE(storage::testing::CreateThreadSync(
                  *store_, storage::testing::MakeThread(thread_id, kUnit),
                  storage::testing::ProfessionalMessage(thread_id, crypto::RandomId(), 1))
                  .ok());
  auto uncovered = consultations_->PrepareReferral(adviser_, request);
  EXPECT_EQ(uncovered.status().code(), absl::StatusCode::kInvalidArgument)
      << "no rewraps for the thread's one message";
  EXPECT_EQ(Token(uncovered.status()), "refer-rewraps-incomplete");
  EXPECT_EQ(uncovered.status().message(),
            "rewraps cover 0 messages; the thread has 1 and every one needs its content key "
            "re-wrapped for nkt")
      << "the English text is unchanged";
}

TEST_F(ConsultationsTest, AQueuePageIsBoundedAndScopedToTheCallersUnit) {
  v1::ListQueueRequest request;
  request.set_page_size(201);
  EXPECT_EQ(Token(Consultations::QueueQueryOf(adviser_, request).status()), "queue-page-size");
  request.set_page_size(0);
  request.set_cursor(std::string(2000, 'c'));
  EXPECT_EQ(Token(Consultations::QueueQueryOf(adviser_, request).status()), "bad-cursor");
  request.clear_cursor();
  auto query = Consultations::QueueQueryOf(adviser_, request);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->unit, kUnit);
  EXPECT_EQ(query->page_size, 50u);
}

}  // namespace
}  // namespace samrad::server::testing
