// The gRPC call helpers (server/grpc_calls.h) without TLS: admission from the
// PEM strings a TLS session would hand over (real certificates of
// certs/samrad-pki.sh, a real PeerVerifier and store), the store-callback
// ending, the deadline check, the maintenance-thread hand-off, and the second
// look a stream gets after it subscribed.
#include "server/grpc_calls.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/reasons.h"
#include "google/protobuf/unknown_field_set.h"
#include "server/authz.h"
#include "tests/server/relay_fixture.h"
#include "tests/server/relay_logic_fixture.h"

namespace samrad::server::testing {
namespace {

// A reactor gRPC never bound to a call: Finish only records that it was
// asked for (gRPC keeps it for a later bind), so a job may finish it.
class UnboundReactor final : public grpc::ServerUnaryReactor {
 public:
  void OnDone() override {}
};

class GrpcCallsTest : public RelayLogicTest {
 protected:
  void SetUp() override {
    // The certificates first: the fixture's clock (now_) is read in its SetUp,
    // and a certificate issued after it would not be valid yet.
    SharedPki();
    RelayLogicTest::SetUp();
    events_ = std::make_unique<ThreadEvents>(v1::LimitsConfig());
    worker_ = std::make_unique<MaintenanceWorker>(0, [] {});
    expiry_ = std::make_unique<CertificateExpiry>([this] { return now_.load(); },
                                                  [](const std::string&, int64_t) {});
    calls_ = std::make_unique<GrpcCalls>(admission_.get(), directory_.get(), events_.get(),
                                         worker_.get(), expiry_.get(), nullptr);
  }
  void TearDown() override {
    calls_.reset();
    expiry_.reset();
    worker_.reset();
  }

  absl::StatusOr<Identity> Admit(const std::string& cert, absl::string_view method,
                                 const google::protobuf::Message& request) {
    return calls_->AdmitPeer(ReadFile(SharedPki().Cert(cert)), "", method, request);
  }

  static UnaryCall CallWithin(std::chrono::milliseconds left, grpc::ServerUnaryReactor* reactor) {
    return UnaryCall(reactor, std::chrono::system_clock::now() + left);
  }

