#include "crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"

namespace samrad::crypto::x509 {
namespace {

constexpr absl::string_view kScheme = "samrad://";

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
// Owns the stack but not its certificates (they belong to Certificate objects).
struct StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using UniqueBio = std::unique_ptr<BIO, BioFree>;

UniqueBio MemBio(absl::string_view pem) {
  return UniqueBio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Unix milliseconds of an ASN.1 time, or nullopt when it cannot be read.
std::optional<int64_t> UnixMs(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(::timegm(&tm)) * 1000;
}

ChainProblem ProblemOf(int verify_error) {
  switch (verify_error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return ChainProblem::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ChainProblem::kNotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return ChainProblem::kUntrustedIssuer;
    case X509_V_ERR_INVALID_PURPOSE:
      return ChainProblem::kNotClientAuth;
    default:
      return ChainProblem::kOther;
  }
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kProfessional:
      return "professional";
    case Role::kAdviser:
      return "adviser";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<SamradName> ParseSamradUri(absl::string_view uri) {
  if (!absl::StartsWith(uri, kScheme)) {
    return absl::InvalidArgumentError("the certificate's SAN URI must start with samrad://");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(uri.substr(kScheme.size()), '/');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        "the certificate's SAN URI must be samrad://ROLE/UNIT-OR-COUNTY/ID");
  }
  SamradName name;
  if (parts[0] == "professional") {
    name.role = Role::kProfessional;
    if (!ids::IsCountyCode(parts[1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a professional's certificate must name a county code (samrad://professional/07/ID): ",
          ids::CountyChoices()));
    }
  } else if (parts[0] == "adviser" || parts[0] == "admin") {
    name.role = parts[0] == "adviser" ? Role::kAdviser : Role::kAdmin;
    if (!ids::IsUnitId(parts[1])) {
      return absl::InvalidArgumentError(
          "the certificate's unit must match [a-z0-9-]{1,64} (samrad://adviser/rc-kronoberg/ID)");
    }
  } else {
    return absl::InvalidArgumentError(
        "the certificate's role must be professional, adviser or admin");
  }
  if (!ids::IsClientId(parts[2])) {
    return absl::InvalidArgumentError("the certificate's ID must match [A-Za-z0-9._-]{1,64}");
  }
  name.scope = std::string(parts[1]);
  name.id = std::string(parts[2]);
  name.uri = std::string(uri);
  return name;
}

// ---- Certificate ----

void Certificate::Free::operator()(x509_st* cert) const { X509_free(cert); }

Certificate::Certificate(std::unique_ptr<x509_st, Free> cert) : cert_(std::move(cert)) {}
Certificate::Certificate(Certificate&&) noexcept = default;
Certificate& Certificate::operator=(Certificate&&) noexcept = default;
Certificate::~Certificate() = default;

std::vector<Certificate> Certificate::AllFromPem(absl::string_view pem) {
  std::vector<Certificate> out;
  UniqueBio bio = MemBio(pem);
  if (bio == nullptr) return out;
  while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    Certificate cert{std::unique_ptr<x509_st, Free>(raw)};
    const std::optional<int64_t> not_before = UnixMs(X509_get0_notBefore(raw));
    const std::optional<int64_t> not_after = UnixMs(X509_get0_notAfter(raw));
    if (!not_before.has_value() || !not_after.has_value()) continue;
    cert.not_before_unix_ms_ = *not_before;
    cert.not_after_unix_ms_ = *not_after;
    out.push_back(std::move(cert));
  }
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  return out;
}

absl::StatusOr<Certificate> Certificate::FromPem(absl::string_view pem) {
  std::vector<Certificate> all = AllFromPem(pem);
  if (all.empty()) {
    return absl::InvalidArgumentError(
        "it holds no PEM certificate (-----BEGIN CERTIFICATE-----) with readable dates");
  }
  return std::move(all.front());
}

std::string Certificate::SerialHex() const {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert_.get());
  const int len = ASN1_STRING_length(serial);
  if (len <= 0) return "00";
  return ids::CanonicalSerialFromBytes(std::string_view(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)), static_cast<size_t>(len)));
}

std::vector<std::string> Certificate::SamradUris() const {
  std::vector<std::string> uris;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert_.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* value = name->d.uniformResourceIdentifier;
    std::string uri(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                    static_cast<size_t>(ASN1_STRING_length(value)));
    if (absl::StartsWith(uri, kScheme)) uris.push_back(std::move(uri));
  }
  return uris;
}

bool Certificate::SameAs(const Certificate& other) const {
  return X509_cmp(cert_.get(), other.cert_.get()) == 0;
}

// ---- TrustStore ----

absl::StatusOr<TrustStore> TrustStore::FromPem(absl::string_view pem) {
  std::vector<Certificate> certs = Certificate::AllFromPem(pem);
  if (certs.empty()) return absl::InvalidArgumentError("it holds no PEM certificate");
  std::shared_ptr<x509_store_st> store(X509_STORE_new(), X509_STORE_free);
  if (store == nullptr) return absl::InternalError("out of memory for a certificate store");
  for (const Certificate& cert : certs) {
    // X509_STORE_add_cert takes its own reference; duplicates are harmless.
    if (X509_STORE_add_cert(store.get(), cert.native()) != 1) ERR_clear_error();
  }
  return TrustStore(std::move(store));
}

ChainCheck TrustStore::Verify(const Certificate& leaf, const std::vector<Certificate>& untrusted,
                              std::optional<int64_t> at_unix_ms) const {
  std::unique_ptr<STACK_OF(X509), StackFree> chain(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (chain == nullptr || ctx == nullptr) {
    ERR_clear_error();
    return {ChainProblem::kOther, "out of memory"};
  }
  for (const Certificate& cert : untrusted) {
    if (!cert.SameAs(leaf)) sk_X509_push(chain.get(), cert.native());
  }
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.native(), chain.get()) != 1) {
    ERR_clear_error();
    return {ChainProblem::kOther, "could not set up certificate verification"};
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (at_unix_ms.has_value()) {
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*at_unix_ms / 1000));
  } else {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  }
  if (X509_verify_cert(ctx.get()) == 1) return {};
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return {ProblemOf(error), X509_verify_cert_error_string(error)};
}

// ---- Key pairs ----

KeyPairProblem CheckKeyPair(absl::string_view cert_pem, absl::string_view key_pem) {
  absl::StatusOr<Certificate> cert = Certificate::FromPem(cert_pem);
  if (!cert.ok()) return KeyPairProblem::kNoCertificate;
  UniqueBio bio = MemBio(key_pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      bio == nullptr ? nullptr : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  KeyPairProblem problem = KeyPairProblem::kNone;
  if (key == nullptr) {
    problem = KeyPairProblem::kNoKey;
  } else if (X509_check_private_key(cert->native(), key.get()) != 1) {
    problem = KeyPairProblem::kMismatch;
  }
  ERR_clear_error();
  return problem;
}

}  // namespace samrad::crypto::x509
