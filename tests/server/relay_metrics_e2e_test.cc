// The relay's Prometheus endpoint (issue 18 item 5, server/metrics.h), of a
// real samrad-relay process (tests/client/cli_relay_fixture.h: real PKI, real
// mTLS on 127.0.0.1, real RocksDB): after real calls from the samrad CLI and
// a gRPC stub, a plain HTTP GET of /metrics (a small socket client below)
// must parse strictly as text format 0.0.4 and hold the expected series and
// counts, and no label value may be a certificate serial, a thread
// reference or a person's id. A relay whose metrics address is busy, or not
// loopback, must refuse to start with a message naming it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/file_util.h"
#include "common/version.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/relay.grpc.pb.h"
#include "server/metrics.h"
#include "server/metrics_http.h"
#include "tests/client/cli_relay_fixture.h"

namespace samrad::server {
namespace {

using client::testing::ProcessResult;
using client::testing::RunProcess;

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// GET `path` from 127.0.0.1:`port` with HTTP/1.0 (the server closes after
// the answer); status 0 when the exchange fails.
HttpResponse HttpGet(int port, const std::string& path) {
  HttpResponse response;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return response;
  timeval timeout = {30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n");
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[8192];
      ssize_t n;
      while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) raw.append(buffer, n);
    }
  }
  ::close(fd);
  const size_t end_of_headers = raw.find("\r\n\r\n");
  if (end_of_headers == std::string::npos) return response;
  const std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end_of_headers), "\r\n");
  const std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &response.status)) {
    return response;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    if (absl::AsciiStrToLower(lines[i].substr(0, colon)) == "content-type") {
      response.content_type = std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
  }
  response.body = raw.substr(end_of_headers + 4);
  return response;
}

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A strict parse of text format 0.0.4: every line is `# HELP NAME TEXT`,
// `# TYPE NAME TYPE` or `NAME{LABELS} VALUE`; no blank lines; every sample's
// family has one TYPE before it. Failures are added to `errors`.
std::vector<Sample> ParseExposition(const std::string& body, std::vector<std::string>& errors) {
  static const std::regex kHelp(R"re(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)re");
  static const std::regex kType(
      R"re(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))re");
  // One label: NAME="VALUE" with \\, \" and \n the only escapes.
  static const std::string kLabelText = R"re([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")re";
  static const std::regex kSample("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(" + kLabelText + "(?:," +
                                  kLabelText + ")*)\\})? (\\S+)");
  static const std::regex kLabel(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)")re");
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;
  if (body.empty() || body.back() != '\n') errors.push_back("the body does not end with a newline");
  const std::vector<std::string> lines = absl::StrSplit(body, '\n');
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::smatch match;
    if (std::regex_match(line, match, kHelp)) continue;
    if (std::regex_match(line, match, kType)) {
      if (!types.emplace(match[1].str(), match[2].str()).second) {
        errors.push_back("second TYPE for " + match[1].str());
      }
      continue;
    }
    if (!std::regex_match(line, match, kSample)) {
      errors.push_back("not a comment or sample: '" + line + "'");
      continue;
    }
    Sample sample;
    sample.name = match[1].str();
    const std::string value = match[4].str();
    if (value == "+Inf") {
      sample.value = INFINITY;
    } else if (!absl::SimpleAtod(value, &sample.value)) {
      errors.push_back("not a number: '" + line + "'");
      continue;
    }
    const std::string labels = match[3].str();
    for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
      if (!sample.labels.emplace((*it)[1].str(), (*it)[2].str()).second) {
        errors.push_back("repeated label in '" + line + "'");
      }
    }
    std::string family = sample.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (absl::EndsWith(family, suffix) && types.count(family) == 0) {
        family.resize(family.size() - std::string(suffix).size());
        if (types.count(family) && types[family] != "histogram") family = sample.name;
      }
    }
    if (types.count(family) == 0) errors.push_back("sample before its TYPE: '" + line + "'");
    samples.push_back(std::move(sample));
  }
  return samples;
}

