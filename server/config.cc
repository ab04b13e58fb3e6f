#include "server/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
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

namespace {

// Sets a field left at 0 (unset) to `fallback`, then requires it in
// [lo, hi]: INVALID_ARGUMENT naming `field` otherwise.
template <typename Message, typename Value>
absl::Status DefaultedInRange(absl::string_view field, Message& message,
                              Value (Message::*get)() const, void (Message::*set)(Value),
                              std::type_identity_t<Value> fallback, uint64_t lo, uint64_t hi) {
  if ((message.*get)() == 0) (message.*set)(fallback);
  return CheckRange(field, static_cast<uint64_t>((message.*get)()), lo, hi);
}

absl::Status FinalizeEndpointsAndKeys(v1::RelayConfig& c) {
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
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange(
      "tls.refresh_interval_seconds", tls, &v1::TlsConfig::refresh_interval_seconds,
      &v1::TlsConfig::set_refresh_interval_seconds, 60, 1, 86400));
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
  return absl::OkStatus();
}

absl::Status FinalizeLimits(v1::LimitsConfig& limits) {
  using L = v1::LimitsConfig;
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("limits.max_envelope_bytes", limits,
                                          &L::max_envelope_bytes, &L::set_max_envelope_bytes,
                                          256 * 1024, 1024, 2 * 1024 * 1024));
  if (limits.rate_per_second() == 0) limits.set_rate_per_second(20);
  if (!(limits.rate_per_second() > 0 && limits.rate_per_second() <= 1e6)) {
    return absl::InvalidArgumentError(absl::StrCat("limits.rate_per_second is ",
                                                   limits.rate_per_second(),
                                                   "; it must be above 0 and at most 1000000"));
  }
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("limits.rate_burst", limits, &L::rate_burst,
                                          &L::set_rate_burst, 60, 1, 1000000));
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("limits.max_concurrent_streams", limits,
                                          &L::max_concurrent_streams,
                                          &L::set_max_concurrent_streams, 256, 1, 100000));
  SAMRAD_RETURN_IF_ERROR(
      DefaultedInRange("limits.max_streams_per_identity", limits, &L::max_streams_per_identity,
                       &L::set_max_streams_per_identity, 8, 1, limits.max_concurrent_streams()));
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("limits.proof_window_seconds", limits,
                                          &L::proof_window_seconds, &L::set_proof_window_seconds,
                                          120, 5, 3600));
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange(
      "limits.max_grpc_message_bytes", limits, &L::max_grpc_message_bytes,
      &L::set_max_grpc_message_bytes,
      std::min<uint64_t>(64u << 20,
                         std::max<uint64_t>(4u << 20, uint64_t{limits.max_envelope_bytes()} * 64)),
      limits.max_envelope_bytes() + 4096, 64u << 20));
  SAMRAD_RETURN_IF_ERROR(
      DefaultedInRange("limits.grpc_memory_quota_bytes", limits, &L::grpc_memory_quota_bytes,
                       &L::set_grpc_memory_quota_bytes, 512ull << 20, 64ull << 20, 16ull << 30));
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("limits.max_messages_per_read", limits,
                                          &L::max_messages_per_read, &L::set_max_messages_per_read,
                                          500, 1, 10000));
  SAMRAD_RETURN_IF_ERROR(
      DefaultedInRange("limits.max_read_bytes", limits, &L::max_read_bytes, &L::set_max_read_bytes,
                       std::min<uint32_t>(4u << 20, limits.max_grpc_message_bytes() / 2),
                       limits.max_envelope_bytes(), limits.max_grpc_message_bytes() / 2));
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("limits.stream_memory_bytes", limits,
                                          &L::stream_memory_bytes, &L::set_stream_memory_bytes,
                                          256ull << 20, 16ull << 20, 16ull << 30));
  if (!limits.has_adviser_stream_reserve_percent()) limits.set_adviser_stream_reserve_percent(50);
  SAMRAD_RETURN_IF_ERROR(CheckRange("limits.adviser_stream_reserve_percent",
                                    limits.adviser_stream_reserve_percent(), 0, 90));
  return DefaultedInRange("limits.max_stream_queue_bytes", limits, &L::max_stream_queue_bytes,
                          &L::set_max_stream_queue_bytes, 8u << 20, limits.max_envelope_bytes(),
                          limits.stream_memory_bytes());
}

