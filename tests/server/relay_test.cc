// Integration tests of samrad-relay: the real RelayServer on 127.0.0.1 with
// real mTLS (certificates from certs/samrad-pki.sh), a real RocksDB store and
// envelopes sealed and opened with samrad_crypto.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/random.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server::testing {
namespace {

using grpc::ClientContext;
using grpc::StatusCode;

constexpr char kGetThread[] = "/samrad.v1.Relay/GetThread";
constexpr char kPostMessage[] = "/samrad.v1.Relay/PostMessage";
constexpr char kCloseThread[] = "/samrad.v1.Relay/CloseThread";
constexpr char kWatchThread[] = "/samrad.v1.Relay/WatchThread";

// Opens `message` as `adviser` (any adviser of the unit).
std::string OpenAsAdviser(const v1::StoredMessage& message, const AdviserKeys& adviser,
                          const crypto::Ed25519PublicKey& signer) {
  auto parsed = crypto::ParseEnvelope(message.envelope());
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return "";
  crypto::EnvelopeContext expected = parsed->context();
  std::vector<v1::WrappedKey> extra(message.extra_recipients().begin(),
                                    message.extra_recipients().end());
  auto body = crypto::OpenEnvelope(*parsed, expected, signer, adviser.encryption, extra);
  EXPECT_TRUE(body.ok()) << body.status();
  return body.ok() ? body->text() : "";
}

// True when any file under `dir` contains `needle`.
bool TreeContains(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (ReadFile(entry.path().string()).find(needle) != std::string::npos) return true;
  }
  return false;
}

// The messages of `thread_id` as the relay's store holds them, opened with the
// store's KEK: the at-rest encryption removed, which is what an operator with
// the KEK (or a bug that bypasses the at-rest layer) sees. End-to-end
// encryption must still hide every text here; a data-directory scan cannot
// show that, since at-rest encryption hides plaintext there by itself.
// The stopped relay's store opened with its KEK file; nullptr (and a test
// failure) when it cannot be opened.
std::unique_ptr<storage::Store> OpenStoppedStore(const std::string& data_dir,
                                                 const std::string& kek_file) {
  storage::StoreOptions options;
  options.data_dir = data_dir;
  options.create_if_missing = false;
  auto kek = storage::LoadKekFile(kek_file);
  EXPECT_TRUE(kek.ok()) << kek.status();
  if (!kek.ok()) return nullptr;
  options.kek = *std::move(kek);
  auto store = storage::Store::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

std::vector<v1::StoredMessage> StoredMessagesAtRest(const std::string& data_dir,
                                                    const std::string& kek_file,
                                                    const std::string& thread_id) {
  std::unique_ptr<storage::Store> store = OpenStoppedStore(data_dir, kek_file);
  if (store == nullptr) return {};
  auto messages = store->ListMessages(thread_id, 0, 0);
  EXPECT_TRUE(messages.ok()) << messages.status();
  return messages.ok() ? *std::move(messages) : std::vector<v1::StoredMessage>{};
}

class RelayFlowTest : public RelayTest {
 protected:
  void SetUp() override {
    RelayTest::SetUp();
    StartRelay();
    PublishDirectory(1);
  }
  const AdviserKeys& Adviser(const std::string& name) { return advisers_.at(name); }
};

TEST_F(RelayFlowTest, ConsultationRoundTripsSealedAndNoTextIsStoredEvenPastAtRestEncryption) {
  const std::string question = "Fraga-om-barnaktenskap-unik-markor-7f3a9c";
  const std::string answer = "Svar-fran-radgivare-unik-markor-2b8e41";
  ThreadKeys thread = NewThreadKeys();
  v1::Ack ack = Submit(thread, question);
  EXPECT_EQ(ack.thread_id(), thread.thread_id);
  EXPECT_EQ(ack.sequence(), 1u);
  EXPECT_EQ(ack.unit(), kUnit);
  EXPECT_FALSE(ack.duplicate());

  auto adviser = Stub(kAdviser);
  {  // The queue shows it.
    ClientContext ctx;
    v1::QueuePage page;
    ASSERT_TRUE(adviser->ListQueue(&ctx, v1::ListQueueRequest(), &page).ok());
    ASSERT_EQ(page.threads_size(), 1);
    EXPECT_EQ(page.threads(0).thread_id(), thread.thread_id);
    EXPECT_EQ(page.threads(0).state(), v1::THREAD_STATE_OPEN);
    EXPECT_EQ(page.threads(0).metadata().county(), "07");
  }
  {  // Claim.
    ClientContext ctx;
    v1::ClaimThreadRequest request;
    request.set_thread_id(thread.thread_id);
    v1::ThreadSummary summary;
    ASSERT_TRUE(adviser->ClaimThread(&ctx, request, &summary).ok());
    EXPECT_EQ(summary.state(), v1::THREAD_STATE_CLAIMED);
    EXPECT_EQ(summary.claimed_by(), "a-1");
  }
  {  // The adviser reads and opens the question.
    ClientContext ctx;
    v1::GetThreadRequest request;
    request.set_thread_id(thread.thread_id);
    v1::ThreadView view;
    ASSERT_TRUE(adviser->GetThread(&ctx, request, &view).ok());
    ASSERT_EQ(view.messages_size(), 1);
    EXPECT_EQ(OpenAsAdviser(view.messages(0), Adviser(kAdviser), thread.signing.public_key()),
              question);
    // A colleague of the same unit can open it too.
    EXPECT_EQ(OpenAsAdviser(view.messages(0), Adviser(kAdviser2), thread.signing.public_key()),
              question);
  }
  {  // Answer.
    ClientContext ctx;
    v1::PostMessageRequest request;
    request.set_thread_id(thread.thread_id);
    request.set_envelope(SealFromAdviser(Adviser(kAdviser), thread, crypto::RandomId(), 2, answer));
    v1::Ack answer_ack;
    grpc::Status status = adviser->PostMessage(&ctx, request, &answer_ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(answer_ack.sequence(), 2u);
  }
  {  // The professional reads the answer with a proof and opens it with the reply key.
    ClientContext ctx;
    v1::GetThreadRequest request;
    request.set_thread_id(thread.thread_id);
    request.set_after_sequence(1);
    Prove(request, kGetThread, thread);
    v1::ThreadView view;
    grpc::Status status = Stub(kProfessional2)->GetThread(&ctx, request, &view);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(view.summary().state(), v1::THREAD_STATE_ANSWERED);
    ASSERT_EQ(view.messages_size(), 1);
    auto parsed = crypto::ParseEnvelope(view.messages(0).envelope());
    ASSERT_TRUE(parsed.ok());
    auto body = crypto::OpenEnvelope(*parsed, parsed->context(),
                                     Adviser(kAdviser).signing.public_key(), thread.reply);
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(body->text(), answer);
  }
  StopRelay();  // flush everything to the files
  // At rest: no file of the data directory holds either text.
  EXPECT_FALSE(TreeContains(data_dir_, question));
  EXPECT_FALSE(TreeContains(data_dir_, answer));
  // End to end: the stored envelopes, decrypted at rest, are still
  // ciphertext, and they are the ones that open to these texts.
  const std::vector<v1::StoredMessage> stored =
      StoredMessagesAtRest(data_dir_, BaseConfig().kek_file(), thread.thread_id);
  ASSERT_EQ(stored.size(), 2u);
  for (const v1::StoredMessage& m : stored) {
    const std::string bytes = m.SerializeAsString();
    EXPECT_EQ(bytes.find(question), std::string::npos) << "message " << m.sequence();
    EXPECT_EQ(bytes.find(answer), std::string::npos) << "message " << m.sequence();
  }
  EXPECT_EQ(OpenAsAdviser(stored[0], Adviser(kAdviser), thread.signing.public_key()), question);
  auto parsed = crypto::ParseEnvelope(stored[1].envelope());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto body = crypto::OpenEnvelope(*parsed, parsed->context(),
                                   Adviser(kAdviser).signing.public_key(), thread.reply);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->text(), answer);
}

TEST_F(RelayFlowTest, ResubmitOfSameBytesIsDuplicateAndOtherBytesAlreadyExists) {
  ThreadKeys thread = NewThreadKeys();
  v1::SubmitConsultationRequest request = SubmitRequest(thread, "first");
  auto pro = Stub(kProfessional);
  v1::Ack first, second, third;
  {
    ClientContext ctx;
    ASSERT_TRUE(pro->SubmitConsultation(&ctx, request, &first).ok());
  }
  {
    ClientContext ctx;
    ASSERT_TRUE(pro->SubmitConsultation(&ctx, request, &second).ok());
  }
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(second.accepted_at_unix_ms(), first.accepted_at_unix_ms());
  EXPECT_EQ(second.sequence(), 1u);
  // Same message id, other content.
  auto parsed = crypto::ParseEnvelope(request.envelope());
  ASSERT_TRUE(parsed.ok());
  request.set_envelope(
      SealFromProfessional(thread, parsed->header.message_id(), 1, "other words", true));
  ClientContext ctx;
  EXPECT_EQ(pro->SubmitConsultation(&ctx, request, &third).error_code(),
            StatusCode::ALREADY_EXISTS);
}

TEST_F(RelayFlowTest, ProfessionalFollowUpNeedsFreshProofUnderThreadKey) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "question");
  auto pro = Stub(kProfessional);
  v1::PostMessageRequest request;
  request.set_thread_id(thread.thread_id);
  request.set_envelope(SealFromProfessional(thread, crypto::RandomId(), 2, "more", false));
  v1::Ack ack;
  {  // No proof at all.
    ClientContext ctx;
    EXPECT_EQ(pro->PostMessage(&ctx, request, &ack).error_code(), StatusCode::UNAUTHENTICATED);
  }
  {  // A proof by a key that is not the thread's: the thread is not visible.
    ThreadKeys stranger = NewThreadKeys();
    stranger.thread_id = thread.thread_id;
    Prove(request, kPostMessage, stranger);
    ClientContext ctx;
    EXPECT_EQ(pro->PostMessage(&ctx, request, &ack).error_code(), StatusCode::NOT_FOUND);
  }
  {  // A proof for another method does not verify either.
    Prove(request, kGetThread, thread);
    ClientContext ctx;
    EXPECT_EQ(pro->PostMessage(&ctx, request, &ack).error_code(), StatusCode::NOT_FOUND);
  }
  Prove(request, kPostMessage, thread);
  {
    ClientContext ctx;
    grpc::Status status = pro->PostMessage(&ctx, request, &ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(ack.sequence(), 2u);
  }
  {  // The same proof again is a replay.
    ClientContext ctx;
    grpc::Status status = pro->PostMessage(&ctx, request, &ack);
    EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED) << status.error_message();
  }
  {  // A stale proof is refused.
    request.clear_proof();
    *request.mutable_proof() =
        crypto::MakeOwnershipProof(kPostMessage, thread.thread_id, crypto::RequestDigest(request),
                                   NowMs() - 600000, thread.signing);
    ClientContext ctx;
    EXPECT_EQ(pro->PostMessage(&ctx, request, &ack).error_code(), StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(RelayFlowTest, NonexistentThreadAndForeignUnitAreNotFoundAlike) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "question");
  auto other = Stub(kOtherAdviser);
  v1::GetThreadRequest get;
  get.set_thread_id(thread.thread_id);
  v1::ThreadView view;
  ClientContext c1;
  grpc::Status foreign = other->GetThread(&c1, get, &view);
  EXPECT_EQ(foreign.error_code(), StatusCode::NOT_FOUND);
  get.set_thread_id(crypto::RandomId());
  ClientContext c2;
  grpc::Status missing = other->GetThread(&c2, get, &view);
  EXPECT_EQ(missing.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(foreign.error_message(), missing.error_message());

  v1::ClaimThreadRequest claim;
  claim.set_thread_id(thread.thread_id);
  v1::ThreadSummary summary;
  ClientContext c3;
  EXPECT_EQ(other->ClaimThread(&c3, claim, &summary).error_code(), StatusCode::NOT_FOUND);
  v1::CloseThreadRequest close;
  close.set_thread_id(thread.thread_id);
  ClientContext c4;
  EXPECT_EQ(other->CloseThread(&c4, close, &summary).error_code(), StatusCode::NOT_FOUND);
  // The other unit's queue does not list it.
  ClientContext c5;
  v1::QueuePage page;
  ASSERT_TRUE(other->ListQueue(&c5, v1::ListQueueRequest(), &page).ok());
  EXPECT_EQ(page.threads_size(), 0);
}

TEST_F(RelayFlowTest, EachRoleIsRefusedMethodsOfOtherRoles) {
  auto pro = Stub(kProfessional);
  auto adviser = Stub(kAdviser);
  auto admin = Stub(kAdmin);
  v1::QueuePage page;
  ClientContext c1;
  EXPECT_EQ(pro->ListQueue(&c1, v1::ListQueueRequest(), &page).error_code(),
            StatusCode::PERMISSION_DENIED);
  v1::Ack ack;
  ClientContext c2;
  EXPECT_EQ(
      adviser->SubmitConsultation(&c2, SubmitRequest(NewThreadKeys(), "x"), &ack).error_code(),
      StatusCode::PERMISSION_DENIED);
  v1::PublishDirectoryRequest publish;
  *publish.mutable_directory() = SignDirectory(5);
  v1::PublishDirectoryReply published;
  ClientContext c3;
  EXPECT_EQ(adviser->PublishDirectory(&c3, publish, &published).error_code(),
            StatusCode::PERMISSION_DENIED);
  ClientContext c4;
  EXPECT_EQ(pro->PublishDirectory(&c4, publish, &published).error_code(),
            StatusCode::PERMISSION_DENIED);
  v1::RevocationRecord record;
  v1::RevokeCertificateRequest revoke;
  revoke.set_serial_hex("01");
  ClientContext c5;
  EXPECT_EQ(adviser->RevokeCertificate(&c5, revoke, &record).error_code(),
            StatusCode::PERMISSION_DENIED);
  ClientContext c6;
  EXPECT_EQ(admin->ListQueue(&c6, v1::ListQueueRequest(), &page).error_code(),
            StatusCode::PERMISSION_DENIED);
  ClientContext c7;
  v1::ThreadView view;
  v1::GetThreadRequest get;
  get.set_thread_id(crypto::RandomId());
  EXPECT_EQ(admin->GetThread(&c7, get, &view).error_code(), StatusCode::PERMISSION_DENIED);
  // Every role may read the directory.
  for (auto* stub : {pro.get(), adviser.get(), admin.get()}) {
    ClientContext ctx;
    v1::SignedDirectory directory;
    EXPECT_TRUE(stub->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).ok());
    auto verified = crypto::VerifyDirectory(directory, directory_key_->public_key());
    EXPECT_TRUE(verified.ok());
  }
}

