#include "server/relay_server.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "crypto/x509.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/config.h"
#include "server/directory_health.h"
#include "server/handshake_verifier.h"
#include "server/identity.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/metrics_http.h"
#include "server/relay_service.h"
#include "server/served_key_pair.h"
#include "server/write_health.h"
#include "storage/simulated_disk.h"
#include "storage/store.h"

namespace samrad::server {
namespace {

// FAILED_PRECONDITION naming `path` and the chmod to run when a secret file
// (the KEK, the TLS private key) can be read or written by group or others.
// A missing file is left to the loader, which names it.
absl::Status CheckPrivateFile(absl::string_view field, const std::string& path) {
  struct stat st = {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return absl::OkStatus();
  if ((st.st_mode & 077) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, " ", path, " can be read by group or others (mode ",
                   absl::StrFormat("%04o", st.st_mode & 07777),
                   "); the relay refuses to use it. Run: chmod 600 ", path));
}

// FAILED_PRECONDITION naming the chmod when an existing directory is open to
// group or others. For the backup directory, which may be shared with other
// tools, the relay refuses rather than change it; one it creates is 0700.
absl::Status CheckPrivateDirectory(absl::string_view field, const std::string& path) {
  struct stat st = {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return absl::OkStatus();
  if ((st.st_mode & 077) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, " ", path, " is open to group or others (mode ",
                   absl::StrFormat("%04o", st.st_mode & 07777),
                   "); backups hold the store's only other copy. Run: chmod 700 ", path,
                   " (or give the relay a directory of its own)"));
}

// The data directory holds the store (ciphertext, but still the only copy):
// 0700. An existing directory open to group or others is tightened and logged.
absl::Status MakeDirectoryPrivate(absl::string_view field, const std::string& path) {
  struct stat st = {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return absl::OkStatus();  // made later, 0700
  if ((st.st_mode & 077) == 0) return absl::OkStatus();
  if (::chmod(path.c_str(), 0700) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(field, " ", path,
                                                    " is open to group or others and cannot be "
                                                    "changed; run: chmod 700 ",
                                                    path));
  }
  LogWarning("directory_made_private", {{"field", field}, {"path", path}});
  return absl::OkStatus();
}

// Keeps gRPC's server reflection plugin only when the config enables it.
class ReflectionOption : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    if (enabled_) return;
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
      return plugin->name() == "proto_server_reflection";
    });
  }

 private:
  const bool enabled_;
};

// The key-encryption key from whichever of kek_file, kek_env and
// kek_credential the config sets. Errors name the field, the cause and the fix.
absl::StatusOr<crypto::SecretBytes> LoadConfiguredKek(const v1::RelayConfig& config) {
  if (!config.kek_file().empty()) {
    auto kek = storage::LoadKekFile(config.kek_file());
    if (!kek.ok()) {
      return absl::Status(kek.status().code(), absl::StrCat("kek_file: ", kek.status().message()));
    }
    return kek;
  }
  if (!config.kek_env().empty()) {
    auto kek = storage::LoadKekEnv(config.kek_env());
    if (!kek.ok()) {
      return absl::Status(kek.status().code(), absl::StrCat("kek_env: ", kek.status().message()));
    }
    return kek;
  }
  const char* directory = std::getenv("CREDENTIALS_DIRECTORY");
  if (directory == nullptr || directory[0] == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        "kek_credential \"", config.kek_credential(),
        "\": $CREDENTIALS_DIRECTORY is not set, so the relay is not running under systemd with "
        "LoadCredential=; add LoadCredential=",
        config.kek_credential(), ":/etc/samrad/kek to the unit, or set kek_file instead"));
  }
  const std::string path = absl::StrCat(directory, "/", config.kek_credential());
  if (::access(path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "kek_credential \"", config.kek_credential(), "\": systemd passed no such credential (",
        path, " does not exist); check that the unit has LoadCredential=", config.kek_credential(),
        ":FILE and that FILE exists (create it with: samrad-relay gen-kek FILE)"));
  }
  auto kek = storage::LoadKekFile(path);
  if (!kek.ok()) {
    return absl::Status(kek.status().code(),
                        absl::StrCat("kek_credential: ", kek.status().message()));
  }
  return kek;
}