class RelayMetricsTest : public client::testing::CliRelayTest {
 protected:
  static constexpr char kMetricsOnAnyPort[] = "metrics_address: \"127.0.0.1:0\"\n";

  // The metrics port the relay logged.
  int MetricsPort() {
    std::smatch match;
    const std::string log = RelayLog();
    int port = 0;
    if (std::regex_search(log, match, std::regex("metrics_port=([0-9]+)"))) {
      EXPECT_TRUE(absl::SimpleAtoi(match[1].str(), &port));
    }
    return port;
  }

  std::vector<Sample> Scrape() {
    const HttpResponse response = HttpGet(MetricsPort(), "/metrics");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
    std::vector<std::string> errors;
    std::vector<Sample> samples = ParseExposition(response.body, errors);
    EXPECT_TRUE(errors.empty()) << absl::StrJoin(errors, "\n") << "\n" << response.body;
    last_body_ = response.body;
    return samples;
  }

  // The value of the one sample `name` with exactly `labels`; -1 when absent.
  static double Value(const std::vector<Sample>& samples, const std::string& name,
                      const std::map<std::string, std::string>& labels = {}) {
    for (const Sample& sample : samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
    return -1;
  }

  std::unique_ptr<v1::Relay::Stub> RelayStub(const std::string& certificate) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = client::ReadFileToString(pki() + "/ca.crt").value_or("");
    ssl.pem_cert_chain = client::ReadFileToString(pki() + "/" + certificate + ".crt").value_or("");
    ssl.pem_private_key = client::ReadFileToString(pki() + "/" + certificate + ".key").value_or("");
    return v1::Relay::NewStub(
        grpc::CreateChannel("127.0.0.1:" + port(), grpc::SslCredentials(ssl)));
  }

  std::string Serial(const std::string& certificate) {
    ProcessResult r = RunProcess(
        {"/bin/bash", kSource + "/certs/samrad-pki.sh", "--dir", pki(), "serial", certificate}, {},
        dir().path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(absl::StripAsciiWhitespace(r.out));
  }

  // notAfter of a PEM certificate, Unix seconds, by openssl and date.
  int64_t NotAfter(const std::string& certificate_file) {
    ProcessResult end =
        RunProcess({"/usr/bin/openssl", "x509", "-in", certificate_file, "-noout", "-enddate"}, {},
                   dir().path());
    EXPECT_EQ(end.exit_code, 0) << end.err;
    const std::string when =
        std::string(absl::StripAsciiWhitespace(absl::StripPrefix(end.out, "notAfter=")));
    ProcessResult seconds = RunProcess({"/bin/date", "-u", "-d", when, "+%s"}, {}, dir().path());
    int64_t value = 0;
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(seconds.out), &value)) << seconds.err;
    return value;
  }

  std::string last_body_;
};