absl::Status FinalizeKeepalive(v1::KeepaliveConfig& keepalive) {
  using K = v1::KeepaliveConfig;
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("keepalive.time_seconds", keepalive, &K::time_seconds,
                                          &K::set_time_seconds, 30, 1, 86400));
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("keepalive.timeout_seconds", keepalive,
                                          &K::timeout_seconds, &K::set_timeout_seconds, 10, 1,
                                          3600));
  return DefaultedInRange("keepalive.min_client_ping_interval_seconds", keepalive,
                          &K::min_client_ping_interval_seconds,
                          &K::set_min_client_ping_interval_seconds, 10, 1, 86400);
}

absl::Status FinalizeRetention(v1::RetentionConfig& retention) {
  // Absent means the default; a present 0 is refused below (CheckRange), so a
  // typo never silently becomes 90 days.
  if (!retention.has_closed_days()) retention.set_closed_days(90);
  if (!retention.has_inactive_days()) retention.set_inactive_days(30);
  SAMRAD_RETURN_IF_ERROR(CheckRange("retention.closed_days", retention.closed_days(), 1, 3650));
  SAMRAD_RETURN_IF_ERROR(CheckRange("retention.inactive_days", retention.inactive_days(), 1, 3650));
  return DefaultedInRange("retention.sweep_interval_seconds", retention,
                          &v1::RetentionConfig::sweep_interval_seconds,
                          &v1::RetentionConfig::set_sweep_interval_seconds, 3600, 1, 604800);
}

absl::Status FinalizeStorage(v1::StorageConfig& storage) {
  using S = v1::StorageConfig;
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("storage.block_cache_bytes", storage,
                                          &S::block_cache_bytes, &S::set_block_cache_bytes,
                                          128u << 20, 1u << 20, uint64_t{64} << 30));
  SAMRAD_RETURN_IF_ERROR(DefaultedInRange("storage.write_buffer_bytes", storage,
                                          &S::write_buffer_bytes, &S::set_write_buffer_bytes,
                                          16u << 20, 1u << 20, uint64_t{4} << 30));
  if (storage.max_write_buffer_number() == 0) storage.set_max_write_buffer_number(2);
  if (storage.max_write_buffer_number() < 1 || storage.max_write_buffer_number() > 16) {
    return OutOfRange("storage.max_write_buffer_number",
                      static_cast<uint64_t>(storage.max_write_buffer_number()), 1, 16);
  }
  return absl::OkStatus();
}

}  // namespace

// Each part sets its defaults, then refuses a value out of range naming the
// field (INVALID_ARGUMENT); the first refusal is returned.
absl::Status FinalizeConfig(v1::RelayConfig& c) {
  SAMRAD_RETURN_IF_ERROR(FinalizeEndpointsAndKeys(c));
  SAMRAD_RETURN_IF_ERROR(FinalizeLimits(*c.mutable_limits()));
  SAMRAD_RETURN_IF_ERROR(FinalizeKeepalive(*c.mutable_keepalive()));
  SAMRAD_RETURN_IF_ERROR(FinalizeRetention(*c.mutable_retention()));
  // Absent means the default; a present 0 is refused (it would delete the
  // backup just taken).
  if (!c.has_backup_keep()) c.set_backup_keep(7);
  SAMRAD_RETURN_IF_ERROR(CheckRange("backup_keep", c.backup_keep(), 1, 1000));
  SAMRAD_RETURN_IF_ERROR(FinalizeStorage(*c.mutable_storage()));
  return DefaultedInRange("shutdown_grace_seconds", c, &v1::RelayConfig::shutdown_grace_seconds,
                          &v1::RelayConfig::set_shutdown_grace_seconds, 10, 1, 300);
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
