// The closed-loop driver: `channels` × `inflight` call slots, each starting
// its next call as soon as the previous one ends, for a fixed time.
//
// Latency is measured per call from start to completion; only calls that
// complete inside the measured window (after the warm-up) count towards qps
// and percentiles. Errors are counted over the whole run, by status code.
#ifndef SAMRAD_TESTS_BENCH_CLOSED_LOOP_H_
#define SAMRAD_TESTS_BENCH_CLOSED_LOOP_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "tests/bench/latency_histogram.h"

namespace samrad::bench {

// What the driver calls. Implementations own the stubs and request data.
class CallSource {
 public:
  using Done = std::function<void(const grpc::Status&)>;
  virtual ~CallSource() = default;
  // Starts one call on channel `channel` (0-based) and arranges for `done` to
  // run exactly once when it ends, on any thread. Returns false, without
  // running `done`, when there is nothing left to send (for example when the
  // pre-sealed envelopes are used up); the driver then stops.
  virtual bool StartCall(int channel, Done done) = 0;
};

struct ClosedLoopOptions {
  int channels = 1;
  int inflight = 1;              // per channel
  double seconds = 1;            // measured window
  double warmup_seconds = 0;     // before the window
  int64_t max_errors = -1;       // stop after this many failed calls; -1 never
  int64_t error_backoff_ms = 0;  // a slot pauses this long after a failure
};

struct RunResult {
  double measured_seconds = 0;
  uint64_t ok_in_window = 0;
  std::unique_ptr<LatencyHistogram> latency = std::make_unique<LatencyHistogram>();
  std::map<grpc::StatusCode, uint64_t> errors;                  // whole run
  std::map<grpc::StatusCode, std::string> first_error_message;  // per code, for diagnosis
  uint64_t total_errors = 0;
  uint64_t total_ok = 0;    // whole run, warm-up included
  std::string stop_reason;  // "time", "max-errors", "source exhausted"

  double qps() const { return measured_seconds > 0 ? ok_in_window / measured_seconds : 0; }
};

// Runs until the window ends, --max-errors is reached or the source runs dry,
// then waits for every outstanding call to end (calls carry deadlines, so this
// is bounded) and returns. `source` must outlive the call.
RunResult RunClosedLoop(CallSource& source, const ClosedLoopOptions& options);

// "qps=1234.5 p50_us=812 p99_us=2210 errors=0"
std::string FormatClosingLine(const RunResult& result);
// "errors by code: UNAVAILABLE=3 DEADLINE_EXCEEDED=1" (or "errors by code: none").
std::string FormatErrorsByCode(const std::map<grpc::StatusCode, uint64_t>& errors);
// Canonical upper-case name of a gRPC code, e.g. "RESOURCE_EXHAUSTED".
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_CLOSED_LOOP_H_