  std::unique_ptr<ThreadEvents> events_;
  std::unique_ptr<MaintenanceWorker> worker_;
  std::unique_ptr<CertificateExpiry> expiry_;
  std::unique_ptr<GrpcCalls> calls_;
};

TEST_F(GrpcCallsTest, AdmissionGivesTheCertificatesIdentity) {
  auto caller = Admit("adviser-rc-kronoberg-a-1", method::kListQueue, v1::ListQueueRequest());
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->role, Role::kAdviser);
  EXPECT_EQ(caller->scope, kUnit);
  EXPECT_EQ(caller->serial_hex, CertificateSerialHex("adviser-rc-kronoberg-a-1"));
  EXPECT_EQ(calls_->AdmitPeer("", "", method::kListQueue, v1::ListQueueRequest()).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(
      Admit("professional-07-p-1", method::kListQueue, v1::ListQueueRequest()).status().code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(GrpcCallsTest, ARequestWithUnknownFieldsIsRefused) {
  v1::ListQueueRequest request;
  request.GetReflection()->MutableUnknownFields(&request)->AddVarint(999, 1);
  auto caller = Admit("adviser-rc-kronoberg-a-1", method::kListQueue, request);
  EXPECT_EQ(caller.status().code(), absl::StatusCode::kInvalidArgument) << caller.status();
}

TEST_F(GrpcCallsTest, AfterShutdownEveryCallIsUnavailable) {
  EXPECT_TRUE(calls_->BeginShutdown());
  EXPECT_FALSE(calls_->BeginShutdown()) << "only the first call begins it";
  auto caller = Admit("adviser-rc-kronoberg-a-1", method::kListQueue, v1::ListQueueRequest());
  EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(reasons::Is(caller.status(), reasons::Reason::kShuttingDown));
}

TEST_F(GrpcCallsTest, NothingIsWrittenForACallerWhoseDeadlinePassed) {
  UnboundReactor reactor;
  EXPECT_TRUE(CallWithin(std::chrono::seconds(30), &reactor).BeforeWrite().ok());
  EXPECT_EQ(CallWithin(std::chrono::milliseconds(-1), &reactor).BeforeWrite().code(),
            absl::StatusCode::kDeadlineExceeded);
}

// The store-callback ending: report first, then the reply, then one finish.
TEST_F(GrpcCallsTest, AWriteEndsItsCallOnceAfterReportingTheOutcome) {
  std::vector<std::string> steps;
  auto ending = [&steps](bool with_error_mapping) {
    return EndAfterWrite<int>(
        [&steps](const absl::Status& s) { steps.push_back("report " + s.ToString()); },
        [&steps](const absl::Status& s) { steps.push_back("finish " + s.ToString()); },
        [&steps](int& value) { steps.push_back("reply " + std::to_string(value)); },
        [with_error_mapping](const absl::Status& failure) {
          return with_error_mapping ? HideForeign(failure) : failure;
        });
  };
  std::move(ending(false))(absl::StatusOr<int>(7));
  EXPECT_EQ(steps, (std::vector<std::string>{"report OK", "reply 7", "finish OK"}));

  steps.clear();
  std::move(ending(true))(absl::StatusOr<int>(absl::NotFoundError("thread of another unit")));
  ASSERT_EQ(steps.size(), 2u) << "no reply for a failed write";
  EXPECT_EQ(steps[0], "report NOT_FOUND: thread of another unit");
  EXPECT_EQ(steps[1], "finish " + ThreadNotVisible().ToString()) << "on_error maps the failure";

  steps.clear();
  auto bare = EndAfterWrite<absl::Status>(
      nullptr, [&steps](const absl::Status& s) { steps.push_back("finish " + s.ToString()); },
      [&steps] { steps.push_back("reply"); }, ShowAsIs);
  std::move(bare)(absl::DataLossError("x"));
  EXPECT_EQ(steps, std::vector<std::string>{"finish DATA_LOSS: x"});
}

TEST_F(GrpcCallsTest, WrittenHandsTheCallOn) {
  UnboundReactor reactor;
  UnaryCall call = CallWithin(std::chrono::seconds(30), &reactor);
  bool replied = false;
  auto done = calls_->Written<absl::Status>(call, [&replied] { replied = true; });
  EXPECT_TRUE(call.handed_on());
  std::move(done)(absl::OkStatus());
  EXPECT_TRUE(replied);
}

TEST_F(GrpcCallsTest, BlockingWorkRunsOnTheMaintenanceThreadUntilItStops) {
  UnboundReactor reactor;
  UnaryCall call = CallWithin(std::chrono::seconds(30), &reactor);
  std::atomic<bool> ran{false};
  std::thread::id ran_on;
  ASSERT_TRUE(calls_
                  ->RunBlocking(call,
                                [&] {
                                  ran_on = std::this_thread::get_id();
                                  ran = true;
                                  return absl::OkStatus();
                                })
                  .ok());
  EXPECT_TRUE(call.handed_on());
  worker_->Stop();  // runs what was posted first
  EXPECT_TRUE(ran.load());
  EXPECT_NE(ran_on, std::this_thread::get_id());

  UnaryCall late = CallWithin(std::chrono::seconds(30), &reactor);
  const absl::Status refused = calls_->RunBlocking(late, [] { return absl::OkStatus(); });
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(late.handed_on()) << "the handler still answers a refused hand-off";
}

TEST_F(GrpcCallsTest, AStreamLooksAgainAtRevocationAndTheDirectoryAfterSubscribing) {
  Publish(1, {&a1_});
  const Identity adviser = Caller(Role::kAdviser, kUnit, "a-1");
  EXPECT_TRUE(calls_->StillAdmitted(adviser).ok());
  EXPECT_EQ(calls_->StillAdmitted(Caller(Role::kAdviser, kUnit, "a-2")).code(),
            absl::StatusCode::kPermissionDenied)
      << "an adviser the directory does not list";
  admission_->MarkRevoked(adviser.serial_hex);
  EXPECT_EQ(calls_->StillAdmitted(adviser).code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace samrad::server::testing