// Without a certificate of the relay's CA the TLS handshake fails, so no call
// reaches gRPC (UNAVAILABLE at the client); a certificate of the CA that is
// expired completes the handshake and is refused per call with the reason.
TEST_F(RelayFlowTest, CertificateProblemsAreRefused) {
  const TestPki& pki = SharedPki();
  v1::SignedDirectory directory;
  {  // No client certificate.
    ClientContext ctx;
    grpc::Status status = Stub("")->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
    EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE) << status.error_message();
  }
  {  // Issued by a CA the relay does not trust.
    auto stub = StubWithFiles(pki.other_dir + "/professional-07-p-1.crt",
                              pki.other_dir + "/professional-07-p-1.key", pki.dir + "/ca.crt");
    ClientContext ctx;
    grpc::Status status = stub->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
    EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE) << status.error_message();
  }
  {  // Expired.
    ClientContext ctx;
    grpc::Status status =
        Stub("expired")->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
    EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED) << status.error_message();
    EXPECT_NE(status.error_message().find("expired"), std::string::npos);
  }
}

TEST_F(RelayFlowTest, RevokedCertificateIsRefusedOnItsNextCall) {
  auto pro = Stub(kProfessional2);
  v1::SignedDirectory directory;
  {
    ClientContext ctx;
    ASSERT_TRUE(pro->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).ok());
  }
  // The serial as the admin would type it (lower case is accepted).
  FILE* pipe =
      popen(("openssl x509 -noout -serial -in " + SharedPki().Cert(kProfessional2)).c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[256] = {};
  ASSERT_NE(fgets(buffer, sizeof(buffer), pipe), nullptr);
  pclose(pipe);
  std::string serial(buffer);
  serial = serial.substr(serial.find('=') + 1);
  while (!serial.empty() && (serial.back() == '\n' || serial.back() == '\r')) serial.pop_back();
  std::string lower = serial;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  auto admin = Stub(kAdmin);
  v1::RevokeCertificateRequest revoke;
  revoke.set_serial_hex(lower);
  revoke.set_reason("laptop lost");
  v1::RevocationRecord record;
  {
    ClientContext ctx;
    grpc::Status status = admin->RevokeCertificate(&ctx, revoke, &record);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(record.serial_hex(), serial);
  EXPECT_EQ(record.revoked_by(), "ops-1");
  {
    ClientContext ctx;
    grpc::Status status = pro->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
    EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
    EXPECT_NE(status.error_message().find("revoked"), std::string::npos);
  }
  {
    ClientContext ctx;
    v1::ListRevokedReply revoked;
    ASSERT_TRUE(admin->ListRevoked(&ctx, v1::ListRevokedRequest(), &revoked).ok());
    ASSERT_EQ(revoked.revoked_size(), 1);
    EXPECT_EQ(revoked.revoked(0).serial_hex(), serial);
  }
  // Still revoked after a restart (read from the store, not only the cache).
  StopRelay();
  StartRelay();
  ClientContext ctx;
  EXPECT_EQ(
      Stub(kProfessional2)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).error_code(),
      StatusCode::UNAUTHENTICATED);
}

TEST_F(RelayFlowTest, SubmissionValidationNamesTheProblem) {
  auto pro = Stub(kProfessional);
  v1::Ack ack;
  ThreadKeys thread = NewThreadKeys();
  {  // Missing category.
    auto request = SubmitRequest(thread, "x");
    request.mutable_metadata()->set_category(v1::CATEGORY_UNSPECIFIED);
    ClientContext ctx;
    grpc::Status status = pro->SubmitConsultation(&ctx, request, &ack);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("metadata.category"), std::string::npos);
  }
  {  // Another county than the certificate's.
    auto request = SubmitRequest(thread, "x");
    request.mutable_metadata()->set_county("12");
    ClientContext ctx;
    EXPECT_EQ(pro->SubmitConsultation(&ctx, request, &ack).error_code(),
              StatusCode::PERMISSION_DENIED);
  }
  {  // Envelope signed by another key than thread_signing_public_key.
    auto request = SubmitRequest(thread, "x");
    request.set_thread_signing_public_key(NewThreadKeys().signing.public_key().bytes());
    ClientContext ctx;
    EXPECT_EQ(pro->SubmitConsultation(&ctx, request, &ack).error_code(),
              StatusCode::INVALID_ARGUMENT);
  }
  {  // Sealed for the wrong unit.
    auto request = SubmitRequest(thread, "x");
    request.set_envelope(
        SealFromProfessional(thread, crypto::RandomId(), 1, "x", true, kOtherUnit, 1));
    ClientContext ctx;
    EXPECT_EQ(pro->SubmitConsultation(&ctx, request, &ack).error_code(),
              StatusCode::FAILED_PRECONDITION);
  }
  {  // Sealed at a stale epoch.
    auto request = SubmitRequest(thread, "x");
    request.set_envelope(SealFromProfessional(thread, crypto::RandomId(), 1, "x", true, kUnit, 7));
    ClientContext ctx;
    grpc::Status status = pro->SubmitConsultation(&ctx, request, &ack);
    EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(status.error_message().find("epoch"), std::string::npos);
  }
  {  // Not an envelope.
    auto request = SubmitRequest(thread, "x");
    request.set_envelope("garbage");
    ClientContext ctx;
    EXPECT_EQ(pro->SubmitConsultation(&ctx, request, &ack).error_code(),
              StatusCode::INVALID_ARGUMENT);
  }
  {  // Too big.
    auto request = SubmitRequest(thread, std::string(300 * 1024, 'a'));
    ClientContext ctx;
    EXPECT_EQ(pro->SubmitConsultation(&ctx, request, &ack).error_code(),
              StatusCode::RESOURCE_EXHAUSTED);
  }
  {  // Malformed thread id on a read.
    v1::GetThreadRequest get;
    get.set_thread_id("not-hex");
    v1::ThreadView view;
    ClientContext ctx;
    EXPECT_EQ(Stub(kAdviser)->GetThread(&ctx, get, &view).error_code(),
              StatusCode::INVALID_ARGUMENT);
  }
  {  // Out-of-range page size.
    v1::ListQueueRequest list;
    list.set_page_size(500);
    v1::QueuePage page;
    ClientContext ctx;
    EXPECT_EQ(Stub(kAdviser)->ListQueue(&ctx, list, &page).error_code(),
              StatusCode::INVALID_ARGUMENT);
  }
}