// The data directory must exist or be creatable, and be the relay user's to
// write. PERMISSION_DENIED or NOT_FOUND naming the path and the fix; RocksDB
// itself would report "IO error" without saying which.
absl::Status CheckDataDirectory(const std::string& path) {
  struct stat st = {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("data_dir ", path, " is not a directory; point data_dir at a directory"));
    }
    if (::access(path.c_str(), R_OK | W_OK | X_OK) != 0 && (errno == EACCES || errno == EPERM)) {
      return absl::PermissionDeniedError(
          absl::StrCat("data_dir ", path, ": permission denied for user ", CurrentUserName(),
                       "; run: chown -R ", CurrentUserName(), " ", path, " && chmod 700 ", path));
    }
    return absl::OkStatus();
  }
  if (errno == EACCES || errno == EPERM) {
    return absl::PermissionDeniedError(
        absl::StrCat("data_dir ", path, ": permission denied for user ", CurrentUserName(),
                     " on a parent directory; give that user search permission on it"));
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && ::stat(parent.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("data_dir ", path, ": its parent directory ", parent.string(),
                     " does not exist; create it: mkdir -p -m 700 ", parent.string()));
  }
  if (!parent.empty() && ::access(parent.c_str(), W_OK | X_OK) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("data_dir ", path, " does not exist and user ", CurrentUserName(),
                     " may not create it in ", parent.string(), "; create it: mkdir -m 700 ", path,
                     " && chown ", CurrentUserName(), " ", path));
  }
  return absl::OkStatus();
}

// The store's open failure, naming data_dir. When the file system holding it
// is full (ENOSPC, or under 1 MiB left), RESOURCE_EXHAUSTED saying so and
// what to do: RocksDB's own words name neither the directory nor the fix.
absl::Status StoreOpenError(const std::string& data_dir, const absl::Status& status) {
  struct statvfs fs = {};
  const bool measured = ::statvfs(data_dir.c_str(), &fs) == 0;
  const uint64_t free_bytes = measured ? uint64_t{fs.f_bavail} * fs.f_frsize : 0;
  if (absl::StrContains(status.message(), std::strerror(ENOSPC)) ||
      (measured && free_bytes < (uint64_t{1} << 20))) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "data_dir ", data_dir, ": the file system holding it is full (", free_bytes,
        " bytes free) and the store cannot open; free space on it (or move data_dir to a larger "
        "volume) and start again. Store: ",
        status.message()));
  }
  return absl::Status(status.code(), absl::StrCat("data_dir ", data_dir, ": ", status.message()));
}

// Makes TLS 1.3 the minimum for every SSL_CTX this process creates from now
// on, which includes the ones gRPC builds for the relay's listener (also when
// the certificate watcher reloads). gRPC 1.51's C++ TLS options have no
// minimum-version setter, so the relay sets OpenSSL's system_default instead.
absl::Status RequireTls13ProcessWide() {
  static const absl::Status status = [] {
    static constexpr char kConfig[] =
        "samrad_relay_conf = samrad_relay_init\n"
        "[samrad_relay_init]\n"
        "ssl_conf = samrad_ssl\n"
        "[samrad_ssl]\n"
        "system_default = samrad_tls\n"
        "[samrad_tls]\n"
        "MinProtocol = TLSv1.3\n"
        "Protocol = -ALL, TLSv1.3\n";
    OPENSSL_load_builtin_modules();
    std::unique_ptr<CONF, decltype(&NCONF_free)> conf(NCONF_new(nullptr), NCONF_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(kConfig, -1), BIO_free);
    long error_line = 0;
    bool ok = conf != nullptr && bio != nullptr &&
              NCONF_load_bio(conf.get(), bio.get(), &error_line) == 1 &&
              CONF_modules_load(conf.get(), "samrad_relay_conf", 0) == 1;
    ERR_clear_error();
    return ok ? absl::OkStatus()
              : absl::InternalError("could not restrict OpenSSL to TLS 1.3 (ssl_conf)");
  }();
  return status;
}

