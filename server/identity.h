// Who is calling: the role and unit or county of a client, taken only from its
// verified X.509 certificate's SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID.
//
// The TLS handshake proves that the client holds the private key of the
// certificate it presents. PeerVerifier then verifies that certificate against
// the relay's client CA bundle (chain, validity period, clientAuth purpose) and
// extracts the identity. Doing the chain check here rather than in the
// handshake lets every failure reach the caller as UNAUTHENTICATED with a
// message a person can act on ("certificate expired at ...") instead of a
// bare connection failure.
#ifndef SAMRAD_SERVER_IDENTITY_H_
#define SAMRAD_SERVER_IDENTITY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/x509.h"

namespace samrad::server {

// The roles and their names are crypto/x509's (one definition).
using Role = crypto::x509::Role;
using crypto::x509::RoleName;

struct Identity {
  Role role = Role::kProfessional;
  // Professional: a county code (ids::IsCountyCode). Adviser: unit id.
  // Admin: unit id or "national".
  std::string scope;
  std::string id;          // [A-Za-z0-9._-]{1,64}
  std::string serial_hex;  // canonical (ids::CanonicalSerial): compared as an integer
  std::string uri;         // the SAN URI as presented
  // The certificate's notAfter (Unix ms); 0 when not from a certificate.
  // Open streams end when it is reached.
  int64_t not_after_unix_ms = 0;
};

// Parses samrad://ROLE/UNIT-OR-COUNTY/ID (crypto::x509::ParseSamradUri).
// Errors: UNAUTHENTICATED (naming the problem) for any other form. On success
// serial_hex is left empty. Pure; thread-safe.
[[nodiscard]] absl::StatusOr<Identity> ParseSamradUri(absl::string_view uri);

// Verifies client certificates against a CA bundle file that may be replaced
// while the relay runs. Thread-safe: every method may be called concurrently
// (gRPC's handshake and call threads, SIGHUP's reload). Owned by the relay
// (RelayServer); the HandshakeVerifier and the service borrow it.
class PeerVerifier {
 public:
  // Loads the CA bundle now (INVALID_ARGUMENT / NOT_FOUND naming the file if it
  // holds no certificate). The file is re-read when its modification time
  // changes, checked at most every `reload_interval_ms`. `clock` gives Unix
  // milliseconds and sets the verification time.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PeerVerifier>> New(
      std::string ca_file, int64_t reload_interval_ms, std::function<int64_t()> clock);
  virtual ~PeerVerifier() = default;

  // `leaf_pem`: the peer certificate (gRPC auth property x509_pem_cert);
  // `chain_pem`: the presented chain, may be empty. Errors: UNAUTHENTICATED when there
  // is no certificate, it does not chain to the CA, is outside its validity
  // period, lacks clientAuth, or carries no (or more than one) samrad:// URI.
  [[nodiscard]] virtual absl::StatusOr<Identity> Verify(absl::string_view leaf_pem,
                                                        absl::string_view chain_pem) = 0;

  // The TLS handshake's check, before any gRPC call is possible: OK when the
  // certificate chains to the CA, whatever its dates and purpose, so that
  // Verify can then refuse an expired or wrong-purpose certificate per call
  // with a reason a person can read. UNAUTHENTICATED otherwise (no
  // certificate, unparsable, another CA). Thread-safe.
  [[nodiscard]] virtual absl::Status VerifyAtHandshake(absl::string_view leaf_pem,
                                                       absl::string_view chain_pem) = 0;

  // A certificate named in a request (e.g. the one an admin revokes), not
  // the caller's: OK with its identity and serial when `pem` holds exactly one
  // certificate that chains to the CA and carries one samrad:// URI. Its dates
  // and purpose are not checked, so an expired certificate can still be
  // revoked. INVALID_ARGUMENT naming the problem otherwise. Thread-safe.
  [[nodiscard]] virtual absl::StatusOr<Identity> VerifyIssued(absl::string_view pem) = 0;

  // Re-reads the CA bundle now, whatever its modification time (SIGHUP).
  // On failure (NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT naming the
  // file) the previous CA stays in use. Thread-safe.
  [[nodiscard]] virtual absl::Status ReloadNow() = 0;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_IDENTITY_H_