TEST_F(RelayFlowTest, PostWithWrongSequenceOrAfterCloseIsFailedPrecondition) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "q");
  auto adviser = Stub(kAdviser);
  v1::PostMessageRequest post;
  post.set_thread_id(thread.thread_id);
  post.set_envelope(SealFromAdviser(advisers_.at(kAdviser), thread, crypto::RandomId(), 3, "a"));
  v1::Ack ack;
  {
    ClientContext ctx;
    grpc::Status status = adviser->PostMessage(&ctx, post, &ack);
    EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(status.error_message().find("expects 2"), std::string::npos)
        << status.error_message();
  }
  {  // The professional closes with a proof.
    v1::CloseThreadRequest close;
    close.set_thread_id(thread.thread_id);
    Prove(close, kCloseThread, thread);
    v1::ThreadSummary summary;
    ClientContext ctx;
    grpc::Status status = Stub(kProfessional)->CloseThread(&ctx, close, &summary);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(summary.state(), v1::THREAD_STATE_CLOSED);
  }
  {
    post.set_envelope(SealFromAdviser(advisers_.at(kAdviser), thread, crypto::RandomId(), 2, "a"));
    ClientContext ctx;
    EXPECT_EQ(adviser->PostMessage(&ctx, post, &ack).error_code(), StatusCode::FAILED_PRECONDITION);
  }
  {  // Closing again.
    v1::CloseThreadRequest close;
    close.set_thread_id(thread.thread_id);
    v1::ThreadSummary summary;
    ClientContext ctx;
    EXPECT_EQ(adviser->CloseThread(&ctx, close, &summary).error_code(),
              StatusCode::FAILED_PRECONDITION);
  }
}

TEST_F(RelayFlowTest, ClaimIsExclusiveAndReleaseNeedsTheClaim) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "q");
  v1::ClaimThreadRequest claim;
  claim.set_thread_id(thread.thread_id);
  v1::ThreadSummary summary;
  {
    ClientContext ctx;
    ASSERT_TRUE(Stub(kAdviser)->ClaimThread(&ctx, claim, &summary).ok());
  }
  {
    ClientContext ctx;
    EXPECT_EQ(Stub(kAdviser2)->ClaimThread(&ctx, claim, &summary).error_code(),
              StatusCode::FAILED_PRECONDITION);
  }
  v1::ReleaseThreadRequest release;
  release.set_thread_id(thread.thread_id);
  {
    ClientContext ctx;
    EXPECT_EQ(Stub(kAdviser2)->ReleaseThread(&ctx, release, &summary).error_code(),
              StatusCode::FAILED_PRECONDITION);
  }
  {
    ClientContext ctx;
    ASSERT_TRUE(Stub(kAdviser)->ReleaseThread(&ctx, release, &summary).ok());
    EXPECT_EQ(summary.state(), v1::THREAD_STATE_OPEN);
  }
}

TEST_F(RelayFlowTest, ConcurrentClaimsByTwoAdvisersHaveOneWinner) {
  for (int round = 0; round < 5; ++round) {
    ThreadKeys thread = NewThreadKeys();
    Submit(thread, "q");
    v1::ClaimThreadRequest claim;
    claim.set_thread_id(thread.thread_id);
    auto a = Stub(kAdviser);
    auto b = Stub(kAdviser2);
    grpc::Status sa, sb;
    std::thread ta([&] {
      ClientContext ctx;
      v1::ThreadSummary s;
      sa = a->ClaimThread(&ctx, claim, &s);
    });
    std::thread tb([&] {
      ClientContext ctx;
      v1::ThreadSummary s;
      sb = b->ClaimThread(&ctx, claim, &s);
    });
    ta.join();
    tb.join();
    EXPECT_NE(sa.ok(), sb.ok()) << sa.error_message() << " / " << sb.error_message();
    const grpc::Status& loser = sa.ok() ? sb : sa;
    EXPECT_EQ(loser.error_code(), StatusCode::FAILED_PRECONDITION);
  }
}

