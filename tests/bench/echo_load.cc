#include "tests/bench/echo_load.h"

#include <chrono>

#include "tests/bench/echo_server.h"

namespace samrad::bench {

EchoCallSource::EchoCallSource(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                               int request_bytes, int reply_bytes, int64_t deadline_ms)
    : deadline_ms_(deadline_ms) {
  for (const auto& channel : channels) stubs_.push_back(echo::Echo::NewStub(channel));
  // A field header of a few bytes; the payload makes up the rest of the size.
  request_.set_payload(std::string(std::max(0, request_bytes - 8), 'e'));
  request_.set_reply_bytes(reply_bytes);
}

void EchoCallSource::SetSignature(const std::string& public_key, const std::string& signature) {
  request_.set_public_key(public_key);
  request_.set_signature(signature);
}

bool EchoCallSource::StartCall(int channel, Done done) {
  struct Call {
    grpc::ClientContext context;
    echo::EchoReply reply;
  };
  auto* call = new Call();
  call->context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::milliseconds(deadline_ms_));
  stubs_[channel]->async()->Echo(&call->context, &request_, &call->reply,
                                 [call, done = std::move(done)](grpc::Status status) {
                                   delete call;
                                   done(status);
                                 });
  return true;
}

absl::StatusOr<RunResult> RunEchoBaseline(const EchoBaselineConfig& config) {
  absl::StatusOr<std::unique_ptr<EchoServer>> server = EchoServer::Start(
      config.client.ca_pem, config.server_cert_pem, config.server_key_pem, config.verifier);
  if (!server.ok()) return server.status();
  const std::string target = (*server)->target();
  auto channels =
      MakeChannels(target, config.client, config.server_name, config.loop.channels, "echo");
  if (absl::Status s = WaitConnected(channels, target, config.connect_timeout_ms); !s.ok())
    return s;
  // A public key and a signature add about 100 bytes; keep the request size.
  const int payload_bytes =
      config.sign ? std::max(0, config.request_bytes - 100) : config.request_bytes;
  EchoCallSource source(channels, payload_bytes, config.reply_bytes, config.deadline_ms);
  if (config.sign) {
    auto [public_key, signature] = config.sign(source.payload());
    source.SetSignature(public_key, signature);
  }
  RunResult result = RunClosedLoop(source, config.loop);
  (*server)->Shutdown();
  return result;
}

}  // namespace samrad::bench
