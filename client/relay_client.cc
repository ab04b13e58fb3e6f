#include "client/relay_client.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/exit_codes.h"
#include "client/file_util.h"

namespace samrad::client {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> pem = ReadFileToString(path, 1024 * 1024);
  if (!pem.ok()) {
    return WithExitCode(
        absl::Status(pem.status().code(),
                     absl::StrCat("cannot read the ", what, ": ", pem.status().message())),
        ExitCode::kConfig);
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RelayClient>> RelayClient::Create(
    const v1::ClientProfile& profile, const RelayClientOptions& options) {
  absl::StatusOr<std::string> ca = ReadPem(profile.ca_cert_path(), "CA certificate");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPem(profile.client_cert_path(), "client certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(profile.client_key_path(), "client key");
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
  return std::unique_ptr<RelayClient>(
      new RelayClient(profile.relay_address(), std::move(channel), options));
}

std::unique_ptr<grpc::ClientContext> RelayClient::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + options_.call_timeout);
  return context;
}

std::unique_ptr<grpc::ClientContext> RelayClient::NewStreamContext() const {
  return std::make_unique<grpc::ClientContext>();
}

absl::Status RelayClient::MapStatus(absl::string_view what, const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string detail = status.error_message();
  if (code == absl::StatusCode::kUnavailable && absl::StrContains(detail, "Socket closed")) {
    // The relay ends the TLS handshake of a certificate it does not trust
    // before any call; the client sees only a closed socket, as it would
    // from a relay that stops.
    return absl::Status(
        code, absl::StrCat("cannot ", what, ": the relay at ", address_,
                           " closed the connection. It may be restarting or stopped (try again "
                           "in a minute); if this happens at once on every try, the relay "
                           "refuses your certificate at the TLS handshake because your "
                           "organisation's CA did not issue it — ask your administrator (",
                           detail, ")"));
  }
  if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
    return absl::Status(code, absl::StrCat("cannot ", what, ": the relay at ", address_,
                                           " did not answer (", detail, ")"));
  }
  if (code == absl::StatusCode::kUnauthenticated) {
    return absl::Status(code, absl::StrCat("cannot ", what,
                                           ": the relay rejected your certificate (", detail, ")"));
  }
  return absl::Status(code, absl::StrCat("cannot ", what, ": ", detail));
}

absl::Status RelayClient::Call(
    absl::string_view what, const std::function<grpc::Status(grpc::ClientContext&)>& call) const {
  std::unique_ptr<grpc::ClientContext> context = NewContext();
  return MapStatus(what, call(*context));
}

absl::Status RelayClient::CallWithRetry(
    absl::string_view what, const std::function<grpc::Status(grpc::ClientContext&)>& call) const {
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
  return MapStatus(what, last);
}

}  // namespace samrad::client