TEST_F(RelayMetricsTest, AScrapeParsesAndCountsCallsStreamsCommitsWithoutIdentifyingLabels) {
  const int64_t test_start = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  ASSERT_NO_FATAL_FAILURE(StartDeployment({.extra_config = kMetricsOnAnyPort}));
  ASSERT_GT(MetricsPort(), 0) << RelayLog();
  EXPECT_TRUE(absl::StrContains(RelayLog(), "event=metrics_started")) << RelayLog();

  // A consultation (SubmitConsultation, a commit group) and the queue.
  ProcessResult asked = Ask("Hur stödjer vi en elev som är orolig?\n");
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  const std::string reference = Reference(asked.out);
  ASSERT_FALSE(reference.empty()) << asked.out;
  ASSERT_EQ(Samrad("adviser", {"queue"}).exit_code, 0);

  // Two refused calls, whatever code the relay gives an empty thread id.
  auto adviser = RelayStub("adviser-rc-kronoberg-a-1");
  grpc::StatusCode refused_code = grpc::StatusCode::OK;
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::ThreadView view;
    const grpc::Status status = adviser->GetThread(&context, v1::GetThreadRequest(), &view);
    ASSERT_FALSE(status.ok());
    refused_code = status.error_code();
  }
  const std::string refused_name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(refused_code));

  // An adviser's queue stream is open while we scrape.
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto watch = adviser->WatchQueue(&watch_context, v1::WatchQueueRequest());
  std::vector<Sample> samples;
  for (int i = 0; i < 200; ++i) {
    samples = Scrape();
    if (Value(samples, "samrad_open_streams", {{"role", "adviser"}}) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(HasFailure()) << last_body_;

  EXPECT_EQ(Value(samples, "samrad_open_streams", {{"role", "adviser"}}), 1) << last_body_;
  EXPECT_EQ(Value(samples, "samrad_open_streams", {{"role", "professional"}}), 0) << last_body_;
  EXPECT_EQ(Value(samples, "samrad_open_streams", {{"role", "admin"}}), 0) << last_body_;
  const std::string submit = "samrad.v1.Relay/SubmitConsultation";
  EXPECT_EQ(Value(samples, "samrad_grpc_calls_total", {{"method", submit}, {"code", "OK"}}), 1)
      << last_body_;
  EXPECT_EQ(Value(samples, "samrad_grpc_calls_total",
                  {{"method", "samrad.v1.Relay/PublishDirectory"}, {"code", "OK"}}),
            1)
      << last_body_;
  EXPECT_GE(Value(samples, "samrad_grpc_calls_total",
                  {{"method", "samrad.v1.Relay/ListQueue"}, {"code", "OK"}}),
            1)
      << last_body_;
  const std::map<std::string, std::string> refused = {{"method", "samrad.v1.Relay/GetThread"},
                                                      {"code", refused_name}};
  EXPECT_EQ(Value(samples, "samrad_grpc_calls_total", refused), 2) << last_body_;
  EXPECT_EQ(Value(samples, "samrad_grpc_errors_total", refused), 2) << last_body_;
  EXPECT_EQ(Value(samples, "samrad_grpc_errors_total", {{"method", submit}, {"code", "OK"}}), -1)
      << "OK is not an error";

  // The latency histogram of SubmitConsultation: one call, cumulative buckets.
  EXPECT_EQ(Value(samples, "samrad_grpc_call_duration_seconds_count", {{"method", submit}}), 1);
  EXPECT_EQ(Value(samples, "samrad_grpc_call_duration_seconds_bucket",
                  {{"method", submit}, {"le", "+Inf"}}),
            1);
  double previous = 0;
  int buckets = 0;
  for (const Sample& sample : samples) {
    if (sample.name != "samrad_grpc_call_duration_seconds_bucket" ||
        sample.labels.at("method") != submit) {
      continue;
    }
    EXPECT_GE(sample.value, previous) << "buckets must be cumulative";
    previous = sample.value;
    ++buckets;
  }
  EXPECT_GE(buckets, 10);
  EXPECT_GT(Value(samples, "samrad_grpc_call_duration_seconds_sum", {{"method", submit}}), 0);

  // Commit groups: at least the directory and the consultation, each timed.
  const double groups = Value(samples, "samrad_store_commit_group_size_count");
  EXPECT_GE(groups, 2) << last_body_;
  EXPECT_EQ(Value(samples, "samrad_store_commit_fsync_seconds_count"), groups);
  EXPECT_GE(Value(samples, "samrad_store_commit_group_size_sum"), groups);
  EXPECT_GT(Value(samples, "samrad_store_commit_fsync_seconds_sum"), 0);

  EXPECT_GT(Value(samples, "samrad_store_size_bytes"), 4096) << last_body_;
  EXPECT_EQ(Value(samples, "samrad_directory_epoch"), 1) << last_body_;
  const double age = Value(samples, "samrad_directory_age_seconds");
  EXPECT_GE(age, 0);
  EXPECT_LT(age, 3600);
  EXPECT_GT(Value(samples, "samrad_directory_expiry_timestamp_seconds"), test_start);
  EXPECT_EQ(Value(samples, "samrad_tls_certificate_expiry_timestamp_seconds"),
            static_cast<double>(NotAfter(pki() + "/relay.crt")))
      << last_body_;
  const double started = Value(samples, "process_start_time_seconds");
  EXPECT_GE(started, test_start - 1);
  EXPECT_LE(started, test_start + 600);
  bool build_info = false;
  for (const Sample& sample : samples) {
    if (sample.name != "samrad_build_info") continue;
    build_info = true;
    EXPECT_EQ(sample.value, 1);
    EXPECT_EQ(sample.labels.at("version"), SAMRAD_VERSION_STRING);
    EXPECT_FALSE(sample.labels.at("commit").empty());
  }
  EXPECT_TRUE(build_info) << last_body_;

  // No label links a person to a case: only these keys, and no value is a
  // serial, the thread's reference, or a person's certificate id.
  std::vector<std::string> forbidden = {reference};
  for (const char* certificate : {"admin-national-ops-1", "adviser-rc-kronoberg-a-1",
                                  "adviser-rc-kronoberg-a-2", "professional-07-p-1"}) {
    const std::string serial = Serial(certificate);
    ASSERT_FALSE(serial.empty());
    forbidden.push_back(serial);
    forbidden.push_back(certificate);
  }
  forbidden.push_back(Serial("relay"));
  const std::set<std::string> exact_forbidden = {"07",    "p-1",          "a-1",     "a-2",
                                                 "ops-1", "rc-kronoberg", "national"};
  const std::set<std::string> allowed_keys = {"method", "code", "role", "le", "version", "commit"};
  const std::regex method_pattern(R"([a-z0-9.]+\.[A-Za-z]+/[A-Za-z]+|other)");
  for (const Sample& sample : samples) {
    for (const auto& [key, value] : sample.labels) {
      EXPECT_TRUE(allowed_keys.count(key)) << key << " in " << sample.name;
      if (key == "method") {
        EXPECT_TRUE(std::regex_match(value, method_pattern)) << value;
      }
      EXPECT_FALSE(exact_forbidden.count(value)) << sample.name << " " << key << "=" << value;
      for (const std::string& bad : forbidden) {
        EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(value), absl::AsciiStrToLower(bad)))
            << sample.name << " " << key << "=" << value << " holds " << bad;
      }
    }
  }
  for (const std::string& bad : forbidden) {
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(last_body_), absl::AsciiStrToLower(bad)))
        << bad;
  }

  // The stream ends: the gauge goes back to 0.
  watch_context.TryCancel();
  v1::QueueEvent event;
  while (watch->Read(&event)) {
  }
  watch->Finish().IgnoreError();
  double open = -1;
  for (int i = 0; i < 200; ++i) {
    open = Value(Scrape(), "samrad_open_streams", {{"role", "adviser"}});
    if (open == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(open, 0) << last_body_;

  // Anything but GET /metrics is refused.
  EXPECT_EQ(HttpGet(MetricsPort(), "/").status, 404);
  EXPECT_EQ(HttpGet(MetricsPort(), "/metrics/../secret").status, 404);
}

// A relay config for a second start on the deployment's data directory (the
// first relay stopped), with `metrics` lines added and gRPC on any port.
std::string ConfigWith(const std::string& base, const std::string& metrics) {
  std::string config = std::regex_replace(base, std::regex("listen_address: \"[^\"]*\""),
                                          "listen_address: \"127.0.0.1:0\"");
  config = std::regex_replace(config, std::regex("metrics_address: \"[^\"]*\"\n"), "");
  return config + metrics;
}

TEST_F(RelayMetricsTest, RefusesToStartWhenTheMetricsAddressIsBusyOrNotLoopback) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  EXPECT_FALSE(absl::StrContains(RelayLog(), "event=metrics_started"))
      << "no metrics_address, no endpoint: " << RelayLog();
  ASSERT_EQ(StopRelay(SIGTERM), 0) << RelayLog();
  const std::string base = client::ReadFileToString(dir().File("relay.textproto")).value_or("");
  ASSERT_FALSE(base.empty());

  // Another process listens on the port.
  const int busy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(busy, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(busy, 4), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(busy, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string busy_address = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  const std::string config_file = dir().File("busy.textproto");
  ASSERT_TRUE(
      client::WriteFileAtomically(
          config_file, ConfigWith(base, absl::StrCat("metrics_address: \"", busy_address, "\"\n")))
          .ok());
  ProcessResult refused = RunProcess({kRelay, "serve", "--config", config_file}, {}, dir().path(),
                                     "", std::chrono::seconds(120));
  ::close(busy);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "cannot listen on metrics_address " + busy_address))
      << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "Address already in use")) << refused.err;
  EXPECT_FALSE(absl::StrContains(refused.err, "event=relay_started")) << refused.err;

  // A non-loopback address needs metrics_allow_non_loopback.
  const std::string open_file = dir().File("open.textproto");
  ASSERT_TRUE(
      client::WriteFileAtomically(open_file, ConfigWith(base, "metrics_address: \"0.0.0.0:0\"\n"))
          .ok());
  ProcessResult open = RunProcess({kRelay, "serve", "--config", open_file}, {}, dir().path(), "",
                                  std::chrono::seconds(120));
  EXPECT_EQ(open.exit_code, 1) << open.err;
  EXPECT_TRUE(absl::StrContains(open.err, "is not a loopback address")) << open.err;
  EXPECT_TRUE(absl::StrContains(open.err, "metrics_allow_non_loopback")) << open.err;
  EXPECT_FALSE(absl::StrContains(open.err, "event=relay_started")) << open.err;
}

