#include "tests/bench/bench_options.h"

#include <functional>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace samrad::bench {
namespace {

using Setter = std::function<absl::Status(const std::string& flag, const std::string& value)>;

Setter String(std::string* out) {
  return [out](const std::string& flag, const std::string& value) {
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
    *out = value;
    return absl::OkStatus();
  };
}

template <typename T>
Setter Number(T* out, T min, T max) {
  return [out, min, max](const std::string& flag, const std::string& value) {
    T parsed{};
    bool ok = false;
    if constexpr (std::is_floating_point_v<T>) {
      ok = absl::SimpleAtod(value, &parsed);
    } else {
      int64_t wide = 0;
      ok = absl::SimpleAtoi(value, &wide);
      parsed = static_cast<T>(wide);
      ok = ok && static_cast<int64_t>(parsed) == wide;
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat(flag, "=", value, " is not a number"));
    if (parsed < min || parsed > max) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, "=", value, " is out of range [", min, ", ", max, "]"));
    }
    *out = parsed;
    return absl::OkStatus();
  };
}

absl::Status Require(bool present, std::string_view what) {
  if (present) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(what));
}

absl::Status Validate(const BenchOptions& o) {
  if (o.baseline_only) {
    if (auto s = Require(!o.ca_file.empty() && !o.cert_file.empty() && !o.key_file.empty(),
                         "--baseline-only needs --ca, --cert and --key");
        !s.ok()) {
      return s;
    }
    return Require(!o.baseline_cert_file.empty() && !o.baseline_key_file.empty(),
                   "--baseline-only needs --baseline-cert and --baseline-key (the echo "
                   "service's server certificate, e.g. the relay's own)");
  }
  if (auto s = Require(!o.target.empty(), "--target host:port is required"); !s.ok()) return s;
  if (auto s = Require(!o.ca_file.empty() && !o.cert_file.empty() && !o.key_file.empty(),
                       "--ca, --cert and --key are required (a professional certificate)");
      !s.ok()) {
    return s;
  }
  if (auto s = Require(!o.directory_key_file.empty(),
                       "--directory-key is required (the pinned directory public key)");
      !s.ok()) {
    return s;
  }
  if (o.baseline) {
    if (auto s = Require(!o.baseline_cert_file.empty() && !o.baseline_key_file.empty(),
                         "--baseline needs --baseline-cert and --baseline-key (the echo "
                         "service's server certificate, e.g. the relay's own)");
        !s.ok()) {
      return s;
    }
  }
  if (o.mix) {
    if (auto s = Require(
            !o.adviser_cert_file.empty() && !o.adviser_key_file.empty() && !o.adviser_id.empty(),
            "--mix needs --adviser-cert, --adviser-key and --adviser-id");
        !s.ok()) {
      return s;
    }
    if (auto s = Require(!o.admin_cert_file.empty() && !o.admin_key_file.empty() &&
                             !o.directory_signing_key_file.empty(),
                         "--mix needs --admin-cert, --admin-key and --directory-signing-key "
                         "(it publishes its own directory epoch; test deployments only)");
        !s.ok()) {
      return s;
    }
    if (o.baseline) return absl::InvalidArgumentError("--mix and --baseline do not combine");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BenchOptions> ParseBenchArgs(const std::vector<std::string>& args) {
  BenchOptions o;
  const std::map<std::string, Setter> valued = {
      {"--target", String(&o.target)},
      {"--ca", String(&o.ca_file)},
      {"--cert", String(&o.cert_file)},
      {"--key", String(&o.key_file)},
      {"--server-name", String(&o.server_name)},
      {"--adviser-cert", String(&o.adviser_cert_file)},
      {"--adviser-key", String(&o.adviser_key_file)},
      {"--adviser-id", String(&o.adviser_id)},
      {"--admin-cert", String(&o.admin_cert_file)},
      {"--admin-key", String(&o.admin_key_file)},
      {"--directory-key", String(&o.directory_key_file)},
      {"--directory-signing-key", String(&o.directory_signing_key_file)},
      {"--channels", Number<int>(&o.channels, 1, 256)},
      {"--inflight", Number<int>(&o.inflight, 1, 4096)},
      {"--seconds", Number<double>(&o.seconds, 0.1, 86400)},
      {"--warmup", Number<double>(&o.warmup_seconds, 0, 3600)},
      {"--payload", Number<int>(&o.payload_bytes, 0, 1 << 20)},
      {"--county", String(&o.county)},
      {"--envelopes", Number<int64_t>(&o.envelopes, 0, 100'000'000)},
      {"--seal-threads", Number<int>(&o.seal_threads, 1, 64)},
      {"--deadline-ms", Number<int64_t>(&o.deadline_ms, 1, 3'600'000)},
      {"--connect-timeout-ms", Number<int64_t>(&o.connect_timeout_ms, 1, 3'600'000)},
      {"--ack-log", String(&o.ack_log)},
      {"--max-errors", Number<int64_t>(&o.max_errors, -1, int64_t{1} << 62)},
      {"--error-backoff-ms", Number<int64_t>(&o.error_backoff_ms, 0, 60'000)},
      {"--baseline-cert", String(&o.baseline_cert_file)},
      {"--baseline-key", String(&o.baseline_key_file)},
      {"--baseline-request-bytes", Number<int>(&o.baseline_request_bytes, 0, 4 << 20)},
      {"--baseline-reply-bytes", Number<int>(&o.baseline_reply_bytes, 0, 4 << 20)},
      {"--rate", Number<double>(&o.rate, 0.1, 1e6)},
      {"--watchers", Number<int>(&o.watchers, 0, 10000)},
      {"--thread-watchers", Number<int>(&o.thread_watchers, 0, 100000)},
      {"--relay-pid", Number<int>(&o.relay_pid, 1, 1 << 22)},
  };
  const std::map<std::string, bool*> switches = {
      {"--baseline", &o.baseline},
      {"--baseline-only", &o.baseline_only},
      {"--baseline-verify", &o.baseline_verify},
      {"--mix", &o.mix},
      {"--publish-only", &o.publish_only},
  };
  for (size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
      has_value = true;
    }
    if (flag == "--until-error") {
      if (has_value) return absl::InvalidArgumentError("--until-error takes no value");
      o.max_errors = 1;
      continue;
    }
    if (auto it = switches.find(flag); it != switches.end()) {
      if (has_value) return absl::InvalidArgumentError(absl::StrCat(flag, " takes no value"));
      *it->second = true;
      continue;
    }
    auto it = valued.find(flag);
    if (it == valued.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag, " (see --help)"));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
      }
      value = args[++i];
    }
    if (absl::Status s = it->second(flag, value); !s.ok()) return s;
  }
  if (o.county.size() != 2 || !absl::ascii_isdigit(o.county[0]) ||
      !absl::ascii_isdigit(o.county[1])) {
    return absl::InvalidArgumentError(
        absl::StrCat("--county=", o.county, " is not a two-digit län code"));
  }
  if (o.publish_only) o.mix = true;
  if (o.baseline_verify && !o.baseline_only) o.baseline = true;
  if (absl::Status s = Validate(o); !s.ok()) return s;
  return o;
}

