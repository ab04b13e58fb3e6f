// HandshakeVerifier: the relay's TLS handshake check. A connection whose
// client certificate does not chain to the relay's CA
// (PeerVerifier::VerifyAtHandshake) is refused during the handshake, so it
// never reaches gRPC; everything else (dates, purpose, URI, revocation) is
// checked per call. Shared by the relay and by test relays that must admit
// exactly the connections the relay admits (tests/client/tamper_proxy.cc).
#ifndef SAMRAD_SERVER_HANDSHAKE_VERIFIER_H_
#define SAMRAD_SERVER_HANDSHAKE_VERIFIER_H_

#include <functional>

#include "grpcpp/security/tls_certificate_verifier.h"
#include "server/identity.h"

namespace samrad::server {

class HandshakeVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  // `verifier` is not owned and must outlive the server.
  explicit HandshakeVerifier(PeerVerifier* verifier) : verifier_(verifier) {}

  // Decides synchronously; logs `handshake_refused` with the reason.
  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> callback, grpc::Status* sync_status) override;
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  PeerVerifier* const verifier_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_HANDSHAKE_VERIFIER_H_
