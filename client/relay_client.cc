#include "client/relay_client.h"

#include <grpc/support/log.h>

#include <cstdio>
#include <thread>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/certificate.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "client/output.h"
#include "client/status_class.h"
#include "common/reasons.h"
#include "common/relay_protocol.h"

namespace samrad::client {
namespace {

// `what` is the sentence (Msg::kLzCannotReadCaCert, ...).
absl::StatusOr<std::string> ReadPem(const std::string& path, Msg what) {
  absl::StatusOr<std::string> pem = ReadFileToString(path, 1024 * 1024);
  if (!pem.ok()) {
    return WithExitCode(LocalizedWrap(pem.status().code(), what, {}, pem.status()),
                        ExitCode::kConfig);
  }
  return pem;
}

// Refuses a client certificate outside its validity period at `now_unix_ms`:
// the relay would refuse it on every call with a less direct message.
absl::Status CheckOwnCertificateDates(const std::string& path, const std::string& pem,
                                      int64_t now_unix_ms, const Messages& messages) {
  absl::StatusOr<CertificateInfo> cert = ParseCertificatePem(pem);
  if (!cert.ok()) {
    return WithExitCode(
        LocalizedWrap(absl::StatusCode::kInvalidArgument, Msg::kLzClientCertUnusable, {path},
                      ForeignText(cert.status())),
        ExitCode::kConfig);
  }
  if (now_unix_ms > cert->not_after_unix_ms) {
    return WithOwnAdvice(
        WithExitCode(absl::FailedPreconditionError(messages.Format(
                         Msg::kOwnCertExpired, FormatTimestamp(cert->not_after_unix_ms))),
                     ExitCode::kPermission));
  }
  if (now_unix_ms < cert->not_before_unix_ms) {
    return WithOwnAdvice(
        WithExitCode(absl::FailedPreconditionError(messages.Format(
                         Msg::kOwnCertNotYetValid, FormatTimestamp(cert->not_before_unix_ms))),
                     ExitCode::kPermission));
  }
  return absl::OkStatus();
}

void DropGrpcLog(gpr_log_func_args* /*args*/) {}

void PrintGrpcLog(gpr_log_func_args* args) {
  std::fprintf(stderr, "samrad: grpc: %s (%s:%d)\n", args->message, args->file, args->line);
}

}  // namespace

void RouteGrpcLogs(bool verbose) {
  if (verbose) {
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_INFO);
    gpr_set_log_function(&PrintGrpcLog);
  } else {
    gpr_set_log_function(&DropGrpcLog);
  }
}

absl::StatusOr<std::unique_ptr<RelayClient>> RelayClient::Create(
    const v1::ClientProfile& profile, const RelayClientOptions& options) {
  absl::StatusOr<std::string> ca = ReadPem(profile.ca_cert_path(), Msg::kLzCannotReadCaCert);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert =
      ReadPem(profile.client_cert_path(), Msg::kLzCannotReadClientCert);
  if (!cert.ok()) return cert.status();
  if (options.now_unix_ms != 0) {
    if (absl::Status s = CheckOwnCertificateDates(profile.client_cert_path(), *cert,
                                                  options.now_unix_ms, Messages(options.language));
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<std::string> key = ReadPem(profile.client_key_path(), Msg::kLzCannotReadClientKey);
  if (!key.ok()) return key.status();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ca;
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  WipeString(*key);
  grpc::ChannelArguments args;
  if (!profile.tls_server_name().empty()) {
    args.SetSslTargetNameOverride(profile.tls_server_name());
  }
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // gRPC's own reconnect backoff grows to 2 minutes by default; a watch that
  // lost the relay retries on its own schedule (client/watch_loop.h), so the
  // channel must try again soon after the relay is back.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(profile.relay_address(), grpc::SslCredentials(ssl), args);
  WipeString(ssl.pem_private_key);
  return std::unique_ptr<RelayClient>(new RelayClient(
      profile.relay_address(), profile.ca_cert_path(), std::move(channel), options));
}

std::unique_ptr<grpc::ClientContext> RelayClient::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + options_.call_timeout);
  return context;
}

std::unique_ptr<grpc::ClientContext> RelayClient::NewStreamContext() const {
  return std::make_unique<grpc::ClientContext>();
}

