#include "server/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "server/log.h"
#include "server/metrics_http.h"

namespace samrad::server {
namespace {

class CollectingErrors final : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrors(std::string source) : source_(std::move(source)) {}
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty())
      first_ = absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string source_;
  std::string first_;
};

absl::Status OutOfRange(absl::string_view field, uint64_t value, uint64_t lo, uint64_t hi) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", value, "; it must be between ", lo, " and ", hi));
}

absl::Status CheckRange(absl::string_view field, uint64_t value, uint64_t lo, uint64_t hi) {
  if (value < lo || value > hi) return OutOfRange(field, value, lo, hi);
  return absl::OkStatus();
}

}  // namespace

absl::Status OpenError(absl::string_view what, const std::string& path, int error_number) {
  if (error_number == EACCES || error_number == EPERM) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " ", path, ": permission denied for user ", CurrentUserName(),
                     "; give that user read access (e.g. chown ", CurrentUserName(), " ", path,
                     ", and search permission on every parent directory)"));
  }
  if (error_number == ENOENT || error_number == ENOTDIR) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, " does not exist"));
  }
  return absl::NotFoundError(
      absl::StrCat(what, " ", path, " cannot be read: ", std::strerror(error_number)));
}

std::string CurrentUserName() {
  const struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? std::string(pw->pw_name) : absl::StrCat("uid ", ::geteuid());
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return OpenError("file", path, errno);
  struct stat st = {};
  if (::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "a device";
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is ", kind, ", not a regular file; point to the file itself (or replace ", path,
        " with one)"));
  }
  std::string contents;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error_number = errno;
      ::close(fd);
      return absl::DataLossError(
          absl::StrCat("error reading ", path, ": ", std::strerror(error_number)));
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return contents;
}

absl::StatusOr<v1::RelayConfig> ParseRelayConfigText(const std::string& text,
                                                     const std::string& source_name) {
  v1::RelayConfig config;
  google::protobuf::TextFormat::Parser parser;
  CollectingErrors errors(source_name);
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(
        errors.first().empty() ? absl::StrCat(source_name, ": not a RelayConfig") : errors.first());
  }
  return config;
}

absl::StatusOr<v1::RelayConfig> ParseRelayConfigFile(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    // Keeps the cause (permission or absence) and names the file as the config.
    return absl::Status(text.status().code(),
                        absl::StrCat("configuration file: ", text.status().message()));
  }
  return ParseRelayConfigText(*text, path);
}