// The relay's own claim rules (the client checks some of them first, so the
// e2e tests cannot reach these refusals): the handover target is checked
// against the relay's directory, an answer on another adviser's claim needs
// take_over, take_over is for advisers, and force-release follows the
// admin's scope.
TEST_F(RelayFlowTest, ClaimRulesAreEnforcedByTheRelay) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "q");
  v1::ThreadSummary summary;
  {
    v1::ClaimThreadRequest claim;
    claim.set_thread_id(thread.thread_id);
    ClientContext ctx;
    ASSERT_TRUE(Stub(kAdviser)->ClaimThread(&ctx, claim, &summary).ok());
  }
  auto handover = [&](const std::string& as, const std::string& to) {
    v1::HandoverThreadRequest request;
    request.set_thread_id(thread.thread_id);
    request.set_to_adviser_id(to);
    ClientContext ctx;
    return Stub(as)->HandoverThread(&ctx, request, &summary);
  };
  grpc::Status unknown = handover(kAdviser, "a-9");
  EXPECT_EQ(unknown.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message(), "no adviser a-9 in directory epoch 1");
  grpc::Status foreign = handover(kAdviser, "b-1");
  EXPECT_EQ(foreign.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(foreign.error_message(), ::testing::HasSubstr("is an adviser of unit nkt"));
  EXPECT_EQ(handover(kAdviser, "a-1").error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(handover(kAdviser, "no/such id").error_code(), StatusCode::INVALID_ARGUMENT);
  grpc::Status not_holder = handover(kAdviser2, "a-1");
  EXPECT_EQ(not_holder.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(not_holder.error_message(), ::testing::HasSubstr("is claimed by adviser a-1;"));
  EXPECT_EQ(handover(kOtherAdviser, "b-1").error_code(), StatusCode::NOT_FOUND);
  ASSERT_TRUE(handover(kAdviser, "a-2").ok());
  EXPECT_EQ(summary.claimed_by(), "a-2");
  EXPECT_EQ(summary.state(), v1::THREAD_STATE_CLAIMED);

  auto answer = [&](const std::string& as, bool take_over) {
    v1::PostMessageRequest request;
    request.set_thread_id(thread.thread_id);
    request.set_envelope(SealFromAdviser(Adviser(as), thread, crypto::RandomId(), 2, "a"));
    request.set_take_over(take_over);
    v1::Ack ack;
    ClientContext ctx;
    return Stub(as)->PostMessage(&ctx, request, &ack);
  };
  grpc::Status refused = answer(kAdviser, false);
  EXPECT_EQ(refused.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("is claimed by adviser a-2;"));
  ASSERT_TRUE(answer(kAdviser, true).ok());
  {
    v1::GetThreadRequest get;
    get.set_thread_id(thread.thread_id);
    v1::ThreadView view;
    ClientContext ctx;
    ASSERT_TRUE(Stub(kAdviser)->GetThread(&ctx, get, &view).ok());
    EXPECT_EQ(view.summary().claimed_by(), "a-1");
    EXPECT_EQ(view.summary().state(), v1::THREAD_STATE_ANSWERED);
  }
  {
    v1::PostMessageRequest request;
    request.set_thread_id(thread.thread_id);
    request.set_envelope(SealFromProfessional(thread, crypto::RandomId(), 3, "more", false));
    request.set_take_over(true);
    Prove(request, "/samrad.v1.Relay/PostMessage", thread);
    v1::Ack ack;
    ClientContext ctx;
    EXPECT_EQ(Stub(kProfessional)->PostMessage(&ctx, request, &ack).error_code(),
              StatusCode::INVALID_ARGUMENT);
  }

  auto force_release = [&](const std::string& as) {
    v1::ForceReleaseThreadRequest request;
    request.set_thread_id(thread.thread_id);
    ClientContext ctx;
    return Stub(as)->ForceReleaseThread(&ctx, request, &summary);
  };
  const std::string skane_admin = IssueClientCertificate("admin", "rc-skane", "ops-2");
  const std::string unit_admin = IssueClientCertificate("admin", kUnit, "ops-3");
  EXPECT_EQ(force_release(skane_admin).error_code(), StatusCode::NOT_FOUND);
  ASSERT_TRUE(force_release(unit_admin).ok());
  EXPECT_EQ(summary.state(), v1::THREAD_STATE_OPEN);
  EXPECT_EQ(summary.claimed_by(), "");
  grpc::Status unclaimed = force_release(kAdmin);
  EXPECT_EQ(unclaimed.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(unclaimed.error_message(), ::testing::HasSubstr("not claimed by anyone"));
}

TEST_F(RelayFlowTest, ReferralMovesThreadAndNewUnitCanOpenIt) {
  const std::string question = "refer-me-please";
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, question);
  auto adviser = Stub(kAdviser);
  v1::ThreadView view;
  {
    ClientContext ctx;
    v1::GetThreadRequest get;
    get.set_thread_id(thread.thread_id);
    ASSERT_TRUE(adviser->GetThread(&ctx, get, &view).ok());
  }
  v1::ReferThreadRequest refer;
  refer.set_thread_id(thread.thread_id);
  refer.set_to_unit(kOtherUnit);
  for (const auto& message : view.messages()) {
    auto parsed = crypto::ParseEnvelope(message.envelope());
    ASSERT_TRUE(parsed.ok());
    auto wraps = crypto::RewrapContentKey(*parsed, advisers_.at(kAdviser).encryption, {},
                                          UnitRecipients(kOtherUnit));
    ASSERT_TRUE(wraps.ok()) << wraps.status();
    auto* rewrap = refer.add_rewraps();
    rewrap->set_message_id(message.message_id());
    for (auto& w : *wraps) *rewrap->add_recipients() = w;
  }
  {  // No signed referral note: readers could not verify the move.
    v1::ThreadSummary summary;
    ClientContext ctx;
    EXPECT_EQ(adviser->ReferThread(&ctx, refer, &summary).error_code(),
              StatusCode::INVALID_ARGUMENT);
  }
  refer.set_note_envelope(SealReferralNote(
      Adviser(kAdviser), thread, static_cast<uint64_t>(view.messages_size()) + 1, kOtherUnit));
  {  // Unknown unit.
    v1::ReferThreadRequest bad = refer;
    bad.set_to_unit("rc-nowhere");
    v1::ThreadSummary summary;
    ClientContext ctx;
    EXPECT_EQ(adviser->ReferThread(&ctx, bad, &summary).error_code(), StatusCode::NOT_FOUND);
  }
  {  // Rewraps that miss a message.
    v1::ReferThreadRequest bad = refer;
    bad.clear_rewraps();
    v1::ThreadSummary summary;
    ClientContext ctx;
    EXPECT_EQ(adviser->ReferThread(&ctx, bad, &summary).error_code(), StatusCode::INVALID_ARGUMENT);
  }
  // The referring adviser's watch of the thread ends with the referral. The
  // backlog (message 1) arrives only once the stream is subscribed, so the
  // referral below cannot come too early. The deadline is a hang guard.
  v1::WatchThreadRequest watch;
  watch.set_thread_id(thread.thread_id);
  watch.set_after_sequence(0);
  ClientContext watch_ctx;
  watch_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  auto watcher = adviser->WatchThread(&watch_ctx, watch);
  v1::ThreadEvent backlog_event;
  ASSERT_TRUE(watcher->Read(&backlog_event));
  EXPECT_EQ(backlog_event.message().sequence(), 1u);
  v1::ThreadSummary summary;
  {
    ClientContext ctx;
    grpc::Status status = adviser->ReferThread(&ctx, refer, &summary);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::ThreadEvent last_event;
  ASSERT_TRUE(watcher->Read(&last_event));
  EXPECT_EQ(last_event.summary().unit(), kOtherUnit);
  EXPECT_FALSE(watcher->Read(&last_event));
  EXPECT_TRUE(watcher->Finish().ok());
  EXPECT_EQ(summary.unit(), kOtherUnit);
  EXPECT_EQ(summary.state(), v1::THREAD_STATE_OPEN);
  {  // The old unit no longer sees it; the new one opens it.
    ClientContext c1;
    v1::GetThreadRequest get;
    get.set_thread_id(thread.thread_id);
    EXPECT_EQ(adviser->GetThread(&c1, get, &view).error_code(), StatusCode::NOT_FOUND);
    ClientContext c2;
    ASSERT_TRUE(Stub(kOtherAdviser)->GetThread(&c2, get, &view).ok());
    ASSERT_EQ(view.messages_size(), 2);  // the question and the referral note
    EXPECT_EQ(view.messages(1).adviser_id(), advisers_.at(kAdviser).id);
    EXPECT_EQ(
        OpenAsAdviser(view.messages(0), advisers_.at(kOtherAdviser), thread.signing.public_key()),
        question);
  }
}

TEST_F(RelayFlowTest, WatchQueueAndWatchThreadDeliverEvents) {
  auto adviser_channel = Channel(kAdviser);
  auto adviser = v1::Relay::NewStub(adviser_channel);
  ClientContext queue_ctx;
  // Deadlines in this test are hang guards only.
  queue_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  auto queue_reader = adviser->WatchQueue(&queue_ctx, v1::WatchQueueRequest());
  // A queue stream sends nothing until an event, so nothing tells when the
  // relay has subscribed it: submit threads until the first event arrives,
  // which must be one of them.
  std::map<std::string, ThreadKeys> submitted;
  v1::QueueEvent queue_event;
  std::atomic<bool> first_read{false};
  bool first_ok = false;
  std::thread first_reader([&] {
    first_ok = queue_reader->Read(&queue_event);
    first_read = true;
  });
  while (!first_read) {
    ThreadKeys keys = NewThreadKeys();
    Submit(keys, "watched");
    const std::string id = keys.thread_id;
    submitted.emplace(id, std::move(keys));
    for (int i = 0; i < 10 && !first_read; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // pacing, not a check
    }
  }
  first_reader.join();
  ASSERT_TRUE(first_ok) << "the queue stream ended before any event";
  EXPECT_EQ(queue_event.kind(), v1::QueueEvent::KIND_NEW);
  ASSERT_EQ(submitted.count(queue_event.thread().thread_id()), 1u);
  const ThreadKeys& thread = submitted.at(queue_event.thread().thread_id());

  // The professional watches the thread: the backlog (message 1) first.
  auto pro = Stub(kProfessional);
  v1::WatchThreadRequest watch;
  watch.set_thread_id(thread.thread_id);
  Prove(watch, kWatchThread, thread);
  ClientContext thread_ctx;
  thread_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  auto thread_reader = pro->WatchThread(&thread_ctx, watch);
  v1::ThreadEvent thread_event;
  ASSERT_TRUE(thread_reader->Read(&thread_event));
  EXPECT_EQ(thread_event.message().sequence(), 1u);

  // An answer reaches both streams.
  v1::PostMessageRequest post;
  post.set_thread_id(thread.thread_id);
  post.set_envelope(SealFromAdviser(advisers_.at(kAdviser), thread, crypto::RandomId(), 2, "ans"));
  v1::Ack ack;
  ClientContext post_ctx;
  ASSERT_TRUE(adviser->PostMessage(&post_ctx, post, &ack).ok());
  ASSERT_TRUE(thread_reader->Read(&thread_event));
  EXPECT_EQ(thread_event.message().sequence(), 2u);
  EXPECT_EQ(thread_event.summary().state(), v1::THREAD_STATE_ANSWERED);
  // Threads submitted after the first one's event may come first, as new.
  ASSERT_TRUE(queue_reader->Read(&queue_event));
  while (queue_event.kind() == v1::QueueEvent::KIND_NEW &&
         queue_event.thread().thread_id() != thread.thread_id) {
    EXPECT_EQ(submitted.count(queue_event.thread().thread_id()), 1u);
    ASSERT_TRUE(queue_reader->Read(&queue_event));
  }
  EXPECT_EQ(queue_event.kind(), v1::QueueEvent::KIND_ANSWERED);
  EXPECT_EQ(queue_event.thread().thread_id(), thread.thread_id);

  // Shutdown ends the streams with UNAVAILABLE.
  StopRelay();
  EXPECT_FALSE(thread_reader->Read(&thread_event));
  EXPECT_EQ(thread_reader->Finish().error_code(), StatusCode::UNAVAILABLE);
  EXPECT_FALSE(queue_reader->Read(&queue_event));
  EXPECT_EQ(queue_reader->Finish().error_code(), StatusCode::UNAVAILABLE);
}

TEST_F(RelayFlowTest, AdminPublishesAuditsAndMaintains) {
  auto admin = Stub(kAdmin);
  {  // Not higher than the current epoch.
    v1::PublishDirectoryRequest request;
    *request.mutable_directory() = SignDirectory(1);
    v1::PublishDirectoryReply reply;
    ClientContext ctx;
    EXPECT_EQ(admin->PublishDirectory(&ctx, request, &reply).error_code(),
              StatusCode::FAILED_PRECONDITION);
  }
  {  // Bad signature.
    v1::PublishDirectoryRequest request;
    *request.mutable_directory() = SignDirectory(2);
    std::string sig = request.directory().signature();
    sig[0] ^= 1;
    request.mutable_directory()->set_signature(sig);
    v1::PublishDirectoryReply reply;
    ClientContext ctx;
    EXPECT_EQ(admin->PublishDirectory(&ctx, request, &reply).error_code(),
              StatusCode::INVALID_ARGUMENT);
  }
  PublishDirectory(2);
  // Some activity to audit.
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "q");
  {
    v1::ClaimThreadRequest claim;
    claim.set_thread_id(thread.thread_id);
    v1::ThreadSummary summary;
    ClientContext ctx;
    ASSERT_TRUE(Stub(kAdviser)->ClaimThread(&ctx, claim, &summary).ok());
  }
  {
    v1::CloseThreadRequest close;
    close.set_thread_id(thread.thread_id);
    Prove(close, kCloseThread, thread);
    v1::ThreadSummary summary;
    ClientContext ctx;
    ASSERT_TRUE(Stub(kProfessional)->CloseThread(&ctx, close, &summary).ok());
  }
  {
    v1::AuditLogReply log;
    ClientContext ctx;
    ASSERT_TRUE(admin->GetAuditLog(&ctx, v1::AuditLogRequest(), &log).ok());
    std::vector<std::string> actions;
    for (const auto& e : log.entries()) {
      actions.push_back(e.action());
      if (e.actor_role() == "professional") {
        EXPECT_EQ(e.actor_id(), "");
      }
      if (e.action() == "claim") {
        EXPECT_EQ(e.actor_id(), "a-1");
      }
    }
    EXPECT_NE(std::find(actions.begin(), actions.end(), "publish"), actions.end());
    EXPECT_NE(std::find(actions.begin(), actions.end(), "claim"), actions.end());
    EXPECT_NE(std::find(actions.begin(), actions.end(), "close"), actions.end());
    v1::AuditLogRequest too_many;
    too_many.set_limit(5000);
    ClientContext ctx2;
    EXPECT_EQ(admin->GetAuditLog(&ctx2, too_many, &log).error_code(), StatusCode::INVALID_ARGUMENT);
  }
  {
    // This month has not ended: refused (whole ended periods only; the
    // suppression rule is tested in RelayStatsTest and storage's tests).
    v1::StatsRequest stats;
    const absl::CivilMonth month =
        absl::ToCivilMonth(absl::FromUnixMillis(NowMs()), absl::UTCTimeZone());
    stats.set_period(v1::STATS_PERIOD_MONTH);
    stats.set_year(static_cast<int>(month.year()));
    stats.set_index(month.month());
    stats.add_group_by("unit");
    v1::StatsReply reply;
    ClientContext ctx;
    grpc::Status status = admin->GetStats(&ctx, stats, &reply);
    EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION) << status.error_message();
    stats.add_group_by("shoe-size");
    ClientContext ctx2;
    EXPECT_EQ(admin->GetStats(&ctx2, stats, &reply).error_code(), StatusCode::INVALID_ARGUMENT);
  }
  {
    v1::BackupReply reply;
    ClientContext ctx;
    grpc::Status status = admin->Backup(&ctx, v1::BackupRequest(), &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_GT(reply.size_bytes(), 0u);
    EXPECT_TRUE(std::filesystem::exists(reply.backup_dir()));
  }
  {
    v1::RetentionRequest request;
    request.set_dry_run(true);
    v1::RetentionReply reply;
    ClientContext ctx;
    grpc::Status status = admin->RunRetention(&ctx, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.threads_purged(), 0u);  // closed just now, well within 90 days
  }
}

// One unary call of `method` with an empty request through `channel`
// (generic: Health and reflection are not in relay.proto). Fills `*reply`.
grpc::Status GenericUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          std::string* reply = nullptr) {
  grpc::GenericStub generic(channel);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));  // hang guard
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = s;
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (status.ok() && reply != nullptr) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const auto& s : slices)
        reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kReflection[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

TEST_F(RelayFlowTest, HealthServiceReportsServing) {
  // An empty HealthCheckRequest; the reply field 1 = 1 (SERVING) serialises
  // as 0x08 0x01.
  std::string reply;
  grpc::Status status = GenericUnary(Channel(kProfessional), kHealthCheck, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, std::string("\x08\x01", 2));
}

// The handshake itself requires a certificate of the relay's CA: without one
// not even Health or reflection answer (gRPC 1.51's HTTP/2 stack is never
// exposed to anonymous peers). Reflection is off unless configured.
TEST_F(RelayFlowTest, NothingAnswersWithoutAClientCertificate) {
  const TestPki& pki = SharedPki();
  auto foreign = grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(port_),
      grpc::SslCredentials({ReadFile(pki.dir + "/ca.crt"),
                            ReadFile(pki.other_dir + "/professional-07-p-1.key"),
                            ReadFile(pki.other_dir + "/professional-07-p-1.crt")}),
      [] {
        grpc::ChannelArguments args;
        args.SetSslTargetNameOverride("localhost");
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        return args;
      }());
  for (const char* method : {kHealthCheck, kReflection, "/samrad.v1.Relay/GetDirectory"}) {
    EXPECT_EQ(GenericUnary(Channel(""), method).error_code(), StatusCode::UNAVAILABLE) << method;
    EXPECT_EQ(GenericUnary(foreign, method).error_code(), StatusCode::UNAVAILABLE) << method;
  }
  EXPECT_TRUE(GenericUnary(Channel(kProfessional), kHealthCheck).ok());
  EXPECT_EQ(GenericUnary(Channel(kAdmin), kReflection).error_code(), StatusCode::UNIMPLEMENTED);
}

