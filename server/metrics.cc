#include "server/metrics.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/version.h"
#include "google/protobuf/descriptor.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/grpcpp.h"
#include "server/identity.h"

#ifndef SAMRAD_GIT_COMMIT
#define SAMRAD_GIT_COMMIT "unknown"
#endif

namespace samrad::server {
namespace {

// Open-stream role labels, by RelayMetrics::RoleIndex.
constexpr const char* kRoles[] = {"professional", "adviser", "admin", "unknown"};
constexpr size_t kUnknownRole = 3;

// Methods of other services the relay serves (health, reflection).
constexpr const char* kOtherServiceMethods[] = {
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
};

// Bounds in microseconds (exported in seconds) and in writes per group.
std::vector<uint64_t> CallLatencyBounds() {
  return {500,     1'000,   2'500,   5'000,     10'000,    25'000,    50'000,
          100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
}
std::vector<uint64_t> GroupSizeBounds() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
}
std::vector<uint64_t> GroupWriteBounds() {
  return {100,    250,    500,     1'000,   2'500,   5'000,    10'000,
          25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A label value as the text format wants it: \, " and newline escaped.
std::string Escape(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Label(absl::string_view key, absl::string_view value) {
  return absl::StrCat(key, "=\"", Escape(value), "\"");
}

void Header(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Sample(std::string& out, absl::string_view name, absl::string_view labels,
            absl::string_view value) {
  if (labels.empty()) {
    absl::StrAppend(&out, name, " ", value, "\n");
  } else {
    absl::StrAppend(&out, name, "{", labels, "} ", value, "\n");
  }
}

// Counts one call into its method's stats: the status code once (at
// PRE_SEND_STATUS, or CANCELLED if the call ends without sending one) and
// the time since the call reached the server. Streaming calls also count as
// open streams of the caller's role until the interceptor is destroyed (the
// call has ended).
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(RelayMetrics& metrics, RelayMetrics::MethodStats& stats, bool streaming,
                     grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics),
        stats_(stats),
        streaming_(streaming),
        info_(info),
        started_micros_(NowMicros()) {}

  ~MetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
    if (role_ >= 0) metrics_.OpenStreams(static_cast<size_t>(role_)).fetch_sub(1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (streaming_ && role_ < 0 &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::string uri;
      if (info_->server_context() != nullptr) {
        auto auth = info_->server_context()->auth_context();
        if (auth != nullptr) {
          const auto values = auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME);
          if (values.size() == 1) uri.assign(values[0].data(), values[0].size());
        }
      }
      role_ = static_cast<int>(RelayMetrics::RoleIndex(uri));
      metrics_.OpenStreams(static_cast<size_t>(role_)).fetch_add(1);
    }
    if (!recorded_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    const int index = static_cast<int>(code);
    stats_.calls[index >= 0 && index <= 16 ? index : 2].fetch_add(1, std::memory_order_relaxed);
    const int64_t elapsed = NowMicros() - started_micros_;
    stats_.latency.Observe(elapsed > 0 ? static_cast<uint64_t>(elapsed) : 0);
  }

  RelayMetrics& metrics_;
  RelayMetrics::MethodStats& stats_;
  const bool streaming_;
  grpc::experimental::ServerRpcInfo* const info_;
  const int64_t started_micros_;
  bool recorded_ = false;
  int role_ = -1;  // index into kRoles once counted as an open stream
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(RelayMetrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    using Type = grpc::experimental::ServerRpcInfo::Type;
    return new MetricsInterceptor(metrics_, metrics_.ForMethod(info->method()),
                                  info->type() != Type::UNARY, info);
  }

 private:
  RelayMetrics& metrics_;
};

}  // namespace

FixedHistogram::FixedHistogram(std::vector<uint64_t> bounds, double unit_scale)
    : bounds_(std::move(bounds)),
      unit_scale_(unit_scale),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void FixedHistogram::Observe(uint64_t value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t FixedHistogram::Count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

void FixedHistogram::Render(const std::string& name, const std::string& labels,
                            std::string& out) const {
  // _count is the +Inf bucket of this same read, so the lines agree even
  // while calls are counted concurrently.
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le =
        i < bounds_.size() ? absl::StrCat(static_cast<double>(bounds_[i]) * unit_scale_) : "+Inf";
    Sample(out, name + "_bucket", absl::StrCat(labels, Label("le", le)), absl::StrCat(cumulative));
  }
  const std::string plain = labels.empty() ? "" : labels.substr(0, labels.size() - 1);
  // Whole units print exactly; microseconds as seconds with six decimals.
  const uint64_t sum = sum_.load(std::memory_order_relaxed);
  Sample(out, name + "_sum", plain,
         unit_scale_ == 1 ? absl::StrCat(sum)
                          : absl::StrFormat("%.6f", static_cast<double>(sum) * unit_scale_));
  Sample(out, name + "_count", plain, absl::StrCat(cumulative));
}

RelayMetrics::MethodStats::MethodStats(std::string method_label)
    : label(std::move(method_label)), latency(CallLatencyBounds(), 1e-6) {}

RelayMetrics::RelayMetrics()
    : start_unix_s_(std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count()),
      other_(std::make_unique<MethodStats>("other")),
      group_size_(GroupSizeBounds(), 1),
      group_write_(GroupWriteBounds(), 1e-6) {
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("samrad.v1.Relay");
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    const std::string label = absl::StrCat(service->full_name(), "/", service->method(i)->name());
    methods_.emplace("/" + label, std::make_unique<MethodStats>(label));
  }
  for (const char* method : kOtherServiceMethods) {
    methods_.emplace(method, std::make_unique<MethodStats>(method + 1));
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RelayMetrics::NewInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(*this);
}

RelayMetrics::MethodStats& RelayMetrics::ForMethod(const char* method) {
  if (method == nullptr) return *other_;
  auto it = methods_.find(absl::string_view(method));
  return it == methods_.end() ? *other_ : *it->second;
}

size_t RelayMetrics::RoleIndex(const std::string& peer_uri) {
  auto identity = ParseSamradUri(peer_uri);
  if (!identity.ok()) return kUnknownRole;
  switch (identity->role) {
    case Role::kProfessional:
      return 0;
    case Role::kAdviser:
      return 1;
    case Role::kAdmin:
      return 2;
  }
  return kUnknownRole;
}

void RelayMetrics::RecordGroupWritten(size_t ops, int64_t write_micros) {
  group_size_.Observe(ops);
  group_write_.Observe(write_micros > 0 ? static_cast<uint64_t>(write_micros) : 0);
}

std::string RelayMetrics::Render(const ScrapeValues& v) const {
  std::string out;
  out.reserve(32 << 10);
  Header(out, "samrad_build_info", "gauge",
         "Version and source commit of this relay build (value 1).");
  Sample(out, "samrad_build_info",
         absl::StrCat(Label("version", SAMRAD_VERSION_STRING), ",",
                      Label("commit", SAMRAD_GIT_COMMIT)),
         "1");
  Header(out, "process_start_time_seconds", "gauge",
         "Start time of the relay process, Unix seconds.");
  Sample(out, "process_start_time_seconds", "", absl::StrCat(start_unix_s_));

  std::vector<const MethodStats*> all;
  for (const auto& [key, stats] : methods_) all.push_back(stats.get());
  all.push_back(other_.get());
  std::sort(all.begin(), all.end(),
            [](const MethodStats* a, const MethodStats* b) { return a->label < b->label; });

  Header(out, "samrad_grpc_calls_total", "counter",
         "gRPC calls finished, by method and status code.");
  std::string errors;
  for (const MethodStats* stats : all) {
    for (int code = 0; code <= 16; ++code) {
      const uint64_t n = stats->calls[code].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const std::string labels = absl::StrCat(
          Label("method", stats->label), ",",
          Label("code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))));
      Sample(out, "samrad_grpc_calls_total", labels, absl::StrCat(n));
      if (code != 0) Sample(errors, "samrad_grpc_errors_total", labels, absl::StrCat(n));
    }
  }
  Header(out, "samrad_grpc_errors_total", "counter",
         "gRPC calls finished with a status other than OK, by method and status code.");
  out += errors;
  Header(out, "samrad_grpc_call_duration_seconds", "histogram",
         "Time from a call reaching the relay to its status being sent, by method.");
  for (const MethodStats* stats : all) {
    if (stats->latency.Count() == 0) continue;
    stats->latency.Render("samrad_grpc_call_duration_seconds", Label("method", stats->label) + ",",
                          out);
  }
  Header(out, "samrad_open_streams", "gauge",
         "Streaming calls in progress (WatchQueue, WatchThread, health Watch), by caller role.");
  for (size_t role = 0; role < 4; ++role) {
    Sample(out, "samrad_open_streams", Label("role", kRoles[role]),
           absl::StrCat(open_streams_[role].load(std::memory_order_relaxed)));
  }
  Header(out, "samrad_store_commit_group_size", "histogram",
         "Writes per store commit group (one synced RocksDB write each).");
  group_size_.Render("samrad_store_commit_group_size", "", out);
  Header(out, "samrad_store_commit_fsync_seconds", "histogram",
         "Time of each commit group's synced write (WAL append and fsync).");
  group_write_.Render("samrad_store_commit_fsync_seconds", "", out);
  if (v.store_size_known) {
    Header(out, "samrad_store_size_bytes", "gauge",
           "Size of the store's files on disk (data_dir).");
    Sample(out, "samrad_store_size_bytes", "", absl::StrCat(v.store_size_bytes));
  }
  if (v.has_directory) {
    Header(out, "samrad_directory_epoch", "gauge", "Epoch of the key directory the relay serves.");
    Sample(out, "samrad_directory_epoch", "", absl::StrCat(v.directory_epoch));
    Header(out, "samrad_directory_age_seconds", "gauge",
           "Seconds since the served key directory was signed (its issued_at).");
    Sample(out, "samrad_directory_age_seconds", "",
           absl::StrCat((v.now_unix_ms - v.directory_issued_unix_ms) / 1000));
    Header(out, "samrad_directory_expiry_timestamp_seconds", "gauge",
           "When the served key directory expires (its not_after), Unix seconds.");
    Sample(out, "samrad_directory_expiry_timestamp_seconds", "",
           absl::StrCat(v.directory_not_after_unix_ms / 1000));
  }
  if (v.certificate_known) {
    Header(out, "samrad_tls_certificate_expiry_timestamp_seconds", "gauge",
           "When the relay's own TLS certificate (the one it serves now) expires, Unix seconds.");
    Sample(out, "samrad_tls_certificate_expiry_timestamp_seconds", "",
           absl::StrCat(v.certificate_not_after_unix_s));
  }
  return out;
}

}  // namespace samrad::server