// Streams one client connection may have open at once. Further calls wait in
// the client's transport until one ends, so thousands of idle streams on a
// few connections cost the relay at most this many each.
constexpr int kMaxStreamsPerConnection = 256;
// A connection that has not finished its TLS handshake by then is closed
// (gRPC's default is 120 s), so idle half-open connections do not pile up.
constexpr int kHandshakeTimeoutMs = 10000;

// gRPC 1.51's callback handlers answer a request whose bytes do not parse as
// the method's message (malformed protobuf, invalid UTF-8 in a proto3 string)
// with UNIMPLEMENTED and no message, and sync handlers with INTERNAL. This
// interceptor sees the failed parse (POST_RECV_MESSAGE with no message) and
// rewrites that call's error status to INVALID_ARGUMENT with a reason, as
// relay.proto promises for malformed requests. Other calls pass untouched.
class MalformedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      undecodable_ = true;
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED ||
          status.error_code() == grpc::StatusCode::INTERNAL) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            "the request is not a valid message for this method (malformed protobuf or a string "
            "field that is not UTF-8)"));
      }
    }
    methods->Proceed();
  }

 private:
  bool undecodable_ = false;
};

class MalformedRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Only these receive exactly one request whose parse failure is visible
    // as a missing message; streaming reads end with one too.
    using Type = grpc::experimental::ServerRpcInfo::Type;
    if (info->type() != Type::UNARY && info->type() != Type::SERVER_STREAMING) return nullptr;
    return new MalformedRequestInterceptor();
  }
};

// The fields of RelayConfig that Reload applies to the running relay (the
// TLS files' contents are re-read as well; their paths need a restart).
constexpr absl::string_view kReloadableFields[] = {
    "log_level", "limits.rate_per_second", "limits.rate_burst", "limits.max_concurrent_streams",
    "limits.max_streams_per_identity"};

LiveLimits::Values LiveLimitsOf(const v1::LimitsConfig& limits) {
  return {.rate_per_second = limits.rate_per_second(),
          .rate_burst = static_cast<double>(limits.rate_burst()),
          .max_concurrent_streams = limits.max_concurrent_streams(),
          .max_streams_per_identity = limits.max_streams_per_identity()};
}

struct FieldChange {
  std::string field;   // "limits.rate_burst"
  std::string change;  // "limits.rate_burst 60 -> 2"
};

// Every singular field (at any depth) whose value differs between `running`
// and `next`, both of the same message type, with the path below `prefix`.
// The values are logged: RelayConfig holds paths, names and numbers, never a
// secret (the KEK and TLS key are in files it names).
void DiffFields(const google::protobuf::Message& running, const google::protobuf::Message& next,
                const std::string& prefix, std::vector<FieldChange>& out) {
  const google::protobuf::Descriptor* descriptor = running.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    const std::string path = absl::StrCat(prefix, field->name());
    if (field->is_repeated()) continue;  // RelayConfig has none
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      DiffFields(running.GetReflection()->GetMessage(running, field),
                 next.GetReflection()->GetMessage(next, field), path + ".", out);
      continue;
    }
    std::string old_value, new_value;
    google::protobuf::TextFormat::PrintFieldValueToString(running, field, -1, &old_value);
    google::protobuf::TextFormat::PrintFieldValueToString(next, field, -1, &new_value);
    if (old_value != new_value) {
      out.push_back({path, absl::StrCat(path, " ", old_value, " -> ", new_value)});
    }
  }
}

// notAfter of the first certificate in the PEM file `path`, Unix seconds;
// nullopt when it cannot be read.
std::optional<int64_t> CertificateNotAfter(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream pem;
  pem << file.rdbuf();
  absl::StatusOr<crypto::x509::Certificate> cert = crypto::x509::Certificate::FromPem(pem.str());
  if (!cert.ok()) return std::nullopt;
  return cert->not_after_unix_ms() / 1000;
}