// Reflection answers verified clients only when the config turns it on. (The
// plugin is process-wide once registered, so this runs after the test above.)
TEST_F(RelayFlowTest, ReflectionAnswersOnlyWhenConfigured) {
  EXPECT_EQ(GenericUnary(Channel(kAdmin), kReflection).error_code(), StatusCode::UNIMPLEMENTED);
  StopRelay();
  v1::RelayConfig config = BaseConfig();
  config.set_enable_reflection(true);
  StartRelay(config);
  EXPECT_NE(GenericUnary(Channel(kAdmin), kReflection).error_code(), StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(GenericUnary(Channel(""), kReflection).error_code(), StatusCode::UNAVAILABLE);
}

// A relay must not share its port with another process: gRPC's SO_REUSEPORT
// default would let a second relay silently take half the connections.
TEST_F(RelayFlowTest, ASecondRelayOnTheSamePortFailsToStart) {
  v1::RelayConfig config = BaseConfig();
  config.set_listen_address("127.0.0.1:" + std::to_string(port_));
  config.set_data_dir(temp_->path() + "/second-data");
  ASSERT_TRUE(FinalizeConfig(config).ok());
  auto second = RelayServer::Start(config);
  ASSERT_FALSE(second.ok()) << "a second relay started on port " << port_;
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status();
}

class RelayLimitsTest : public RelayTest {};

TEST_F(RelayLimitsTest, RetentionClosesIdleThreadsThenPurgesThemAndAuditsIt) {
  std::atomic<int64_t> now{NowMs()};
  v1::RelayConfig config = BaseConfig();
  config.mutable_retention()->set_inactive_days(10);
  config.mutable_retention()->set_closed_days(20);
  StartRelay(config, [&] { return now.load(); });
  PublishDirectory(1);
  ThreadKeys idle = NewThreadKeys();
  ThreadKeys fresh = NewThreadKeys();
  Submit(idle, "idle");
  now += int64_t{11} * 24 * 3600 * 1000;
  Submit(fresh, "fresh");
  auto admin = Stub(kAdmin);
  v1::RetentionRequest request;
  v1::RetentionReply reply;
  {
    ClientContext ctx;
    grpc::Status status = admin->RunRetention(&ctx, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.threads_closed(), 1u);
    EXPECT_EQ(reply.threads_purged(), 0u);
  }
  now += int64_t{21} * 24 * 3600 * 1000;
  {  // Dry run says what would go and removes nothing.
    request.set_dry_run(true);
    ClientContext ctx;
    ASSERT_TRUE(admin->RunRetention(&ctx, request, &reply).ok());
    ASSERT_EQ(reply.purged_thread_ids_size(), 1);
    EXPECT_EQ(reply.purged_thread_ids(0), idle.thread_id);
  }
  request.set_dry_run(false);
  {
    ClientContext ctx;
    ASSERT_TRUE(admin->RunRetention(&ctx, request, &reply).ok());
    EXPECT_EQ(reply.threads_purged(), 1u);
    EXPECT_EQ(reply.messages_purged(), 1u);
  }
  v1::GetThreadRequest get;
  get.set_thread_id(idle.thread_id);
  v1::ThreadView view;
  ClientContext c1;
  EXPECT_EQ(Stub(kAdviser)->GetThread(&c1, get, &view).error_code(), StatusCode::NOT_FOUND);
  get.set_thread_id(fresh.thread_id);
  ClientContext c2;
  EXPECT_TRUE(Stub(kAdviser)->GetThread(&c2, get, &view).ok());  // closed by now, not purged
  v1::AuditLogReply log;
  ClientContext c3;
  ASSERT_TRUE(admin->GetAuditLog(&c3, v1::AuditLogRequest(), &log).ok());
  int purges = 0, closes = 0, runs = 0;
  for (const auto& e : log.entries()) {
    if (e.action() == "purge") {
      ++purges;
      EXPECT_EQ(e.thread_id(), idle.thread_id);
    }
    closes += e.action() == "retention-close" ? 1 : 0;
    runs += e.action() == "retention" && e.actor_id() == "ops-1" ? 1 : 0;
  }
  EXPECT_EQ(purges, 1);
  EXPECT_EQ(closes, 2);  // idle first, fresh in the second run
  EXPECT_EQ(runs, 2);    // each non-dry run, by the admin who asked
}

TEST_F(RelayLimitsTest, RateLimitPerCertificateIsResourceExhausted) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_rate_per_second(0.5);
  config.mutable_limits()->set_rate_burst(3);
  StartRelay(config);
  auto pro = Stub(kProfessional);
  int refused = 0;
  for (int i = 0; i < 5; ++i) {
    ClientContext ctx;
    v1::SignedDirectory directory;
    grpc::Status status = pro->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
    if (status.error_code() == StatusCode::RESOURCE_EXHAUSTED) ++refused;
  }
  EXPECT_EQ(refused, 2);
  // Another certificate has its own bucket.
  ClientContext ctx;
  v1::SignedDirectory directory;
  EXPECT_EQ(
      Stub(kProfessional2)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).error_code(),
      StatusCode::NOT_FOUND);  // nothing published yet
}

TEST_F(RelayLimitsTest, StreamCapIsResourceExhausted) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_max_concurrent_streams(1);
  config.mutable_limits()->set_max_streams_per_identity(1);
  StartRelay(config);
  PublishDirectory(1);
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "question");
  // The first stream is admitted once its backlog arrives; deadlines are
  // hang guards only.
  auto a = Stub(kAdviser);
  v1::WatchThreadRequest watch;
  watch.set_thread_id(thread.thread_id);
  ClientContext c1;
  c1.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  auto first = a->WatchThread(&c1, watch);
  v1::ThreadEvent backlog;
  ASSERT_TRUE(first->Read(&backlog));
  ClientContext c2;
  c2.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  auto second = Stub(kAdviser2)->WatchQueue(&c2, v1::WatchQueueRequest());
  v1::QueueEvent event;
  EXPECT_FALSE(second->Read(&event));
  EXPECT_EQ(second->Finish().error_code(), StatusCode::RESOURCE_EXHAUSTED);
  c1.TryCancel();
  EXPECT_FALSE(first->Read(&backlog));
  first->Finish();
}

