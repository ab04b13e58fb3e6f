#include "tests/bench/submit_load.h"

#include <chrono>

namespace samrad::bench {

SubmitCallSource::SubmitCallSource(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                   const std::vector<PreparedThread>& threads, AckLog* ack_log,
                                   int64_t deadline_ms)
    : threads_(threads), ack_log_(ack_log), deadline_ms_(deadline_ms) {
  for (const auto& channel : channels) stubs_.push_back(v1::Relay::NewStub(channel));
}

bool SubmitCallSource::StartCall(int channel, Done done) {
  const int64_t index = next_.fetch_add(1);
  if (index >= static_cast<int64_t>(threads_.size())) return false;
  struct Call {
    grpc::ClientContext context;
    v1::Ack ack;
  };
  auto* call = new Call();
  call->context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::milliseconds(deadline_ms_));
  const PreparedThread& thread = threads_[index];
  stubs_[channel]->async()->SubmitConsultation(
      &call->context, &thread.request, &call->ack,
      [this, call, &thread, done = std::move(done)](grpc::Status status) {
        if (status.ok()) {
          if (call->ack.message_id() != thread.message_id || call->ack.duplicate()) {
            unexpected_acks_.fetch_add(1);
          }
          if (ack_log_ != nullptr) {
            // The id the relay acknowledged, written before anything else can
            // happen to this process's view of the run.
            if (absl::Status s = ack_log_->Append(call->ack.message_id()); !s.ok()) {
              status = grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
            }
          }
        }
        delete call;
        done(status);
      });
  return true;
}

}  // namespace samrad::bench