TEST(MetricsAddressTest, LoopbackOnlyUnlessAllowedAndPortsInRange) {
  EXPECT_TRUE(ParseMetricsAddress("127.0.0.1:9464", false).ok());
  EXPECT_TRUE(ParseMetricsAddress("127.0.0.2:0", false).ok());
  EXPECT_TRUE(ParseMetricsAddress("localhost:9464", false).ok());
  EXPECT_TRUE(ParseMetricsAddress("[::1]:9464", false).ok());
  for (const char* open : {"0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464"}) {
    absl::StatusOr<MetricsEndpoint> refused = ParseMetricsAddress(open, false);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << open;
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "metrics_allow_non_loopback"));
    EXPECT_TRUE(ParseMetricsAddress(open, true).ok()) << open;
  }
  for (const char* bad : {"127.0.0.1", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:x",
                          "prometheus.example:9464", "::1:9464", "[::1]9464"}) {
    absl::StatusOr<MetricsEndpoint> refused = ParseMetricsAddress(bad, true);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "metrics_address")) << bad;
  }
}

TEST(FixedHistogramTest, CountsEveryObservationFromManyThreadsInCumulativeBuckets) {
  FixedHistogram histogram({1, 10, 100}, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&histogram] {
      for (uint64_t i = 0; i < 20000; ++i) histogram.Observe(i % 200);  // 0..199
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::string out;
  histogram.Render("h", "", out);
  // Per 200 values: 2 are <= 1, 11 <= 10, 101 <= 100; sum 0..199 is 19900.
  EXPECT_EQ(out,
            "h_bucket{le=\"1\"} 800\n"
            "h_bucket{le=\"10\"} 4400\n"
            "h_bucket{le=\"100\"} 40400\n"
            "h_bucket{le=\"+Inf\"} 80000\n"
            "h_sum 7960000\n"
            "h_count 80000\n");
}

}  // namespace
}  // namespace samrad::server
