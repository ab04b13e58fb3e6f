// X.509 for Samråd: the one module that parses and verifies certificates.
// The relay (server/identity.cc: who is calling, which certificate an admin
// revokes; server/served_key_pair.cc: its own TLS pair) and the client
// (client/certificate.cc: the profile's certificate) call it; no other code
// touches OpenSSL's X.509 API.
//
// Identity: a client certificate names its holder in exactly one SAN URI
// samrad://ROLE/UNIT-OR-COUNTY/ID (ParseSamradUri). Serials are given in
// their one canonical text (ids::CanonicalSerial), so a serial read here
// compares equal to one typed by a person.
//
// Ownership: every OpenSSL object is held by a unique_ptr (or, for a trust
// store shared between snapshots, a shared_ptr) with its free function; no
// OpenSSL type appears in this header. Certificate and TrustStore are
// immutable after construction and safe to use from many threads at once.
#ifndef SAMRAD_CRYPTO_X509_H_
#define SAMRAD_CRYPTO_X509_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct x509_st;        // OpenSSL's X509
struct x509_store_st;  // OpenSSL's X509_STORE

namespace samrad::crypto::x509 {

enum class Role { kProfessional, kAdviser, kAdmin };

// "professional", "adviser", "admin".
absl::string_view RoleName(Role role);

// What samrad://ROLE/UNIT-OR-COUNTY/ID says.
struct SamradName {
  Role role = Role::kProfessional;
  // Professional: a county code (ids::IsCountyCode). Adviser and admin: a
  // unit id (ids::IsUnitId; an admin's may be "national").
  std::string scope;
  std::string id;   // ids::IsClientId
  std::string uri;  // as written
};

// Parses samrad://ROLE/UNIT-OR-COUNTY/ID. INVALID_ARGUMENT naming the part
// that is wrong ("the certificate's ...") for any other text.
[[nodiscard]] absl::StatusOr<SamradName> ParseSamradUri(absl::string_view uri);

// One parsed certificate. Movable, not copyable.
class Certificate {
 public:
  // The first certificate in `pem` (PEM text, more may follow).
  // INVALID_ARGUMENT when it holds none or its validity dates cannot be read.
  [[nodiscard]] static absl::StatusOr<Certificate> FromPem(absl::string_view pem);
  // Every certificate in `pem` that parses, in order (none for none).
  static std::vector<Certificate> AllFromPem(absl::string_view pem);

  Certificate(Certificate&&) noexcept;
  Certificate& operator=(Certificate&&) noexcept;
  ~Certificate();

  // The serial in its canonical text (ids::CanonicalSerial): uppercase hex,
  // no leading zero bytes, "00" for zero.
  std::string SerialHex() const;
  int64_t not_before_unix_ms() const { return not_before_unix_ms_; }
  int64_t not_after_unix_ms() const { return not_after_unix_ms_; }
  // The SAN URIs that start with samrad://, in the certificate's order.
  std::vector<std::string> SamradUris() const;
  // True when both are the same certificate (same DER encoding).
  bool SameAs(const Certificate& other) const;

  // For this module's TrustStore only.
  x509_st* native() const { return cert_.get(); }

 private:
  struct Free {
    void operator()(x509_st* cert) const;
  };
  explicit Certificate(std::unique_ptr<x509_st, Free> cert);

  std::unique_ptr<x509_st, Free> cert_;
  int64_t not_before_unix_ms_ = 0;
  int64_t not_after_unix_ms_ = 0;
};

// Why a chain did not verify.
enum class ChainProblem {
  kNone,
  kExpired,          // notAfter is before the check time
  kNotYetValid,      // notBefore is after the check time
  kUntrustedIssuer,  // does not chain to a trusted certificate (or self-signed)
  kNotClientAuth,    // extendedKeyUsage lacks clientAuth
  kOther,            // bad signature, bad extension, ...: see `reason`
};

struct ChainCheck {
  ChainProblem problem = ChainProblem::kNone;
  std::string reason;  // OpenSSL's words, for kOther; empty when ok
  bool ok() const { return problem == ChainProblem::kNone; }
};

// A set of trusted CA certificates. Copies share the same immutable store.
class TrustStore {
 public:
  // Trusts every certificate in `pem`. INVALID_ARGUMENT when it holds none.
  [[nodiscard]] static absl::StatusOr<TrustStore> FromPem(absl::string_view pem);

  // Verifies that `leaf` chains to a trusted certificate through
  // `untrusted` intermediates (certificates equal to `leaf` are ignored),
  // with every signature checked. `at_unix_ms` set: the validity periods at
  // that time and the clientAuth purpose are checked too; unset: neither
  // (an expired certificate still "was issued by" the CA).
  ChainCheck Verify(const Certificate& leaf, const std::vector<Certificate>& untrusted,
                    std::optional<int64_t> at_unix_ms) const;

 private:
  explicit TrustStore(std::shared_ptr<x509_store_st> store) : store_(std::move(store)) {}
  std::shared_ptr<x509_store_st> store_;
};

// Whether a PEM certificate and an unencrypted PEM private key belong
// together (a TLS key pair).
enum class KeyPairProblem { kNone, kNoCertificate, kNoKey, kMismatch };
KeyPairProblem CheckKeyPair(absl::string_view cert_pem, absl::string_view key_pem);

}  // namespace samrad::crypto::x509

#endif  // SAMRAD_CRYPTO_X509_H_
