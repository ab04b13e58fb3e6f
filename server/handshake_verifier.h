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
#include "server/log.h"

namespace samrad::server {

class HandshakeVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  // At most this many `handshake_refused` lines per window; the rest are
  // counted into one `handshake_refused_summary` line.
  static constexpr uint32_t kLogBurst = 5;
  static constexpr int64_t kLogWindowMs = 60'000;

  // `verifier` is not owned and must outlive the server.
  explicit HandshakeVerifier(PeerVerifier* verifier) : verifier_(verifier) {}
  // Logs the summary of refusals not yet reported.
  ~HandshakeVerifier() override;

  // Called by gRPC on its threads, concurrently (thread-safe: the verifier
  // and the log limiter are). Decides synchronously (returns true with
  // *sync_status OK, or a non-OK UNAUTHENTICATED naming the problem; the
  // callback is never used); logs `handshake_refused` with the reason, rate
  // limited (kLogBurst per kLogWindowMs, then a summary count), so a client
  // hammering the relay with bad certificates cannot flood the log.
  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> callback, grpc::Status* sync_status) override;
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  PeerVerifier* const verifier_;
  LogRateLimiter log_limiter_{kLogBurst, kLogWindowMs};
};

// Writes the summary line for `count` refused handshakes held back in a
// window of `window_ms` (nothing when count is 0).
void LogRefusedHandshakesSummary(uint64_t count, int64_t window_ms);

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_HANDSHAKE_VERIFIER_H_
