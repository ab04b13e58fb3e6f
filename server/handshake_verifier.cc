#include "server/handshake_verifier.h"

#include <string>

#include "server/log.h"

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
    LogInfo("handshake_refused", {{"reason", status.message()}});
    *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(status.message()));
  }
  return true;  // decided synchronously
}

}  // namespace samrad::server