// A WatchThread refused by the stream budget reads nothing, so it is not
// audited as a read (and does not cost a synced audit write per attempt).
TEST_F(RelayLimitsTest, RefusedWatchThreadIsNotAuditedAsARead) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_max_streams_per_identity(1);
  StartRelay(config);
  PublishDirectory(1);
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "question");
  auto adviser = Stub(kAdviser);
  v1::WatchThreadRequest watch;
  watch.set_thread_id(thread.thread_id);
  ClientContext c1;
  c1.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto admitted = adviser->WatchThread(&c1, watch);
  v1::ThreadEvent event;
  ASSERT_TRUE(admitted->Read(&event));  // the backlog: the question
  constexpr int kRefusedAttempts = 3;
  for (int i = 0; i < kRefusedAttempts; ++i) {
    ClientContext c2;
    c2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto refused = adviser->WatchThread(&c2, watch);
    EXPECT_FALSE(refused->Read(&event));
    EXPECT_EQ(refused->Finish().error_code(), StatusCode::RESOURCE_EXHAUSTED);
  }
  c1.TryCancel();
  while (admitted->Read(&event)) {
  }
  admitted->Finish();
  // Counts the audit log's "read"/"watch" entries (-1 if the log is unreadable).
  auto count_watch_reads = [&] {
    v1::AuditLogReply log;
    ClientContext ctx;
    if (!Stub(kAdmin)->GetAuditLog(&ctx, v1::AuditLogRequest(), &log).ok()) return -1;
    int reads = 0;
    for (const auto& e : log.entries()) {
      if (e.action() == "read" && e.detail() == "watch") ++reads;
    }
    return reads;
  };
  // The watch's audit append is asynchronous, and so would be a wrong one for
  // a refused attempt; both are queued before the stream is answered. The
  // store commits its queue in order, and a GetThread by an adviser answers
  // only once its own audit entry is committed, so after it every earlier
  // append is visible: no waiting on the clock.
  {
    v1::GetThreadRequest get;
    get.set_thread_id(thread.thread_id);
    v1::ThreadView view;
    ClientContext ctx;
    ASSERT_TRUE(adviser->GetThread(&ctx, get, &view).ok());
  }
  EXPECT_EQ(count_watch_reads(), 1);
}

TEST_F(RelayLimitsTest, BadFilesAreRefusedAtStartNamingTheField) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_tls()->set_key_file(SharedPki().Key(kAdviser));  // not the relay's key
  ASSERT_TRUE(FinalizeConfig(config).ok());
  auto relay = RelayServer::Start(config);
  ASSERT_FALSE(relay.ok());
  EXPECT_EQ(relay.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(relay.status().message().find("tls.key_file"), std::string::npos);

  config = BaseConfig();
  config.set_directory_public_key_file(temp_->path() + "/missing.pub");
  ASSERT_TRUE(FinalizeConfig(config).ok());
  relay = RelayServer::Start(config);
  ASSERT_FALSE(relay.ok());
  EXPECT_NE(relay.status().message().find("directory_public_key_file"), std::string::npos);
}

// ---- Files are private ----

// Every file and directory below `dir` whose mode lets group or others in.
std::vector<std::string> OpenToOthers(const std::string& dir) {
  std::vector<std::string> open;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st = {};
    if (::lstat(entry.path().c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      open.push_back(entry.path().string());
    }
  }
  return open;
}

TEST_F(RelayLimitsTest, SecretFilesOpenToOthersAreRefusedNamingTheChmod) {
  const std::string kek = temp_->path() + "/kek";
  ASSERT_EQ(::chmod(kek.c_str(), 0644), 0);
  v1::RelayConfig config = BaseConfig();
  ASSERT_TRUE(FinalizeConfig(config).ok());
  auto relay = RelayServer::Start(config);
  ASSERT_FALSE(relay.ok()) << "started with a world-readable KEK";
  EXPECT_EQ(relay.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(relay.status().message().find("kek_file"), std::string::npos) << relay.status();
  EXPECT_NE(relay.status().message().find("chmod 600 " + kek), std::string::npos) << relay.status();
  ASSERT_EQ(::chmod(kek.c_str(), 0600), 0);

  const std::string key = temp_->path() + "/relay.key";
  std::filesystem::copy_file(config.tls().key_file(), key);
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  config.mutable_tls()->set_key_file(key);
  relay = RelayServer::Start(config);
  ASSERT_FALSE(relay.ok()) << "started with a group-readable TLS key";
  EXPECT_NE(relay.status().message().find("tls.key_file"), std::string::npos) << relay.status();
  EXPECT_NE(relay.status().message().find("chmod 600 " + key), std::string::npos) << relay.status();
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);

  // A backup directory open to others is refused, not changed (it may be shared).
  std::filesystem::create_directories(config.backup_dir());
  ASSERT_EQ(::chmod(config.backup_dir().c_str(), 0755), 0);
  relay = RelayServer::Start(config);
  ASSERT_FALSE(relay.ok()) << "started with a backup directory open to others";
  EXPECT_NE(relay.status().message().find("chmod 700 " + config.backup_dir()), std::string::npos)
      << relay.status();
}

TEST_F(RelayLimitsTest, TheStoreIsPrivateToTheRelay) {
  // A data directory made open by someone else is tightened at start.
  std::filesystem::create_directories(data_dir_);
  ASSERT_EQ(::chmod(data_dir_.c_str(), 0755), 0);
  const mode_t old_umask = ::umask(022);
  StartRelay();
  PublishDirectory(1);
  Submit(NewThreadKeys(), "a question that makes the store write files");
  StopRelay();
  ::umask(old_umask);
  struct stat st = {};
  ASSERT_EQ(::stat(data_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::vector<std::string> open = OpenToOthers(data_dir_);
  EXPECT_TRUE(open.empty()) << open.size() << " open to others, e.g. " << open.front();
}

// ---- Revocation matches serials as integers (issue: "00:09:BE:..." said
// "revoked" and the certificate kept working) ----

// `openssl x509 -noout -serial` of the PKI certificate `name`: "09BE...".
std::string OpensslSerial(const std::string& name) {
  FILE* pipe = popen(("openssl x509 -noout -serial -in " + SharedPki().Cert(name)).c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[256] = {};
  const bool read = fgets(buffer, sizeof(buffer), pipe) != nullptr;
  pclose(pipe);
  if (!read) return "";
  std::string serial(buffer);
  serial = serial.substr(serial.find('=') + 1);
  while (!serial.empty() && (serial.back() == '\n' || serial.back() == '\r')) serial.pop_back();
  return serial;
}

// The same integer as a browser or a DER dump prints it: a leading zero
// byte, colons between bytes, lower case.
std::string BrowserForm(const std::string& serial) {
  std::string out = "00";
  for (size_t i = 0; i < serial.size(); i += 2) {
    out.append(":").append(serial, i, 2);
  }
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TEST_F(RelayFlowTest, RevokingASerialWithLeadingZeroBytesRevokesTheCertificate) {
  auto pro = Stub(kProfessional2);
  v1::SignedDirectory directory;
  {
    ClientContext ctx;
    ASSERT_TRUE(pro->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).ok());
  }
  const std::string serial = OpensslSerial(kProfessional2);
  ASSERT_FALSE(serial.empty());
  v1::RevokeCertificateRequest revoke;
  revoke.set_serial_hex(BrowserForm(serial));
  revoke.set_reason("laptop lost");
  v1::RevocationRecord record;
  {
    ClientContext ctx;
    grpc::Status status = Stub(kAdmin)->RevokeCertificate(&ctx, revoke, &record);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(record.serial_hex(), serial) << "typed " << revoke.serial_hex();
  EXPECT_TRUE(record.seen_since_start());
  ClientContext ctx;
  grpc::Status status = pro->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory);
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED) << "still admitted after revocation";
  EXPECT_NE(status.error_message().find("revoked"), std::string::npos);
}

TEST_F(RelayFlowTest, RevokingASerialNeverSeenIsAllowedAndSaysSo) {
  v1::RevokeCertificateRequest revoke;
  revoke.set_serial_hex("00:01:02:03");
  v1::RevocationRecord record;
  ClientContext ctx;
  grpc::Status status = Stub(kAdmin)->RevokeCertificate(&ctx, revoke, &record);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(record.serial_hex(), "010203");
  EXPECT_FALSE(record.seen_since_start());
  revoke.set_serial_hex("09-BE");
  ClientContext bad_ctx;
  status = Stub(kAdmin)->RevokeCertificate(&bad_ctx, revoke, &record);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("--cert FILE"), std::string::npos)
      << status.error_message();
}

// A revocation stored by an older relay in the form it was typed (leading
// zero bytes) never matched; the relay stores it again canonically at start.
TEST_F(RelayFlowTest, RevocationStoredWithLeadingZerosTakesEffectAfterRestart) {
  const std::string serial = OpensslSerial(kProfessional2);
  ASSERT_FALSE(serial.empty());
  StopRelay();
  {
    std::unique_ptr<storage::Store> store = OpenStoppedStore(data_dir_, temp_->path() + "/kek");
    ASSERT_NE(store, nullptr);
    v1::RevocationRecord old;
    old.set_serial_hex(std::string("00").append(serial));  // as an old relay stored "00:..."
    old.set_reason("stored by an older relay");
    std::promise<absl::Status> done;
    store->Revoke(old, std::nullopt, [&](absl::Status s) { done.set_value(s); });
    ASSERT_TRUE(done.get_future().get().ok());
  }
  StartRelay();
  ClientContext ctx;
  v1::SignedDirectory directory;
  EXPECT_EQ(
      Stub(kProfessional2)->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory).error_code(),
      StatusCode::UNAUTHENTICATED);
}