// Bytes of the regular files under `dir` (the store on disk); nullopt when it
// cannot be listed. Files that vanish while walking (compaction) are skipped.
std::optional<uint64_t> DirectorySize(const std::string& dir) {
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(dir, error);
  if (error) return std::nullopt;
  uint64_t total = 0;
  for (const std::filesystem::recursive_directory_iterator end; it != end; it.increment(error)) {
    if (error) return std::nullopt;
    std::error_code file_error;
    if (it->is_regular_file(file_error)) {
      const auto size = it->file_size(file_error);
      if (!file_error) total += size;
    }
  }
  return total;
}

}  // namespace

// Start in named steps; a step that fails leaves what the earlier ones
// built to the destructor (nothing is serving until StartGrpcServer).
absl::StatusOr<std::unique_ptr<RelayServer>> RelayServer::Start(v1::RelayConfig config,
                                                                std::function<int64_t()> clock) {
  std::unique_ptr<RelayServer> relay(new RelayServer());
  relay->config_ = std::move(config);
  const std::function<int64_t()> now = clock ? clock : SystemNowUnixMs;
  SAMRAD_RETURN_IF_ERROR(relay->LoadTls(now));
  auto directory_key = LoadPublicKeyFile(relay->config_.directory_public_key_file());
  if (!directory_key.ok()) {
    return absl::Status(
        directory_key.status().code(),
        absl::StrCat("directory_public_key_file: ", directory_key.status().message()));
  }
  SAMRAD_RETURN_IF_ERROR(relay->BindMetrics());
  SAMRAD_RETURN_IF_ERROR(relay->OpenStore(clock));
  SAMRAD_RETURN_IF_ERROR(relay->StartService(*std::move(directory_key), clock));
  SAMRAD_RETURN_IF_ERROR(relay->StartGrpcServer());
  SAMRAD_RETURN_IF_ERROR(relay->StartBackground(now));
  LogInfo("relay_started", {{"listen", relay->config_.listen_address()},
                            {"port", absl::StrCat(relay->port_)},
                            {"data_dir", relay->config_.data_dir()},
                            {"version", SAMRAD_VERSION_STRING}});
  return relay;
}

absl::Status RelayServer::LoadTls(const std::function<int64_t()>& now) {
  const auto& tls = config_.tls();
  if (auto s = RequireTls13ProcessWide(); !s.ok()) return s;
  if (absl::Status s = CheckPrivateFile("tls.key_file", tls.key_file()); !s.ok()) return s;
  auto served_pair = ServedKeyPair::New(tls.cert_file(), tls.key_file());
  if (!served_pair.ok()) return served_pair.status();
  served_pair_ = *std::move(served_pair);
  auto verifier =
      PeerVerifier::New(tls.client_ca_file(), int64_t{tls.refresh_interval_seconds()} * 1000, now);
  if (!verifier.ok()) {
    return absl::Status(verifier.status().code(),
                        absl::StrCat("tls.client_ca_file: ", verifier.status().message()));
  }
  verifier_ = *std::move(verifier);
  return absl::OkStatus();
}

// The metrics port is taken before anything else starts, so a busy one
// fails the start with nothing to undo.
absl::Status RelayServer::BindMetrics() {
  metrics_ = std::make_unique<RelayMetrics>();
  if (config_.metrics_address().empty()) return absl::OkStatus();
  auto http =
      MetricsHttpServer::Bind(config_.metrics_address(), config_.metrics_allow_non_loopback());
  if (!http.ok()) return http.status();
  metrics_http_ = *std::move(http);
  return absl::OkStatus();
}

