// The baseline load: the same closed loop as the relay run, against the echo
// service, with requests of the relay run's size.
#ifndef SAMRAD_TESTS_BENCH_ECHO_LOAD_H_
#define SAMRAD_TESTS_BENCH_ECHO_LOAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/bench/closed_loop.h"
#include "tests/bench/echo.grpc.pb.h"
#include "tests/bench/echo_server.h"
#include "tests/bench/tls_files.h"

namespace samrad::bench {

// Sends the same EchoRequest of `request_bytes` payload on every call. Never
// runs dry. Thread-safe.
class EchoCallSource final : public CallSource {
 public:
  EchoCallSource(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int request_bytes,
                 int reply_bytes, int64_t deadline_ms);
  // Every request then carries `public_key` and `signature` (over the payload).
  void SetSignature(const std::string& public_key, const std::string& signature);
  const std::string& payload() const { return request_.payload(); }
  bool StartCall(int channel, Done done) override;

 private:
  std::vector<std::unique_ptr<echo::Echo::Stub>> stubs_;
  echo::EchoRequest request_;
  int64_t deadline_ms_;
};

struct EchoBaselineConfig {
  ClientTls client;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::string server_name;  // TLS name the server certificate carries ("" = 127.0.0.1)
  ClosedLoopOptions loop;
  int request_bytes = 1024;
  int reply_bytes = 96;
  int64_t deadline_ms = 10000;
  int64_t connect_timeout_ms = 10000;
  // --baseline-verify: the server verifies an Ed25519 signature per request.
  // `sign` returns (public_key, signature) over the payload it is given.
  EchoServer::Verifier verifier;
  std::function<std::pair<std::string, std::string>(const std::string& payload)> sign;
};

// Starts the echo service on 127.0.0.1:0, connects `loop.channels` channels
// with the client identity, runs the closed loop and stops the service.
// UNAVAILABLE when the service cannot start, DEADLINE_EXCEEDED when the TLS
// handshake does not complete (e.g. the server certificate does not cover the
// name).
absl::StatusOr<RunResult> RunEchoBaseline(const EchoBaselineConfig& config);

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_ECHO_LOAD_H_