// Revocation reaches open streams: a revoked adviser's WatchQueue and
// WatchThread end with UNAUTHENTICATED when the revocation is stored, and
// carry nothing written afterwards.
TEST_F(RelayFlowTest, RevocationEndsTheCertificatesOpenStreams) {
  const auto deadline = [] {  // hang guard only
    return std::chrono::system_clock::now() + std::chrono::seconds(20);
  };
  auto adviser = Stub(kAdviser);
  ClientContext queue_ctx;
  queue_ctx.set_deadline(deadline());
  auto queue_reader = adviser->WatchQueue(&queue_ctx, v1::WatchQueueRequest());
  ThreadKeys thread = NewThreadKeys();
  v1::QueueEvent queue_event;
  // The stream is subscribed once it carries an event; submit until it does.
  bool subscribed = false;
  for (int attempt = 0; attempt < 50 && !subscribed; ++attempt) {
    if (attempt == 0) {
      Submit(thread, "watched");
    } else {
      ThreadKeys another = NewThreadKeys();
      Submit(another, "watched");
    }
    subscribed = queue_reader->Read(&queue_event);
  }
  ASSERT_TRUE(subscribed);
  v1::WatchThreadRequest watch;
  watch.set_thread_id(thread.thread_id);
  ClientContext thread_ctx;
  thread_ctx.set_deadline(deadline());
  auto thread_reader = adviser->WatchThread(&thread_ctx, watch);
  v1::ThreadEvent thread_event;
  ASSERT_TRUE(thread_reader->Read(&thread_event));  // the backlog: subscribed

  v1::RevokeCertificateRequest revoke;
  revoke.set_serial_hex(OpensslSerial(kAdviser));
  v1::RevocationRecord record;
  {
    ClientContext ctx;
    ASSERT_TRUE(Stub(kAdmin)->RevokeCertificate(&ctx, revoke, &record).ok());
  }
  // A follow-up after the revocation: the revoked adviser must not get it.
  v1::PostMessageRequest post;
  post.set_thread_id(thread.thread_id);
  post.set_envelope(SealFromProfessional(thread, crypto::RandomId(), 2, "after revocation", false));
  Prove(post, kPostMessage, thread);
  v1::Ack ack;
  {
    ClientContext ctx;
    ASSERT_TRUE(Stub(kProfessional)->PostMessage(&ctx, post, &ack).ok());
  }
  EXPECT_FALSE(thread_reader->Read(&thread_event)) << "delivered after revocation";
  grpc::Status thread_status = thread_reader->Finish();
  EXPECT_EQ(thread_status.error_code(), StatusCode::UNAUTHENTICATED)
      << thread_status.error_message();
  EXPECT_NE(thread_status.error_message().find("revoked"), std::string::npos);
  EXPECT_FALSE(queue_reader->Read(&queue_event)) << "delivered after revocation";
  grpc::Status queue_status = queue_reader->Finish();
  EXPECT_EQ(queue_status.error_code(), StatusCode::UNAUTHENTICATED) << queue_status.error_message();
}

// Issue 17 item 1: an open stream ends when its certificate reaches notAfter.
// The relay runs on an injected clock, so "notAfter passed" is a clock step,
// not a wait.
TEST_F(RelayTest, StreamsEndWhenTheCertificateReachesNotAfter) {
  std::atomic<int64_t> now_ms{absl::ToUnixMillis(absl::Now())};
  const absl::Time not_after = absl::FromUnixSeconds(now_ms.load() / 1000 + 3600);
  const std::string id = "exp-" + crypto::RandomId().substr(0, 8);
  const std::string name = "adviser-rc-kronoberg-" + id;
  ASSERT_EQ(RunPki("--dir " + SharedPki().dir + " --not-after " +
                   absl::FormatTime("%Y%m%d%H%M%SZ", not_after, absl::UTCTimeZone()) +
                   " client adviser rc-kronoberg " + id),
            0);
  // Listed in the directory: an adviser it does not list may not watch.
  advisers_.emplace(name, AdviserKeys{kUnit, id, crypto::X25519PrivateKey::Generate(),
                                      crypto::Ed25519PrivateKey::Generate()});
  StartRelay(BaseConfig(), [&now_ms] { return now_ms.load(); });
  PublishDirectory(1);
  const auto deadline = [] {  // hang guard only
    return std::chrono::system_clock::now() + std::chrono::seconds(60);
  };
  auto adviser = Stub(name);
  ClientContext queue_ctx;
  queue_ctx.set_deadline(deadline());
  auto queue_reader = adviser->WatchQueue(&queue_ctx, v1::WatchQueueRequest());
  v1::QueueEvent queue_event;
  // The stream is subscribed once it carries an event; submit until it does.
  bool subscribed = false;
  for (int attempt = 0; attempt < 50 && !subscribed; ++attempt) {
    Submit(NewThreadKeys(), "watched");
    subscribed = queue_reader->Read(&queue_event);
  }
  ASSERT_TRUE(subscribed);

  now_ms = absl::ToUnixMillis(not_after) + 1000;
  EXPECT_FALSE(queue_reader->Read(&queue_event)) << "delivered after notAfter";
  grpc::Status status = queue_reader->Finish();
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_NE(status.error_message().find("expired"), std::string::npos) << status.error_message();
}

// Issue 17 item 1: a directory epoch that removes an adviser ends that
// adviser's open streams with PERMISSION_DENIED (every certificate of theirs),
// leaves a colleague's open, and a new watch of the removed adviser is refused.
TEST_F(RelayFlowTest, RemovalFromTheDirectoryEndsTheAdvisersStreams) {
  const auto deadline = [] {  // hang guard only
    return std::chrono::system_clock::now() + std::chrono::seconds(30);
  };
  auto removed = Stub(kAdviser);
  auto colleague = Stub(kAdviser2);
  ClientContext removed_ctx, colleague_ctx;
  removed_ctx.set_deadline(deadline());
  colleague_ctx.set_deadline(deadline());
  auto removed_reader = removed->WatchQueue(&removed_ctx, v1::WatchQueueRequest());
  auto colleague_reader = colleague->WatchQueue(&colleague_ctx, v1::WatchQueueRequest());
  v1::QueueEvent event;
  // Both streams are subscribed once each carries an event; submit until they do.
  bool removed_subscribed = false, colleague_subscribed = false;
  for (int attempt = 0; attempt < 50 && !(removed_subscribed && colleague_subscribed); ++attempt) {
    Submit(NewThreadKeys(), "watched");
    if (!removed_subscribed) removed_subscribed = removed_reader->Read(&event);
    if (!colleague_subscribed) colleague_subscribed = colleague_reader->Read(&event);
  }
  ASSERT_TRUE(removed_subscribed && colleague_subscribed);
  advisers_.erase(kAdviser);
  PublishDirectory(2);

  EXPECT_FALSE(removed_reader->Read(&event)) << "delivered after removal";
  grpc::Status status = removed_reader->Finish();
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_NE(status.error_message().find("removed"), std::string::npos) << status.error_message();

  // The colleague keeps watching: a new case reaches them.
  ThreadKeys after = NewThreadKeys();
  Submit(after, "after the removal");
  bool colleague_saw_it = false;
  for (int i = 0; i < 60 && !colleague_saw_it; ++i) {
    ASSERT_TRUE(colleague_reader->Read(&event)) << "the colleague's stream ended";
    colleague_saw_it = event.thread().thread_id() == after.thread_id;
  }
  EXPECT_TRUE(colleague_saw_it);

  // A new watch by the removed adviser is refused, not re-admitted.
  ClientContext again_ctx;
  again_ctx.set_deadline(deadline());
  auto again = removed->WatchQueue(&again_ctx, v1::WatchQueueRequest());
  EXPECT_FALSE(again->Read(&event));
  grpc::Status again_status = again->Finish();
  EXPECT_EQ(again_status.error_code(), StatusCode::PERMISSION_DENIED)
      << again_status.error_message();
  colleague_ctx.TryCancel();
}

// Issue 15 (team access): ShareThread adds content-key wraps for advisers of
// the thread's current unit at the current epoch, idempotently, and refuses
// everything else with the code proto/relay.proto names.
class ShareThreadTest : public RelayFlowTest {
 protected:
  static constexpr char kNewcomer[] = "adviser-rc-kronoberg-a-3";

  // a-3 of kUnit: a certificate and keys, listed from the next epoch on.
  void EnrolNewcomer(uint64_t epoch) {
    ASSERT_EQ(IssueClientCertificate("adviser", kUnit, "a-3"), kNewcomer);
    advisers_.emplace(kNewcomer, AdviserKeys{kUnit, "a-3", crypto::X25519PrivateKey::Generate(),
                                             crypto::Ed25519PrivateKey::Generate()});
    ASSERT_NO_FATAL_FAILURE(PublishDirectory(epoch));
  }

  v1::ThreadView Read(const std::string& as, const std::string& thread_id) {
    v1::GetThreadRequest get;
    get.set_thread_id(thread_id);
    v1::ThreadView view;
    ClientContext ctx;
    grpc::Status status = Stub(as)->GetThread(&ctx, get, &view);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return view;
  }

  // The share a-1's client would send: message `index` of `view` re-wrapped
  // (with a-1's key) to `to`.
  v1::ShareThreadRequest ShareOf(const v1::ThreadView& view, int index,
                                 const std::vector<crypto::X25519PublicKey>& to) {
    v1::ShareThreadRequest request;
    request.set_thread_id(view.summary().thread_id());
    const v1::StoredMessage& message = view.messages(index);
    auto parsed = crypto::ParseEnvelope(message.envelope());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (!parsed.ok()) return request;
    auto wraps = crypto::RewrapContentKey(*parsed, advisers_.at(kAdviser).encryption, {}, to);
    EXPECT_TRUE(wraps.ok()) << wraps.status();
    if (!wraps.ok()) return request;
    v1::MessageRewrap* rewrap = request.add_rewraps();
    rewrap->set_message_id(message.message_id());
    for (const auto& wrap : *wraps) *rewrap->add_recipients() = wrap;
    return request;
  }

  grpc::Status Share(const std::string& as, const v1::ShareThreadRequest& request,
                     v1::ShareThreadReply* reply = nullptr) {
    v1::ShareThreadReply ignored;
    ClientContext ctx;
    return Stub(as)->ShareThread(&ctx, request, reply != nullptr ? reply : &ignored);
  }

  crypto::X25519PublicKey KeyOf(const std::string& name) {
    return advisers_.at(name).encryption.public_key();
  }
};