absl::Status RelayServer::OpenStore(const std::function<int64_t()>& clock) {
  const v1::RelayConfig& config = config_;
  // Everything the relay creates (store files, backups) is private to it.
  ::umask(077);
  if (absl::Status s = CheckPrivateFile("kek_file", config.kek_file()); !s.ok()) return s;
  if (absl::Status s = CheckDataDirectory(config.data_dir()); !s.ok()) return s;
  if (absl::Status s = MakeDirectoryPrivate("data_dir", config.data_dir()); !s.ok()) return s;
  if (absl::Status s = CheckPrivateDirectory("backup_dir", config.backup_dir()); !s.ok()) return s;
  storage::StoreOptions store_options;
  store_options.data_dir = config.data_dir();
  auto kek = LoadConfiguredKek(config);
  if (!kek.ok()) return kek.status();
  store_options.kek = *std::move(kek);
  store_options.block_cache_bytes = config.storage().block_cache_bytes();
  store_options.write_buffer_bytes = config.storage().write_buffer_bytes();
  store_options.max_write_buffer_number = config.storage().max_write_buffer_number();
  if (clock) store_options.clock = clock;
  store_options.on_group_written = [metrics = metrics_.get()](size_t ops, int64_t micros) {
    metrics->RecordGroupWritten(ops, micros);
  };
  auto simulated_disk = storage::SimulatedDisk::FromEnvironment();
  if (!simulated_disk.ok()) return simulated_disk.status();
  simulated_disk_ = *std::move(simulated_disk);
  if (simulated_disk_) {
    LogWarning("test_hook", {{"what", simulated_disk_->Describe()}});
  }
  auto store = simulated_disk_ ? simulated_disk_->OpenStore(std::move(store_options))
                               : storage::Store::Open(std::move(store_options));
  if (!store.ok()) return StoreOpenError(config.data_dir(), store.status());
  store_ = *std::move(store);
  RelayServer* raw = this;
  write_health_ = std::make_unique<StoreWriteHealth>([raw](bool writable) {
    if (writable) {
      LogInfo("store_writable");
    } else {
      LogWarning("store_unwritable", {{"health", "NOT_SERVING"}});
    }
    raw->SetServing(writable);
  });
  return absl::OkStatus();
}

absl::Status RelayServer::StartService(std::string directory_public_key,
                                       const std::function<int64_t()>& clock) {
  RelayServer* raw = this;
  RelayServiceOptions service_options;
  service_options.config = config_;
  service_options.directory_public_key = std::move(directory_public_key);
  service_options.clock = clock;
  service_options.on_store_write = [raw](const absl::Status& outcome) {
    raw->write_health_->Record(outcome);
  };
  service_options.on_directory_published = [raw] {
    if (raw->directory_freshness_) raw->directory_freshness_->Poke();
  };
  // The rate limit and stream caps the service builds share live_limits_,
  // which Reload retunes.
  live_limits_ = std::make_shared<LiveLimits>(LiveLimitsOf(config_.limits()));
  auto service = [&] {
    LiveLimits::Binding binding(live_limits_);
    return RelayService::New(std::move(service_options), store_.get(), verifier_.get());
  }();
  if (!service.ok()) return service.status();
  service_ = *std::move(service);

  return absl::OkStatus();
}