std::optional<std::string> RelayClient::ConnectionFailure(absl::StatusCode code,
                                                          const std::string& detail) const {
  const Messages messages(options_.language);
  // gRPC describes a failed connection only in its message text; these are
  // the phrases of its TLS and socket layers (gRPC 1.51 with OpenSSL 3).
  if (absl::StrContains(detail, "certificate verify failed") ||
      absl::StrContains(detail, "CERTIFICATE_VERIFY_FAILED")) {
    return messages.Format(Msg::kRelayCertUntrusted, ca_path_);
  }
  if (absl::StrContains(detail, "Peer name") ||
      absl::StrContains(detail, "not in peer certificate")) {
    return messages.Format(Msg::kRelayCertWrongName, address_);
  }
  if (absl::StrContains(detail, "Socket closed") || absl::StrContains(detail, "Connection reset")) {
    // The relay ends the TLS handshake of a certificate it does not trust
    // before any call; the client sees only a closed socket, as it would
    // from a relay that stops.
    return messages.Format(Msg::kRelayClosedConnection, address_);
  }
  if (code == absl::StatusCode::kDeadlineExceeded) {
    return messages.Format(Msg::kRelayNoAnswer, address_);
  }
  if (code == absl::StatusCode::kUnavailable &&
      (absl::StrContains(detail, "failed to connect") ||
       absl::StrContains(detail, "Connection refused") || absl::StrContains(detail, "DNS") ||
       absl::StrContains(detail, "resolution") || absl::StrContains(detail, "Failed to connect"))) {
    return messages.Format(Msg::kRelayUnreachable, address_);
  }
  return std::nullopt;
}

namespace {

// The absl::Status payload with the relay's own (English) message, on every
// status MapStatus makes from a relay's answer.
constexpr char kRelaySaidPayloadUrl[] = "samrad.client/relay-said";

}  // namespace

absl::Status AttachRelayWords(absl::Status status, const grpc::Status& answer) {
  // A sentence of our own (a failed connection) is already in the user's
  // language.
  if (status.ok() || HasOwnAdvice(status)) return status;
  status.SetPayload(kRelaySaidPayloadUrl, absl::Cord(answer.error_message()));
  if (std::optional<reasons::WireReason> reason = reasons::DecodeDetail(answer.error_details())) {
    status = reasons::AttachReason(std::move(status), *reason);
  }
  return status;
}

std::optional<std::string> RelayRefusalText(const absl::Status& status, const Messages& messages) {
  if (messages.language() == Language::kEnglish) return std::nullopt;
  auto said = status.GetPayload(kRelaySaidPayloadUrl);
  if (!said.has_value()) return std::nullopt;
  if (std::optional<reasons::WireReason> wire = reasons::ReasonOf(status)) {
    if (std::optional<reasons::Reason> reason = reasons::FromToken(wire->token)) {
      return messages.Format(Msg::kRelayRefused,
                             reasons::Render(reasons::TextOf(*reason).swedish, wire->args));
    }
  }
  return messages.Format(Msg::kRelayUntranslated, std::string(*said));
}

std::string UserText(const absl::Status& status, const Messages& messages) {
  std::optional<std::string> text = LocalizedText(status, messages);
  if (!text.has_value()) text = RelayRefusalText(status, messages);
  return text.value_or(std::string(status.message()));
}

absl::Status ForgetRelayWords(absl::Status status) {
  status.ErasePayload(kRelaySaidPayloadUrl);
  return status;
}

absl::Status RelayClient::MapStatus(Msg action, const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  return AttachRelayWords(MapStatusText(action, status), status);
}

absl::Status RelayClient::MapStatusText(Msg action, const grpc::Status& status) const {
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string detail = status.error_message();
  if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
    if (std::optional<std::string> sentence = ConnectionFailure(code, detail)) {
      return WithOwnAdvice(absl::Status(code, *sentence));
    }
    // gRPC's own description of the failure stays as it is, in brackets.
    return LocalizedOf(code, Msg::kLzRelayDidNotAnswer,
                       {LzArg::Message(action), address_, std::move(detail)});
  }
  LzArg said = LzArg::RelayWords(std::move(detail), reasons::DecodeDetail(status.error_details()));
  if (code == absl::StatusCode::kUnauthenticated) {
    return LocalizedOf(code, Msg::kLzRelayRejectedCert, {LzArg::Message(action), std::move(said)});
  }
  absl::Status mapped =
      LocalizedOf(code, Msg::kLzRelayCannot, {LzArg::Message(action), std::move(said)});
  if (code == absl::StatusCode::kResourceExhausted &&
      status.error_details() == protocol::kSizeLimitDetail) {
    return MarkSizeLimit(std::move(mapped));
  }
  return mapped;
}

void RelayClient::NoteServerLimits(const grpc::ClientContext& context) {
  const auto& metadata = context.GetServerInitialMetadata();
  auto it = metadata.find(protocol::kMaxEnvelopeBytesMetadata);
  uint64_t value = 0;
  if (it != metadata.end() &&
      absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &value)) {
    max_envelope_bytes_.store(value);
  }
}

absl::Status RelayClient::Call(
    Msg action, const std::function<grpc::Status(grpc::ClientContext&)>& call) const {
  std::unique_ptr<grpc::ClientContext> context = NewContext();
  return MapStatus(action, call(*context));
}

absl::Status RelayClient::CallWithRetry(
    Msg action, const std::function<grpc::Status(grpc::ClientContext&)>& call) const {
  std::chrono::milliseconds backoff(200);
  grpc::Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    std::unique_ptr<grpc::ClientContext> context = NewContext();
    last = call(*context);
    if (last.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    if (attempt < options_.max_attempts) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }
  return MapStatus(action, last);
}

}  // namespace samrad::client
