// The relay's gRPC health service, asked by a real grpc.health.v1 client over
// mTLS on 127.0.0.1, of a real samrad-relay process
// (tests/client/cli_relay_fixture.h): SERVING while it runs and can write,
// NOT_SERVING while its store cannot write (a full volume, simulated by the
// relay's SAMRAD_TEST_DISK_FULL_MARKER test hook) until a write succeeds
// again, and NOT_SERVING as soon as SIGTERM starts the drain
// (server/relay_server.h).
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "client/file_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/client/cli_relay_fixture.h"
#include "tests/server/health.grpc.pb.h"

namespace samrad::server {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class RelayHealthTest : public client::testing::CliRelayTest {
 protected:
  // A health stub with the admin's client certificate (any valid one would do).
  std::unique_ptr<Health::Stub> HealthStub() {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = client::ReadFileToString(pki() + "/ca.crt").value_or("");
    ssl.pem_cert_chain = client::ReadFileToString(pki() + "/admin-national-ops-1.crt").value_or("");
    ssl.pem_private_key =
        client::ReadFileToString(pki() + "/admin-national-ops-1.key").value_or("");
    return Health::NewStub(grpc::CreateChannel("127.0.0.1:" + port(), grpc::SslCredentials(ssl)));
  }

  // Check for the whole server; UNKNOWN when the call itself fails.
  HealthCheckResponse::ServingStatus Check(Health::Stub& stub) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckResponse response;
    grpc::Status status = stub.Check(&context, HealthCheckRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    return status.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
  }
};

TEST_F(RelayHealthTest, NotServingWhileTheStoreCannotWriteUntilAWriteSucceeds) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({.disk_can_fill = true}));
  auto health = HealthStub();
  EXPECT_EQ(Check(*health), HealthCheckResponse::SERVING);

  ASSERT_NO_FATAL_FAILURE(SetDiskFull(true));
  client::testing::ProcessResult refused = Ask("Fråga medan disken är full.\n");
  ASSERT_EQ(refused.exit_code, 9) << refused.err;  // RESOURCE_EXHAUSTED
  // Reported before the refusal reached the client.
  EXPECT_EQ(Check(*health), HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(absl::StrContains(RelayLog(), "event=store_unwritable")) << RelayLog();
  // Reads still work while it says so.
  EXPECT_EQ(Samrad("adviser", {"queue"}).exit_code, 0);

  // Space comes back; the health follows the first write that succeeds.
  ASSERT_NO_FATAL_FAILURE(SetDiskFull(false));
  client::testing::ProcessResult cases = Samrad("pro", {"cases", "--json"});
  const std::string ref = Reference(cases.out);
  ASSERT_FALSE(ref.empty()) << cases.out << cases.err;
  client::testing::ProcessResult resend = Samrad("pro", {"resend", ref});
  ASSERT_EQ(resend.exit_code, 0) << resend.err << RelayLog();
  EXPECT_EQ(Check(*health), HealthCheckResponse::SERVING);
  EXPECT_TRUE(absl::StrContains(RelayLog(), "event=store_writable")) << RelayLog();
}

TEST_F(RelayHealthTest, NotServingAsSoonAsSigtermStartsTheDrain) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({.disk_can_fill = false, .shutdown_grace_seconds = 5}));
  auto health = HealthStub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto watch = health->Watch(&context, HealthCheckRequest());
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  ASSERT_EQ(::kill(relay_pid(), SIGTERM), 0);
  // The next update arrives while the relay drains, before the call ends.
  ASSERT_TRUE(watch->Read(&update)) << watch->Finish().error_message();
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  context.TryCancel();
  watch->Finish().IgnoreError();
  EXPECT_EQ(StopRelay(SIGTERM), 0) << RelayLog();
  EXPECT_TRUE(absl::StrContains(RelayLog(), "event=relay_stopped")) << RelayLog();
}

}  // namespace
}  // namespace samrad::server