absl::Status RelayServer::StartGrpcServer() {
  const v1::RelayConfig& config = config_;
  // The relay's own certificate is watched and reloaded when replaced. The
  // handshake requires a client certificate that chains to the CA
  // (HandshakeVerifier), so nothing of gRPC — Health, reflection, HTTP/2 —
  // is reachable without one; dates, purpose, URI and revocation are then
  // checked per call by PeerVerifier (identity.h), whose refusals are
  // UNAUTHENTICATED with a reason a person can read.
  // gRPC watches the served pair (served_key_pair.h), which the relay
  // refreshes from the operator's files every refresh_interval_seconds and
  // on SIGHUP; gRPC re-reads it every second.
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      served_pair_->key_path(), served_pair_->cert_path(), 1);
  grpc::experimental::TlsServerCredentialsOptions tls_options(provider);
  tls_options.watch_identity_key_cert_pairs();
  tls_options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  tls_options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<HandshakeVerifier>(verifier_.get()));
  auto credentials = grpc::experimental::TlsServerCredentials(tls_options);

  grpc::EnableDefaultHealthCheckService(true);
  // Linking gRPC's reflection library registers its plugin for every server
  // of the process; this relay keeps or drops it per its config.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>(config.enable_reflection()));
  if (config.enable_reflection()) {
    LogWarning("reflection_enabled",
               {{"why", "enable_reflection is set; turn it off in production"}});
  }
  grpc::ResourceQuota quota("samrad-relay");
  quota.Resize(static_cast<size_t>(config.limits().grpc_memory_quota_bytes()));
  builder.SetResourceQuota(quota);
  // A second relay on a port in use must fail, not share it (gRPC's default
  // SO_REUSEPORT would silently split the connections between the two).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(config.listen_address(), credentials, &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.limits().max_grpc_message_bytes()));
  builder.SetMaxSendMessageSize(static_cast<int>(config.limits().max_grpc_message_bytes()));
  const auto& keepalive = config.keepalive();
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(keepalive.time_seconds() * 1000));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(keepalive.timeout_seconds() * 1000));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(keepalive.min_client_ping_interval_seconds() * 1000));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, kHandshakeTimeoutMs);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MalformedRequestInterceptorFactory>());
  // After the one above, so it counts the status that call really sends.
  interceptors.push_back(metrics_->NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    service_->Shutdown();
    return absl::UnavailableError(absl::StrCat("cannot listen on listen_address ",
                                               config.listen_address(),
                                               " (in use, or not an address of this host)"));
  }
  {
    // No call has reached the store yet, so it counts as writable.
    MutexLock lock(health_mu_);
    health_ = server_->GetHealthCheckService();
    health_->SetServingStatus(true);
  }
  return absl::OkStatus();
}