absl::Status FinalizeConfig(v1::RelayConfig& c) {
  if (c.listen_address().empty()) c.set_listen_address("127.0.0.1:7443");
  if (c.listen_address().find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen_address \"", c.listen_address(), "\" must be HOST:PORT"));
  }
  auto& tls = *c.mutable_tls();
  if (tls.cert_file().empty()) return absl::InvalidArgumentError("tls.cert_file is required");
  if (tls.key_file().empty()) return absl::InvalidArgumentError("tls.key_file is required");
  if (tls.client_ca_file().empty()) {
    return absl::InvalidArgumentError("tls.client_ca_file is required");
  }
  if (tls.refresh_interval_seconds() == 0) tls.set_refresh_interval_seconds(60);
  if (auto s = CheckRange("tls.refresh_interval_seconds", tls.refresh_interval_seconds(), 1, 86400);
      !s.ok()) {
    return s;
  }
  if (c.data_dir().empty()) return absl::InvalidArgumentError("data_dir is required");
  if (int{!c.kek_file().empty()} + int{!c.kek_env().empty()} + int{!c.kek_credential().empty()} !=
      1) {
    return absl::InvalidArgumentError(
        "exactly one of kek_file, kek_env and kek_credential must be set (the key-encryption "
        "key)");
  }
  if (!c.kek_credential().empty() && c.kek_credential().find_first_of("/\\") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("kek_credential \"", c.kek_credential(),
                     "\" must be a credential name (as in LoadCredential=NAME:PATH), not a path"));
  }
  if (c.log_level().empty()) c.set_log_level("info");
  if (auto level = ParseLogLevel(c.log_level()); !level.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("log_level: ", level.status().message()));
  }
  if (c.directory_public_key_file().empty()) {
    return absl::InvalidArgumentError("directory_public_key_file is required");
  }
  if (!c.metrics_address().empty()) {
    auto endpoint = ParseMetricsAddress(c.metrics_address(), c.metrics_allow_non_loopback());
    if (!endpoint.ok()) return endpoint.status();
  }

  auto& limits = *c.mutable_limits();
  if (limits.max_envelope_bytes() == 0) limits.set_max_envelope_bytes(256 * 1024);
  if (auto s = CheckRange("limits.max_envelope_bytes", limits.max_envelope_bytes(), 1024,
                          2 * 1024 * 1024);
      !s.ok()) {
    return s;
  }
  if (limits.rate_per_second() == 0) limits.set_rate_per_second(20);
  if (!(limits.rate_per_second() > 0 && limits.rate_per_second() <= 1e6)) {
    return absl::InvalidArgumentError(absl::StrCat("limits.rate_per_second is ",
                                                   limits.rate_per_second(),
                                                   "; it must be above 0 and at most 1000000"));
  }
  if (limits.rate_burst() == 0) limits.set_rate_burst(60);
  if (auto s = CheckRange("limits.rate_burst", limits.rate_burst(), 1, 1000000); !s.ok()) return s;
  if (limits.max_concurrent_streams() == 0) limits.set_max_concurrent_streams(256);
  if (auto s =
          CheckRange("limits.max_concurrent_streams", limits.max_concurrent_streams(), 1, 100000);
      !s.ok()) {
    return s;
  }
  if (limits.max_streams_per_identity() == 0) limits.set_max_streams_per_identity(8);
  if (auto s = CheckRange("limits.max_streams_per_identity", limits.max_streams_per_identity(), 1,
                          limits.max_concurrent_streams());
      !s.ok()) {
    return s;
  }
  if (limits.proof_window_seconds() == 0) limits.set_proof_window_seconds(120);
  if (auto s = CheckRange("limits.proof_window_seconds", limits.proof_window_seconds(), 5, 3600);
      !s.ok()) {
    return s;
  }
  if (limits.max_grpc_message_bytes() == 0) {
    limits.set_max_grpc_message_bytes(std::min<uint64_t>(
        64u << 20, std::max<uint64_t>(4u << 20, uint64_t{limits.max_envelope_bytes()} * 64)));
  }
  if (auto s = CheckRange("limits.max_grpc_message_bytes", limits.max_grpc_message_bytes(),
                          limits.max_envelope_bytes() + 4096, 64u << 20);
      !s.ok()) {
    return s;
  }
  if (limits.grpc_memory_quota_bytes() == 0) limits.set_grpc_memory_quota_bytes(512ull << 20);
  if (auto s = CheckRange("limits.grpc_memory_quota_bytes", limits.grpc_memory_quota_bytes(),
                          64ull << 20, 16ull << 30);
      !s.ok()) {
    return s;
  }
  if (limits.max_messages_per_read() == 0) limits.set_max_messages_per_read(500);
  if (auto s = CheckRange("limits.max_messages_per_read", limits.max_messages_per_read(), 1, 10000);
      !s.ok()) {
    return s;
  }
  if (limits.max_read_bytes() == 0) {
    limits.set_max_read_bytes(std::min<uint32_t>(4u << 20, limits.max_grpc_message_bytes() / 2));
  }
  if (auto s = CheckRange("limits.max_read_bytes", limits.max_read_bytes(),
                          limits.max_envelope_bytes(), limits.max_grpc_message_bytes() / 2);
      !s.ok()) {
    return s;
  }
  if (limits.stream_memory_bytes() == 0) limits.set_stream_memory_bytes(256ull << 20);
  if (auto s = CheckRange("limits.stream_memory_bytes", limits.stream_memory_bytes(), 16ull << 20,
                          16ull << 30);
      !s.ok()) {
    return s;
  }
  if (!limits.has_adviser_stream_reserve_percent()) limits.set_adviser_stream_reserve_percent(50);
  if (auto s = CheckRange("limits.adviser_stream_reserve_percent",
                          limits.adviser_stream_reserve_percent(), 0, 90);
      !s.ok()) {
    return s;
  }
  if (limits.max_stream_queue_bytes() == 0) limits.set_max_stream_queue_bytes(8u << 20);
  if (auto s = CheckRange("limits.max_stream_queue_bytes", limits.max_stream_queue_bytes(),
                          limits.max_envelope_bytes(), limits.stream_memory_bytes());
      !s.ok()) {
    return s;
  }

  auto& keepalive = *c.mutable_keepalive();
  if (keepalive.time_seconds() == 0) keepalive.set_time_seconds(30);
  if (keepalive.timeout_seconds() == 0) keepalive.set_timeout_seconds(10);
  if (keepalive.min_client_ping_interval_seconds() == 0) {
    keepalive.set_min_client_ping_interval_seconds(10);
  }
  if (auto s = CheckRange("keepalive.time_seconds", keepalive.time_seconds(), 1, 86400); !s.ok()) {
    return s;
  }
  if (auto s = CheckRange("keepalive.timeout_seconds", keepalive.timeout_seconds(), 1, 3600);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckRange("keepalive.min_client_ping_interval_seconds",
                          keepalive.min_client_ping_interval_seconds(), 1, 86400);
      !s.ok()) {
    return s;
  }

  auto& retention = *c.mutable_retention();
  // Absent means the default; a present 0 is refused below (CheckRange), so a
  // typo never silently becomes 90 days.
  if (!retention.has_closed_days()) retention.set_closed_days(90);
  if (!retention.has_inactive_days()) retention.set_inactive_days(30);
  if (auto s = CheckRange("retention.closed_days", retention.closed_days(), 1, 3650); !s.ok()) {
    return s;
  }
  if (auto s = CheckRange("retention.inactive_days", retention.inactive_days(), 1, 3650); !s.ok()) {
    return s;
  }
  if (retention.sweep_interval_seconds() == 0) retention.set_sweep_interval_seconds(3600);
  if (auto s = CheckRange("retention.sweep_interval_seconds", retention.sweep_interval_seconds(), 1,
                          604800);
      !s.ok()) {
    return s;
  }

  // Absent means the default; a present 0 is refused (it would delete the
  // backup just taken).
  if (!c.has_backup_keep()) c.set_backup_keep(7);
  if (auto s = CheckRange("backup_keep", c.backup_keep(), 1, 1000); !s.ok()) return s;

  auto& storage = *c.mutable_storage();
  if (storage.block_cache_bytes() == 0) storage.set_block_cache_bytes(128u << 20);
  if (storage.write_buffer_bytes() == 0) storage.set_write_buffer_bytes(16u << 20);
  if (storage.max_write_buffer_number() == 0) storage.set_max_write_buffer_number(2);
  if (auto s = CheckRange("storage.block_cache_bytes", storage.block_cache_bytes(), 1u << 20,
                          uint64_t{64} << 30);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckRange("storage.write_buffer_bytes", storage.write_buffer_bytes(), 1u << 20,
                          uint64_t{4} << 30);
      !s.ok()) {
    return s;
  }
  if (storage.max_write_buffer_number() < 1 || storage.max_write_buffer_number() > 16) {
    return OutOfRange("storage.max_write_buffer_number",
                      static_cast<uint64_t>(storage.max_write_buffer_number()), 1, 16);
  }

  if (c.shutdown_grace_seconds() == 0) c.set_shutdown_grace_seconds(10);
  return CheckRange("shutdown_grace_seconds", c.shutdown_grace_seconds(), 1, 300);
}

absl::StatusOr<std::string> LoadPublicKeyFile(const std::string& path) {
  auto contents = ReadFileToString(path);
  if (!contents.ok()) {
    return absl::Status(contents.status().code(),
                        absl::StrCat("directory public key file: ", contents.status().message()));
  }
  if (contents->size() == 32) return *contents;
  absl::string_view hex = absl::StripAsciiWhitespace(*contents);
  if (hex.size() == 64) {
    bool all_hex = true;
    for (char ch : hex) all_hex = all_hex && absl::ascii_isxdigit(ch);
    if (all_hex) return absl::HexStringToBytes(hex);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("directory public key file ", path,
                   " must hold the Ed25519 public key as 32 raw bytes or 64 hex characters"));
}

}  // namespace samrad::server
