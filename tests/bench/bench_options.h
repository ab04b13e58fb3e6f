// samrad-bench command line: every flag, its default and what it means
// (docs/benchmarks/relay.md has the walkthrough).
#ifndef SAMRAD_TESTS_BENCH_BENCH_OPTIONS_H_
#define SAMRAD_TESTS_BENCH_BENCH_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace samrad::bench {

struct BenchOptions {
  // --- connection (mTLS) ---
  std::string target;              // --target host:port of the relay
  std::string ca_file;             // --ca PEM root(s) that signed the relay's and our certs
  std::string cert_file;           // --cert professional client certificate (PEM)
  std::string key_file;            // --key its private key (PEM)
  std::string server_name;         // --server-name TLS name to verify (default: host of --target)
  std::string adviser_cert_file;   // --adviser-cert (for --mix)
  std::string adviser_key_file;    // --adviser-key
  std::string adviser_id;          // --adviser-id: ID part of the adviser cert's SAN URI
  std::string admin_cert_file;     // --admin-cert (for --mix: publishes a directory epoch)
  std::string admin_key_file;      // --admin-key
  std::string directory_key_file;  // --directory-key pinned Ed25519 public key
  std::string directory_signing_key_file;  // --directory-signing-key dev seed (--mix only)

  // --- load shape ---
  int channels = 4;                    // --channels separate HTTP/2 connections
  int inflight = 16;                   // --inflight outstanding calls per channel (closed loop)
  double seconds = 10;                 // --seconds measured duration
  double warmup_seconds = 1;           // --warmup calls completing earlier are not measured
  int payload_bytes = 1024;            // --payload plaintext text bytes per consultation
  std::string county = "07";           // --county routes the submits (two-digit län code)
  int64_t envelopes = 0;               // --envelopes pre-sealed; 0 = enough for --seconds
  int seal_threads = 2;                // --seal-threads used before the clock starts
  int64_t deadline_ms = 10000;         // --deadline-ms per call
  int64_t connect_timeout_ms = 10000;  // --connect-timeout-ms for the TLS handshakes

  // --- outputs and error policy ---
  std::string ack_log;            // --ack-log FILE: message id of every ack, one per line
  int64_t max_errors = -1;        // --max-errors N: stop after N failed calls (-1: never)
  int64_t error_backoff_ms = 20;  // --error-backoff-ms a slot waits after a failure

  int relay_pid = 0;  // --relay-pid: sample this local process's RSS and CPU during the run

  // --- baseline ---
  bool baseline = false;           // --baseline: run the echo baseline first, print the ratio
  bool baseline_verify = false;    // --baseline-verify: also an echo that verifies one Ed25519
                                   // signature per call (the crypto the relay must do)
  bool baseline_only = false;      // --baseline-only: no relay at all (tests, sanity)
  std::string baseline_cert_file;  // --baseline-cert server cert for the echo service
  std::string baseline_key_file;   // --baseline-key
  int baseline_request_bytes = 0;  // --baseline-request-bytes (0: measured relay request size)
  int baseline_reply_bytes = 96;   // --baseline-reply-bytes (about an Ack)

  // --- mixed workload ---
  bool publish_only = false;  // --publish-only: --mix's directory publish, then exit
  bool mix = false;           // --mix: open-loop realistic blend (test deployments only)
  double rate = 500;          // --rate operations per second (scheduled, open loop)
  int watchers = 3;           // --watchers WatchQueue streams held open
  // --thread-watchers N: N consultations submitted before the clock starts,
  // each with a WatchThread open (a professional waiting for the answer);
  // answers go to them first, and thread_event is answer -> event delivery.
  int thread_watchers = 0;
};

// Parses argv (argv[0] is the program). Accepts --flag=value and --flag value.
// INVALID_ARGUMENT naming the flag for an unknown flag, a missing or malformed
// value, or a combination that cannot run (e.g. --mix without --adviser-cert).
absl::StatusOr<BenchOptions> ParseBenchArgs(const std::vector<std::string>& args);

// One paragraph per flag, for --help.
std::string BenchUsage();

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_BENCH_OPTIONS_H_
