// The durable-submit load: each call sends the next pre-sealed consultation
// (SubmitConsultation) and, when acknowledged, appends its message id to the
// ack log before the driver counts the call as done.
#ifndef SAMRAD_TESTS_BENCH_SUBMIT_LOAD_H_
#define SAMRAD_TESTS_BENCH_SUBMIT_LOAD_H_

#include <atomic>
#include <memory>
#include <vector>

#include "proto/relay.grpc.pb.h"
#include "tests/bench/ack_log.h"
#include "tests/bench/closed_loop.h"
#include "tests/bench/relay_session.h"

namespace samrad::bench {

// Thread-safe. `threads` and `ack_log` (may be null) must outlive the run.
// Runs dry when every prepared consultation has been sent once (a failed
// submit is not resent: its envelope may or may not be stored, and a resend
// would measure the duplicate path).
class SubmitCallSource final : public CallSource {
 public:
  SubmitCallSource(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                   const std::vector<PreparedThread>& threads, AckLog* ack_log,
                   int64_t deadline_ms);
  bool StartCall(int channel, Done done) override;

  int64_t sent() const { return next_.load(); }
  // Acks whose message id differed from the one sent, or that were duplicates:
  // both mean the relay misbehaved (fresh ids are never duplicates).
  int64_t unexpected_acks() const { return unexpected_acks_.load(); }

 private:
  std::vector<std::unique_ptr<v1::Relay::Stub>> stubs_;
  const std::vector<PreparedThread>& threads_;
  AckLog* ack_log_;
  int64_t deadline_ms_;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> unexpected_acks_{0};
};

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_SUBMIT_LOAD_H_