std::string BenchUsage() {
  return R"(samrad-bench: load tool for the Samråd relay (docs/benchmarks/relay.md)

Durable submits, closed loop:
  samrad-bench --target HOST:PORT --ca CA.pem --cert PRO.pem --key PRO.key
               --directory-key DIR.pub [--channels 4] [--inflight 16] [--seconds 10]
               [--payload 1024] [--county 07] [--ack-log FILE]
               [--baseline --baseline-cert SRV.pem --baseline-key SRV.key]
  Prints: qps=... p50_us=... p99_us=... errors=...   (per-code errors on stderr)
  With --baseline it first runs the same load against an in-process echo
  service over the same mTLS and prints "ratio qps=... p99=..." (relay/baseline).

Mixed open-loop workload (TEST DEPLOYMENTS ONLY: publishes a directory epoch
with freshly generated keys for --adviser-id):
  samrad-bench --mix --rate 500 --target ... --ca ... --cert PRO.pem --key PRO.key
               --adviser-cert ADV.pem --adviser-key ADV.key --adviser-id ID
               --admin-cert ADM.pem --admin-key ADM.key
               --directory-key DIR.pub --directory-signing-key DIR.seed
  Prints one line per operation kind: op=... n=... p50_us=... p99_us=... errors=...

Other flags:
  --server-name NAME     TLS name to verify (default: the host of --target)
  --warmup S             seconds at the start that are not measured (default 1)
  --envelopes N          pre-sealed submits (default: enough for --seconds)
  --seal-threads N       threads sealing before the clock starts (default 2)
  --deadline-ms MS       per-call deadline (default 10000)
  --connect-timeout-ms MS  time allowed for the TLS handshakes (default 10000)
  --max-errors N         stop cleanly after N failed calls (default: never)
  --until-error          same as --max-errors 1 (crash tests)
  --error-backoff-ms MS  pause of a slot after a failed call (default 20)
  --baseline-only        run only the echo baseline (needs --ca --cert --key and
                         --baseline-cert/--baseline-key; no relay)
  --baseline-verify      with --baseline: a second echo run whose server verifies
                         one Ed25519 signature per call (the relay must verify every
                         envelope); prints "baseline_verify ..." and
                         "ratio_vs_verify qps=... p99=..."
  --baseline-request-bytes N / --baseline-reply-bytes N  echo sizes
  --watchers N           WatchQueue streams in --mix (default 3)
  --thread-watchers N    --mix: N consultations submitted first, each watched by a
                         WatchThread; answers go to them first (thread_event latency)
  --publish-only         with the --mix identities: publish the test directory
                         epoch (epoch 1 with unit "bench-unit" on an empty relay)
                         and exit
  --relay-pid PID        sample a local relay's VmRSS/VmHWM and CPU during the run
                         and print "relay_process rss_max_mib=... hwm_mib=... cpu_s=..."
Exit status: 0 no failed call; 1 some calls failed (line still printed, ack log
complete); 2 setup failed (flags, files, directory, connection).
)";
}

}  // namespace samrad::bench