TEST_F(ShareThreadTest, NewcomerGetsTheKeyOnceAndOpensTheQuestion) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "a question from before a-3 joined");
  ASSERT_NO_FATAL_FAILURE(EnrolNewcomer(2));
  const v1::ThreadView view = Read(kAdviser, thread.thread_id);
  ASSERT_EQ(view.messages_size(), 1);
  const v1::ShareThreadRequest share = ShareOf(view, 0, {KeyOf(kNewcomer)});
  v1::ShareThreadReply reply;
  grpc::Status status = Share(kAdviser, share, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.messages_updated(), 1u);
  EXPECT_EQ(reply.wraps_added(), 1u);
  EXPECT_EQ(reply.summary().thread_id(), thread.thread_id);
  EXPECT_EQ(reply.summary().state(), v1::THREAD_STATE_OPEN) << "a share changes no state";

  // Idempotent: the same share, or a wrap for a-2 (already a recipient),
  // adds nothing.
  ASSERT_TRUE(Share(kAdviser, share, &reply).ok());
  EXPECT_EQ(reply.wraps_added(), 0u);
  EXPECT_EQ(reply.messages_updated(), 0u);
  ASSERT_TRUE(Share(kAdviser, ShareOf(view, 0, {KeyOf(kAdviser2)}), &reply).ok());
  EXPECT_EQ(reply.wraps_added(), 0u);

  const v1::ThreadView after = Read(kNewcomer, thread.thread_id);
  ASSERT_EQ(after.messages_size(), 1);
  EXPECT_EQ(after.messages(0).extra_recipients_size(), 1);
  EXPECT_EQ(OpenAsAdviser(after.messages(0), advisers_.at(kNewcomer), thread.signing.public_key()),
            "a question from before a-3 joined");

  // Audited, without content: who shared, which thread, to whom.
  v1::AuditLogReply log;
  ClientContext ctx;
  ASSERT_TRUE(Stub(kAdmin)->GetAuditLog(&ctx, v1::AuditLogRequest(), &log).ok());
  std::vector<std::string> details;
  for (const auto& entry : log.entries()) {
    if (entry.action() != "share") continue;
    details.push_back(entry.detail());
    EXPECT_EQ(entry.actor_id(), "a-1");
    EXPECT_EQ(entry.thread_id(), thread.thread_id);
    EXPECT_EQ(entry.detail().find("question"), std::string::npos) << entry.detail();
  }
  ASSERT_EQ(details.size(), 3u) << "every accepted share is on the record";
  EXPECT_NE(details[0].find("to=a-3"), std::string::npos) << details[0];
  EXPECT_NE(details[2].find("to=a-2"), std::string::npos) << details[2];
}

TEST_F(ShareThreadTest, RefusesWrapsOutsideTheUnitsCurrentAdvisers) {
  ThreadKeys thread = NewThreadKeys();
  Submit(thread, "q");
  ThreadKeys other_thread = NewThreadKeys();
  Submit(other_thread, "q2");
  ASSERT_NO_FATAL_FAILURE(EnrolNewcomer(2));
  const v1::ThreadView view = Read(kAdviser, thread.thread_id);
  const v1::ShareThreadRequest good = ShareOf(view, 0, {KeyOf(kNewcomer)});

  {  // An adviser of another unit: the thread is not visible to them.
    grpc::Status status = Share(kOtherAdviser, good);
    EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND) << status.error_message();
  }
  {  // A wrap to an adviser of another unit.
    grpc::Status status = Share(kAdviser, ShareOf(view, 0, {KeyOf(kOtherAdviser)}));
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_NE(status.error_message().find("key_id"), std::string::npos) << status.error_message();
  }
  {  // A wrap to a key nobody in the directory holds.
    grpc::Status status =
        Share(kAdviser, ShareOf(view, 0, {crypto::X25519PrivateKey::Generate().public_key()}));
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  {  // No message named.
    v1::ShareThreadRequest empty;
    empty.set_thread_id(thread.thread_id);
    EXPECT_EQ(Share(kAdviser, empty).error_code(), StatusCode::INVALID_ARGUMENT);
  }
  {  // A message of another thread.
    v1::ShareThreadRequest foreign = good;
    foreign.set_thread_id(other_thread.thread_id);
    grpc::Status status = Share(kAdviser, foreign);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  {  // A valid message and one of another thread: all or nothing.
    v1::ShareThreadRequest mixed = good;
    v1::MessageRewrap* second = mixed.add_rewraps();
    *second = good.rewraps(0);
    second->set_message_id(Read(kAdviser, other_thread.thread_id).messages(0).message_id());
    grpc::Status status = Share(kAdviser, mixed);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  {  // A malformed wrap.
    v1::ShareThreadRequest bad = good;
    bad.mutable_rewraps(0)->mutable_recipients(0)->set_ciphertext("short");
    EXPECT_EQ(Share(kAdviser, bad).error_code(), StatusCode::INVALID_ARGUMENT);
  }
  // Nothing of the refused shares was stored.
  EXPECT_EQ(Read(kAdviser, thread.thread_id).messages(0).extra_recipients_size(), 0);

  // a-2 removed at epoch 3 (certificate still valid): a-2 may not share, and
  // nobody may share to a-2 any more, although a-2 is a recipient already.
  const crypto::X25519PublicKey removed_key = KeyOf(kAdviser2);
  advisers_.erase(kAdviser2);
  ASSERT_NO_FATAL_FAILURE(PublishDirectory(3));
  {
    grpc::Status status = Share(kAdviser2, good);
    EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED) << status.error_message();
  }
  {
    grpc::Status status = Share(kAdviser, ShareOf(view, 0, {removed_key}));
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  ASSERT_TRUE(Share(kAdviser, good).ok());

  // A closed case is not shared.
  v1::CloseThreadRequest close;
  close.set_thread_id(other_thread.thread_id);
  Prove(close, kCloseThread, other_thread);
  v1::ThreadSummary summary;
  ClientContext ctx;
  ASSERT_TRUE(Stub(kProfessional)->CloseThread(&ctx, close, &summary).ok());
  const v1::ThreadView closed = Read(kAdviser, other_thread.thread_id);
  grpc::Status status = Share(kAdviser, ShareOf(closed, 0, {KeyOf(kNewcomer)}));
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION) << status.error_message();
}

// Issue 19: statistics through the RPC an admin could call directly. Only
// whole, ended calendar periods; a case cannot be singled out by asking two
// periods (the old 6-vs-5 attack) or a month against its quarter. The rule
// itself is tested thoroughly in storage's StatsCannotBeDifferenced.
TEST_F(RelayTest, StatsCannotBeDifferencedThroughTheRpc) {
  std::atomic<int64_t> now_ms{absl::ToUnixMillis(absl::Now())};
  const absl::TimeZone utc = absl::UTCTimeZone();
  // The first month of a quarter at least a month ahead (certificates are
  // valid for a year).
  absl::CivilMonth first = absl::ToCivilMonth(absl::FromUnixMillis(now_ms.load()), utc) + 1;
  while ((first.month() - 1) % 3 != 0) first += 1;
  const auto at = [&](absl::CivilMonth month, int day) {
    return absl::ToUnixMillis(
        absl::FromCivil(absl::CivilDay(month.year(), month.month(), day), utc));
  };
  StartRelay(BaseConfig(), [&now_ms] { return now_ms.load(); });
  PublishDirectory(1);
  now_ms = at(first, 3);
  for (int i = 0; i < 5; ++i) Submit(NewThreadKeys(), "early");
  now_ms = at(first, 20);
  Submit(NewThreadKeys(), "the sixth");
  now_ms = at(first + 1, 4);
  Submit(NewThreadKeys(), "alone in its month");
  auto admin = Stub(kAdmin);
  auto ask = [&](v1::StatsRequest request, v1::StatsReply* reply) {
    ClientContext ctx;
    return admin->GetStats(&ctx, request, reply);
  };
  auto period = [&](v1::StatsPeriod kind, int index) {
    v1::StatsRequest request;
    request.set_period(kind);
    request.set_year(static_cast<int>(first.year()));
    request.set_index(index);
    return request;
  };
  const int quarter = (first.month() - 1) / 3 + 1;
  v1::StatsReply reply;
  // The second month has not ended yet: refused.
  EXPECT_EQ(ask(period(v1::STATS_PERIOD_MONTH, first.month() + 1), &reply).error_code(),
            StatusCode::FAILED_PRECONDITION);
  now_ms = at(first + 3, 2);
  // The old attack: two ranges one case apart. Refused, with the reason.
  v1::StatsRequest range;
  range.set_from_unix_ms(at(first, 1));
  range.set_to_unix_ms(at(first, 15));
  grpc::Status refused = ask(range, &reply);
  EXPECT_EQ(refused.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("cannot be subtracted"), std::string::npos)
      << refused.error_message();
  // The first month: 6. The second: <5. The quarter: 6+ (not 7), so the
  // quarter minus the first month reveals nothing.
  grpc::Status status = ask(period(v1::STATS_PERIOD_MONTH, first.month()), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.rows_size(), 1);
  EXPECT_EQ(reply.rows(0).count(), "6");
  reply.Clear();
  ASSERT_TRUE(ask(period(v1::STATS_PERIOD_MONTH, first.month() + 1), &reply).ok());
  ASSERT_EQ(reply.rows_size(), 1);
  EXPECT_EQ(reply.rows(0).count(), "<5");
  EXPECT_EQ(reply.rows(0).published_count(), 0u);
  reply.Clear();
  v1::StatsRequest by_quarter = period(v1::STATS_PERIOD_QUARTER, quarter);
  by_quarter.add_group_by("unit");
  ASSERT_TRUE(ask(by_quarter, &reply).ok());
  ASSERT_EQ(reply.rows_size(), 1);
  EXPECT_EQ(reply.rows(0).count(), "6+");
  EXPECT_EQ(reply.rows(0).published_count(), 6u);
  EXPECT_EQ(reply.rows(0).suppressed_cells(), 1u);
  reply.Clear();
  v1::StatsRequest by_month = period(v1::STATS_PERIOD_QUARTER, quarter);
  by_month.add_group_by("month");
  ASSERT_TRUE(ask(by_month, &reply).ok());
  for (const v1::StatsRow& row : reply.rows()) {
    EXPECT_NE(row.count(), "1") << row.ShortDebugString();
    EXPECT_NE(row.published_count(), 1u) << row.ShortDebugString();
  }
}

}  // namespace
}  // namespace samrad::server::testing
