// The baseline: a bare gRPC echo service over the same mutual TLS as the
// relay, started in-process on 127.0.0.1 with a kernel-chosen port.
#ifndef SAMRAD_TESTS_BENCH_ECHO_SERVER_H_
#define SAMRAD_TESTS_BENCH_ECHO_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/bench/echo.grpc.pb.h"

namespace samrad::bench {

// Owns the server; Shutdown() (or the destructor) stops it and waits for
// in-flight calls. Not copyable.
class EchoServer {
 public:
  // Starts on 127.0.0.1:0 with server credentials that require a client
  // certificate chained to `ca_pem`. UNAVAILABLE when the port cannot be bound.
  // `verifier` (may be empty) checks (public_key, message, signature) for
  // requests that carry a signature; it must be thread-safe.
  using Verifier = std::function<bool(const std::string& public_key, const std::string& message,
                                      const std::string& signature)>;
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(const std::string& ca_pem,
                                                           const std::string& cert_pem,
                                                           const std::string& key_pem,
                                                           Verifier verifier = nullptr);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  int port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  void Shutdown();

 private:
  // Callback service: replies inline from the gRPC thread, no allocation
  // beyond the reply, no checks.
  class Service final : public echo::Echo::CallbackService {
   public:
    Verifier verifier;

   private:
    grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                   const echo::EchoRequest* request,
                                   echo::EchoReply* reply) override;
  };

  EchoServer() = default;
  Service service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_ECHO_SERVER_H_
