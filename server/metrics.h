// The relay's Prometheus metrics (issue 18 item 5): what is counted and how
// it is written out as text format 0.0.4. The HTTP side is metrics_http.h.
//
// Counted as it happens, with relaxed atomics only (no lock on a call's
// path): gRPC calls by method and status code and their latency, through a
// server interceptor (NewInterceptorFactory) so no handler changes; open
// streams by the caller's role; store commit groups (size, synced-write
// time) through StoreOptions::on_group_written. Read when scraped
// (ScrapeValues): store size, directory epoch and age, the relay's own
// certificate expiry.
//
// Privacy: labels are only a method name, a gRPC code name, a role
// (professional, adviser, admin, unknown), a histogram bound, and the build's
// version and commit. Never a certificate serial or id, a thread, message or
// unit id, or anything else that ties a person to a case.
//
// Thread-safety: every method may be called from any thread (counting uses
// relaxed atomics; the method table is fixed after construction, so Render
// and ForMethod take no lock). Ownership: RelayServer owns the RelayMetrics;
// it must outlive the gRPC server and the store that count into it.
#ifndef SAMRAD_SERVER_METRICS_H_
#define SAMRAD_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "grpcpp/support/server_interceptor.h"

namespace samrad::server {

// Counts in fixed buckets; Observe is lock-free.
class FixedHistogram {
 public:
  // `bounds`: strictly increasing upper bounds in observation units;
  // `unit_scale`: what one unit is in the exported unit (1e-6 for
  // microseconds exported as seconds).
  FixedHistogram(std::vector<uint64_t> bounds, double unit_scale);
  void Observe(uint64_t value);
  // Appends NAME_bucket/_sum/_count lines; `labels` is `k="v",` or empty.
  void Render(const std::string& name, const std::string& labels, std::string& out) const;
  uint64_t Count() const;

 private:
  const std::vector<uint64_t> bounds_;
  const double unit_scale_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (+Inf)
  std::atomic<uint64_t> sum_{0};
};

// What the relay reads for a scrape (cheap reads, once per scrape).
struct ScrapeValues {
  int64_t now_unix_ms = 0;
  bool store_size_known = false;
  uint64_t store_size_bytes = 0;
  bool has_directory = false;
  uint64_t directory_epoch = 0;
  int64_t directory_issued_unix_ms = 0;
  int64_t directory_not_after_unix_ms = 0;
  bool certificate_known = false;
  int64_t certificate_not_after_unix_s = 0;
};

class RelayMetrics {
 public:
  RelayMetrics();
  RelayMetrics(const RelayMetrics&) = delete;
  RelayMetrics& operator=(const RelayMetrics&) = delete;

  // For ServerBuilder::experimental().SetInterceptorCreators; it counts into
  // this object, which must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

  // StoreOptions::on_group_written.
  void RecordGroupWritten(size_t ops, int64_t write_micros);

  // The whole exposition, text format 0.0.4.
  std::string Render(const ScrapeValues& values) const;

  // ---- Used by the interceptor ----
  struct MethodStats {
    explicit MethodStats(std::string label);
    const std::string label;               // e.g. samrad.v1.Relay/GetThread
    std::atomic<uint64_t> calls[17] = {};  // by grpc::StatusCode 0..16
    FixedHistogram latency;
  };
  // The stats of "/package.Service/Method"; unknown methods share "other".
  MethodStats& ForMethod(const char* method);
  // Open streams by role index (see kRoles in metrics.cc).
  std::atomic<int64_t>& OpenStreams(size_t role) { return open_streams_[role]; }
  static size_t RoleIndex(const std::string& peer_uri);

 private:
  const int64_t start_unix_s_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodStats>> methods_;  // fixed after ctor
  std::unique_ptr<MethodStats> other_;
  std::atomic<int64_t> open_streams_[4] = {};
  FixedHistogram group_size_;
  FixedHistogram group_write_;
  std::atomic<uint64_t> groups_written_{0};
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_METRICS_H_