absl::Status RelayServer::StartBackground(std::function<int64_t()> now) {
  RelayServer* raw = this;
  directory_freshness_ = std::make_unique<DirectoryFreshness>(
      [raw] {
        const RelayStats stats = raw->service_->Stats();
        return ServedDirectory{stats.directory_epoch, stats.directory_not_after_unix_ms};
      },
      std::move(now),
      [raw](bool fresh) {
        MutexLock lock(raw->health_mu_);
        if (raw->health_ != nullptr) raw->health_->SetServingStatus(kDirectoryHealthService, fresh);
      },
      /*interval_ms=*/60'000);
  refresher_ = std::thread([raw] { raw->RefreshTlsLoop(); });
  if (metrics_http_) {
    if (absl::Status s = metrics_http_->Serve([raw] { return raw->RenderMetrics(); }); !s.ok()) {
      return s;
    }
    LogInfo("metrics_started", {{"metrics_address", config_.metrics_address()},
                                {"metrics_port", absl::StrCat(metrics_http_->port())}});
  }
  return absl::OkStatus();
}

RelayServer::RelayServer() = default;

std::string RelayServer::RenderMetrics() {
  ScrapeValues values;
  values.now_unix_ms = SystemNowUnixMs();
  if (auto size = DirectorySize(config_.data_dir())) {
    values.store_size_known = true;
    values.store_size_bytes = *size;
  }
  uint64_t epoch = 0;
  auto directory = store_->GetDirectory(&epoch);
  v1::KeyDirectory content;
  if (directory.ok() && content.ParseFromString(directory->directory())) {
    values.has_directory = true;
    values.directory_epoch = epoch;
    values.directory_issued_unix_ms = content.issued_at_unix_ms();
    values.directory_not_after_unix_ms = content.not_after_unix_ms();
  }
  if (auto not_after = CertificateNotAfter(served_pair_->cert_path())) {
    values.certificate_known = true;
    values.certificate_not_after_unix_s = *not_after;
  }
  return metrics_->Render(values);
}

void RelayServer::RefreshTlsLoop() {
  const auto interval = std::chrono::seconds(config_.tls().refresh_interval_seconds());
  for (;;) {
    {
      MutexLock lock(refresh_mu_);
      const auto deadline = std::chrono::steady_clock::now() + interval;
      while (!stop_refresh_ && lock.WaitUntil(refresh_cv_, deadline)) {
      }
      if (stop_refresh_) return;
    }
    auto changed = served_pair_->Refresh();
    if (!changed.ok()) {
      LogWarning("tls_refresh_failed", {{"reason", changed.status().message()},
                                        {"kept", "the certificate served so far"}});
    } else if (*changed) {
      LogInfo("tls_reloaded", {{"what", "tls.cert_file,tls.key_file"}, {"trigger", "interval"}});
    }
  }
}

RelayServer::ReloadReport RelayServer::Reload(const v1::RelayConfig& next) {
  ReloadReport report;
  auto changed = served_pair_->Refresh();
  if (!changed.ok()) {
    report.failed.push_back(std::string(changed.status().message()));
  } else {
    report.reloaded.push_back(*changed ? "tls.cert_file+tls.key_file(new)"
                                       : "tls.cert_file+tls.key_file(unchanged)");
  }
  if (absl::Status s = verifier_->ReloadNow(); !s.ok()) {
    report.failed.push_back(std::string(s.message()));
  } else {
    report.reloaded.push_back("tls.client_ca_file");
  }
  // Revocations live in the store and apply at once (RevokeCertificate);
  // there is nothing to re-read for them.
  std::vector<FieldChange> changes;
  DiffFields(config_, next, "", changes);
  for (FieldChange& change : changes) {
    const bool reloadable = std::find(std::begin(kReloadableFields), std::end(kReloadableFields),
                                      change.field) != std::end(kReloadableFields);
    if (reloadable) {
      report.changed.push_back(std::move(change.change));
    } else {
      report.needs_restart.push_back(std::move(change.field));
      report.needs_restart_changes.push_back(std::move(change.change));
    }
  }
  if (auto level = ParseLogLevel(next.log_level()); level.ok()) {
    SetLogLevel(*level);
    config_.set_log_level(next.log_level());
    report.reloaded.push_back(absl::StrCat("log_level=", next.log_level()));
  }
  v1::LimitsConfig& limits = *config_.mutable_limits();
  limits.set_rate_per_second(next.limits().rate_per_second());
  limits.set_rate_burst(next.limits().rate_burst());
  limits.set_max_concurrent_streams(next.limits().max_concurrent_streams());
  limits.set_max_streams_per_identity(next.limits().max_streams_per_identity());
  live_limits_->Set(LiveLimitsOf(limits));
  report.reloaded.push_back("limits");
  return report;
}

RelayServer::~RelayServer() { Shutdown(); }

void RelayServer::SetServing(bool serving) {
  MutexLock lock(health_mu_);
  if (health_ != nullptr) health_->SetServingStatus(serving);
}

void RelayServer::Shutdown() {
  MutexLock lock(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  // A relay that never started serving (Start failed) says nothing here: its
  // one line is the start failure.
  const bool started = server_ != nullptr;
  // No scrape may read the store or the service from here on.
  if (metrics_http_) metrics_http_->Stop();
  if (directory_freshness_) directory_freshness_->Stop();
  if (started) {
    LogInfo("relay_stopping", {{"grace_seconds", absl::StrCat(config_.shutdown_grace_seconds())}});
  }
  {
    MutexLock lock(refresh_mu_);
    stop_refresh_ = true;
  }
  refresh_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  {
    // From here on the store's callbacks (draining calls) may not turn it back.
    MutexLock lock(health_mu_);
    if (health_ != nullptr) health_->SetServingStatus(false);
    health_ = nullptr;
  }
  if (service_) service_->Shutdown();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(config_.shutdown_grace_seconds()));
    server_->Wait();
  }
  server_.reset();
  service_.reset();
  store_.reset();  // drains the commit queue and closes RocksDB
  if (started) LogInfo("relay_stopped");
}

}  // namespace samrad::server
