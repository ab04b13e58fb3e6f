#include "tests/bench/closed_loop.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/bench/delayer.h"

namespace samrad::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Shared state of one run. Lives on RunClosedLoop's stack; every callback
// finishes before RunClosedLoop returns (it waits for active_slots_ == 0).
class Driver {
 public:
  Driver(CallSource& source, const ClosedLoopOptions& options)
      : source_(source), options_(options) {}

  RunResult Run() {
    const auto start = Clock::now();
    window_start_ = start + ToDuration(options_.warmup_seconds);
    window_end_ = window_start_ + ToDuration(options_.seconds);
    active_slots_ = options_.channels * options_.inflight;
    for (int c = 0; c < options_.channels; ++c) {
      for (int k = 0; k < options_.inflight; ++k) Issue(c);
    }
    Clock::time_point stopped_at;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, window_end_, [this] { return stopping_ || active_slots_ == 0; });
      if (!stopping_) {
        stopping_ = true;
        if (result_.stop_reason.empty()) result_.stop_reason = "time";
      }
      stopped_at = std::min(Clock::now(), window_end_);
      cv_.wait(lock, [this] { return active_slots_ == 0; });
    }
    result_.measured_seconds =
        std::max(0.0, std::chrono::duration<double>(stopped_at - window_start_).count());
    result_.ok_in_window = ok_in_window_.load();
    result_.total_ok = total_ok_.load();
    return std::move(result_);
  }

 private:
  static Clock::duration ToDuration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }

  void Stop(std::string reason) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      result_.stop_reason = std::move(reason);
    }
    cv_.notify_all();
  }

  void SlotFinished() {
    std::lock_guard<std::mutex> lock(mu_);
    --active_slots_;
    cv_.notify_all();
  }

  void Issue(int channel) {
    if (Stopping()) return SlotFinished();
    const auto started = Clock::now();
    const bool issued = source_.StartCall(
        channel,
        [this, channel, started](const grpc::Status& status) { OnDone(channel, started, status); });
    if (!issued) {
      Stop("source exhausted");
      SlotFinished();
    }
  }

  void OnDone(int channel, Clock::time_point started, const grpc::Status& status) {
    const auto ended = Clock::now();
    if (status.ok()) {
      total_ok_.fetch_add(1, std::memory_order_relaxed);
      if (ended >= window_start_ && ended <= window_end_) {
        result_.latency->Record(std::chrono::nanoseconds(ended - started).count());
        ok_in_window_.fetch_add(1, std::memory_order_relaxed);
      }
      // A successful call never completes synchronously, so this does not recurse.
      return Issue(channel);
    }
    bool stop = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (++result_.errors[status.error_code()] == 1) {
        result_.first_error_message[status.error_code()] = status.error_message();
      }
      ++result_.total_errors;
      stop = options_.max_errors >= 0 &&
             result_.total_errors >= static_cast<uint64_t>(options_.max_errors);
    }
    if (stop) Stop("max-errors");
    // Failed calls may complete on the starting thread: retry via the delayer
    // so a dead peer cannot recurse or spin.
    delayer_.RunAfter(std::chrono::milliseconds(options_.error_backoff_ms),
                      [this, channel] { Issue(channel); });
  }

  CallSource& source_;
  const ClosedLoopOptions options_;
  Clock::time_point window_start_;
  Clock::time_point window_end_;
  std::atomic<uint64_t> ok_in_window_{0};
  std::atomic<uint64_t> total_ok_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int active_slots_ = 0;
  RunResult result_;
  // Declared last: destroyed first, after every slot has finished.
  Delayer delayer_;
};

}  // namespace

RunResult RunClosedLoop(CallSource& source, const ClosedLoopOptions& options) {
  Driver driver(source, options);
  return driver.Run();
}

std::string FormatClosingLine(const RunResult& result) {
  return absl::StrFormat("qps=%.1f p50_us=%d p99_us=%d errors=%d", result.qps(),
                         result.latency->Percentile(0.50) / 1000,
                         result.latency->Percentile(0.99) / 1000, result.total_errors);
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "CANCELLED";
    case grpc::UNKNOWN:
      return "UNKNOWN";
    case grpc::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::ABORTED:
      return "ABORTED";
    case grpc::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::INTERNAL:
      return "INTERNAL";
    case grpc::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

std::string FormatErrorsByCode(const std::map<grpc::StatusCode, uint64_t>& errors) {
  if (errors.empty()) return "errors by code: none";
  std::string out = "errors by code:";
  for (const auto& [code, n] : errors) absl::StrAppend(&out, " ", StatusCodeName(code), "=", n);
  return out;
}

}  // namespace samrad::bench
