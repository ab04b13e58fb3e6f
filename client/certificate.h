// The client's own X.509 certificate as `samrad` needs it: who it names (the
// SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID the relay trusts), its serial and
// its validity period. A thin adapter over crypto/x509.h, which does all
// parsing (the same rules as the relay's).
//
// Stateless free functions; thread-safe.
#ifndef SAMRAD_CLIENT_CERTIFICATE_H_
#define SAMRAD_CLIENT_CERTIFICATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace samrad::client {

struct CertificateInfo {
  // From the SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID; all empty when the
  // certificate carries no samrad:// URI.
  std::string role;   // "professional", "adviser" or "admin"
  std::string scope;  // a county code (professional) or a unit id / "national"
  std::string id;     // the ID part
  std::string uri;
  std::string serial_hex;  // canonical (ids::CanonicalSerial)
  int64_t not_before_unix_ms = 0;
  int64_t not_after_unix_ms = 0;
};

// Parses the first certificate of `pem`. INVALID_ARGUMENT when there is none
// or it cannot be read; a certificate without a samrad:// URI parses (role
// empty), one whose first samrad:// URI is malformed is INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem);

// Reads and parses the certificate file `path`. NOT_FOUND / PERMISSION_DENIED
// / INVALID_ARGUMENT with a message naming the file.
[[nodiscard]] absl::StatusOr<CertificateInfo> ReadCertificateFile(const std::string& path);

// Days (rounded down) from `now_unix_ms` until notAfter; negative when expired.
int64_t DaysLeft(const CertificateInfo& cert, int64_t now_unix_ms);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_CERTIFICATE_H_
