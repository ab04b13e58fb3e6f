#include "server/handshake_verifier.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace samrad::server {

bool HandshakeVerifier::Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
                               std::function<void(grpc::Status)> /*callback*/,
                               grpc::Status* sync_status) {
  const grpc::string_ref leaf = request->peer_cert();
  const grpc::string_ref chain = request->peer_cert_full_chain();
  absl::Status status = verifier_->VerifyAtHandshake(absl::string_view(leaf.data(), leaf.size()),
                                                     absl::string_view(chain.data(), chain.size()));
  if (status.ok()) {
    *sync_status = grpc::Status::OK;
  } else {
    const LogRateLimiter::Decision decision = log_limiter_.Admit();
    LogRefusedHandshakesSummary(decision.suppressed, kLogWindowMs);
    if (decision.write) LogInfo("handshake_refused", {{"reason", status.message()}});
    *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(status.message()));
  }
  return true;  // decided synchronously
}

HandshakeVerifier::~HandshakeVerifier() {
  LogRefusedHandshakesSummary(log_limiter_.TakeSuppressed(), kLogWindowMs);
}

void LogRefusedHandshakesSummary(uint64_t count, int64_t window_ms) {
  if (count == 0) return;
  const std::string seconds = absl::StrCat(window_ms / 1000);
  LogInfo(
      "handshake_refused_summary",
      {{"suppressed", absl::StrCat(count)},
       {"window_s", seconds},
       {"detail", absl::StrCat(count, " more refused handshakes in the last ", seconds, " s")}});
}

}  // namespace samrad::server
