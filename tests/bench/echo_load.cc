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
  absl::StatusOr<std::unique_ptr<EchoServer>> server =
      EchoServer::Start(config.client.ca_pem, config.server_cert_pem, config.server_key_pem);
  if (!server.ok()) return server.status();
  const std::string target = (*server)->target();
  auto channels =
      MakeChannels(target, config.client, config.server_name, config.loop.channels, "echo");
  if (absl::Status s = WaitConnected(channels, target, config.connect_timeout_ms); !s.ok())
    return s;
  EchoCallSource source(channels, config.request_bytes, config.reply_bytes, config.deadline_ms);
  RunResult result = RunClosedLoop(source, config.loop);
  (*server)->Shutdown();
  return result;
}

}  // namespace samrad::bench
