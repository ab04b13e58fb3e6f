// samrad-bench: load tool for the Samråd relay. See BenchUsage() and
// docs/benchmarks/relay.md.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "crypto/keys.h"
#include "crypto/process_lifetime.h"
#include "tests/bench/ack_log.h"
#include "tests/bench/bench_options.h"
#include "tests/bench/closed_loop.h"
#include "tests/bench/echo_load.h"
#include "tests/bench/mix_load.h"
#include "tests/bench/process_sampler.h"
#include "tests/bench/relay_session.h"
#include "tests/bench/submit_load.h"
#include "tests/bench/tls_files.h"

namespace samrad::bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitCallsFailed = 1;
constexpr int kExitSetupFailed = 2;

int SetupFailed(const absl::Status& status) {
  std::cerr << "samrad-bench: " << status << "\n";
  return kExitSetupFailed;
}

ClosedLoopOptions LoopOptions(const BenchOptions& o) {
  ClosedLoopOptions loop;
  loop.channels = o.channels;
  loop.inflight = o.inflight;
  loop.seconds = o.seconds;
  loop.warmup_seconds = o.warmup_seconds;
  loop.max_errors = o.max_errors;
  loop.error_backoff_ms = o.error_backoff_ms;
  return loop;
}

void PrintResult(const std::string& prefix, const RunResult& result) {
  std::cerr << (prefix.empty() ? "relay" : "baseline") << ": " << FormatErrorsByCode(result.errors)
            << " (stopped: " << result.stop_reason << ")\n";
  for (const auto& [code, message] : result.first_error_message) {
    std::cerr << "  first " << StatusCodeName(code) << ": " << message << "\n";
  }
  std::cout << prefix << FormatClosingLine(result) << std::endl;
}

// "NAME qps=0.74 p99=1.52": relay over baseline.
void PrintRatio(const std::string& name, const RunResult& relay, const RunResult& baseline) {
  const double qps_ratio = baseline.qps() > 0 ? relay.qps() / baseline.qps() : 0;
  const double base_p99 = static_cast<double>(baseline.latency->Percentile(0.99));
  const double p99_ratio =
      base_p99 > 0 ? static_cast<double>(relay.latency->Percentile(0.99)) / base_p99 : 0;
  std::cout << absl::StrFormat("%s qps=%.2f p99=%.2f", name, qps_ratio, p99_ratio) << std::endl;
}

