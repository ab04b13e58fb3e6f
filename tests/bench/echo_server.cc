#include "tests/bench/echo_server.h"

#include <algorithm>

#include "tests/bench/tls_files.h"

namespace samrad::bench {

grpc::ServerUnaryReactor* EchoServer::Service::Echo(grpc::CallbackServerContext* context,
                                                    const echo::EchoRequest* request,
                                                    echo::EchoReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!request->signature().empty() &&
      (!verifier || !verifier(request->public_key(), request->payload(), request->signature()))) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "signature does not verify"));
    return reactor;
  }
  const size_t n = std::min<size_t>(request->reply_bytes(), request->payload().size());
  reply->set_payload(request->payload().data(), n);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(const std::string& ca_pem,
                                                              const std::string& cert_pem,
                                                              const std::string& key_pem,
                                                              Verifier verifier) {
  std::unique_ptr<EchoServer> echo(new EchoServer());
  echo->service_.verifier = std::move(verifier);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", MakeMutualTlsServerCredentials(ca_pem, cert_pem, key_pem),
                           &echo->port_);
  builder.SetMaxReceiveMessageSize(8 << 20);
  builder.RegisterService(&echo->service_);
  echo->server_ = builder.BuildAndStart();
  if (echo->server_ == nullptr || echo->port_ == 0) {
    return absl::UnavailableError(
        "could not start the echo baseline on 127.0.0.1 (bad --baseline-cert/--baseline-key, "
        "or no port available)");
  }
  return echo;
}

void EchoServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
  server_.reset();
}

EchoServer::~EchoServer() { Shutdown(); }

}  // namespace samrad::bench