absl::StatusOr<RunResult> RunBaseline(const BenchOptions& o, const ClientTls& tls,
                                      int request_bytes, bool verify) {
  EchoBaselineConfig config;
  config.client = tls;
  absl::StatusOr<std::string> cert = ReadFile(o.baseline_cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(o.baseline_key_file);
  if (!key.ok()) return key.status();
  config.server_cert_pem = *cert;
  config.server_key_pem = *key;
  config.server_name = o.server_name;
  config.loop = LoopOptions(o);
  config.loop.max_errors = -1;  // --max-errors is about the relay
  config.request_bytes = request_bytes;
  config.reply_bytes = o.baseline_reply_bytes;
  config.deadline_ms = o.deadline_ms;
  config.connect_timeout_ms = o.connect_timeout_ms;
  if (verify) {
    config.verifier = [](const std::string& public_key, const std::string& message,
                         const std::string& signature) {
      absl::StatusOr<crypto::Ed25519PublicKey> key =
          crypto::Ed25519PublicKey::FromBytes(public_key);
      return key.ok() && key->Verify(message, signature).ok();
    };
    config.sign = [](const std::string& payload) {
      const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
      return std::make_pair(key.public_key().bytes(), key.Sign(payload));
    };
  }
  return RunEchoBaseline(config);
}

int64_t AutoEnvelopeCount(const BenchOptions& o) {
  // Generous for a 2-core machine (a relay there acknowledges a few thousand
  // durable submits per second); the run stops early and says so if short.
  return static_cast<int64_t>((o.seconds + o.warmup_seconds) * 3000) +
         int64_t{o.channels} * o.inflight;
}

int RunSubmitBench(const BenchOptions& o) {
  absl::StatusOr<ClientTls> tls = LoadClientTls(o.ca_file, o.cert_file, o.key_file);
  if (!tls.ok()) return SetupFailed(tls.status());

  if (o.baseline_only) {
    absl::StatusOr<RunResult> baseline = RunBaseline(
        o, *tls, o.baseline_request_bytes > 0 ? o.baseline_request_bytes : o.payload_bytes + 600,
        o.baseline_verify);
    if (!baseline.ok()) return SetupFailed(baseline.status());
    PrintResult("baseline ", *baseline);
    return baseline->total_errors == 0 ? kExitOk : kExitCallsFailed;
  }

  absl::StatusOr<crypto::Ed25519PublicKey> pinned = LoadDirectoryPublicKey(o.directory_key_file);
  if (!pinned.ok()) return SetupFailed(pinned.status());
  auto channels = MakeChannels(o.target, *tls, o.server_name, o.channels, "relay");
  if (absl::Status s = WaitConnected(channels, o.target, o.connect_timeout_ms); !s.ok())
    return SetupFailed(s);
  auto stub = v1::Relay::NewStub(channels[0]);
  absl::StatusOr<VerifiedDirectory> directory = FetchDirectory(*stub, *pinned, o.deadline_ms);
  if (!directory.ok()) return SetupFailed(directory.status());
  absl::StatusOr<Route> route = RouteFor(directory->directory, o.county);
  if (!route.ok()) return SetupFailed(route.status());

  SealPlan plan;
  plan.count = o.envelopes > 0 ? o.envelopes : AutoEnvelopeCount(o);
  plan.payload_bytes = o.payload_bytes;
  plan.county = o.county;
  plan.threads = o.seal_threads;
  const auto seal_start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<PreparedThread>> threads = SealConsultations(*route, plan);
  if (!threads.ok()) return SetupFailed(threads.status());
  int64_t request_bytes_total = 0;
  for (const PreparedThread& t : *threads) request_bytes_total += t.request.ByteSizeLong();
  const int request_bytes =
      static_cast<int>(request_bytes_total / std::max<int64_t>(1, plan.count));
  std::cerr << absl::StrFormat(
      "sealed %d consultations for unit %s (epoch %d, %d recipients) in %.1f s; request %d bytes\n",
      plan.count, route->unit_id, route->epoch, route->recipients.size(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - seal_start).count(),
      request_bytes);

  std::optional<RunResult> baseline;
  std::optional<RunResult> baseline_verify;
  if (o.baseline) {
    const int bytes = o.baseline_request_bytes > 0 ? o.baseline_request_bytes : request_bytes;
    absl::StatusOr<RunResult> b = RunBaseline(o, *tls, bytes, /*verify=*/false);
    if (!b.ok()) return SetupFailed(b.status());
    PrintResult("baseline ", *b);
    baseline = *std::move(b);
    if (o.baseline_verify) {
      absl::StatusOr<RunResult> v = RunBaseline(o, *tls, bytes, /*verify=*/true);
      if (!v.ok()) return SetupFailed(v.status());
      PrintResult("baseline_verify ", *v);
      baseline_verify = *std::move(v);
    }
  }

  std::unique_ptr<AckLog> ack_log;
  if (!o.ack_log.empty()) {
    absl::StatusOr<std::unique_ptr<AckLog>> opened = AckLog::Open(o.ack_log);
    if (!opened.ok()) return SetupFailed(opened.status());
    ack_log = *std::move(opened);
  }
  SubmitCallSource source(channels, *threads, ack_log.get(), o.deadline_ms);
  std::unique_ptr<ProcessSampler> sampler;
  if (o.relay_pid > 0) {
    sampler = std::make_unique<ProcessSampler>(o.relay_pid, std::chrono::milliseconds(100));
    sampler->Start();
  }
  RunResult result = RunClosedLoop(source, LoopOptions(o));
  if (sampler != nullptr) {
    // CPU covers warm-up and drain too, so divide by every acknowledged call.
    std::cout << "relay_process " << FormatProcessSummary(sampler->Stop(), result.total_ok)
              << std::endl;
  }
  if (result.stop_reason == "source exhausted") {
    std::cerr << "samrad-bench: all " << plan.count
              << " pre-sealed consultations were sent before the time was up; the figures "
                 "cover the shorter run (pass a larger --envelopes)\n";
  }
  if (source.unexpected_acks() > 0) {
    std::cerr << "samrad-bench: " << source.unexpected_acks()
              << " acks named another message id or claimed a duplicate\n";
  }
  PrintResult("", result);
  if (baseline_verify.has_value()) PrintRatio("ratio_vs_verify", result, *baseline_verify);
  if (baseline.has_value()) PrintRatio("ratio", result, *baseline);
  return result.total_errors == 0 && source.unexpected_acks() == 0 ? kExitOk : kExitCallsFailed;
}

}  // namespace
}  // namespace samrad::bench

int main(int argc, char** argv) {
  samrad::crypto::KeepOpenSslForProcessLifetime();
  std::vector<std::string> args(argv, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << samrad::bench::BenchUsage();
      return 0;
    }
  }
  absl::StatusOr<samrad::bench::BenchOptions> options = samrad::bench::ParseBenchArgs(args);
  if (!options.ok()) {
    std::cerr << "samrad-bench: " << options.status().message() << "\n";
    return 2;
  }
  if (options->mix) return samrad::bench::RunMixBench(*options);
  return samrad::bench::RunSubmitBench(*options);
}
