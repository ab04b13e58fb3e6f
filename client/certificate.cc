#include "client/certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/file_util.h"
#include "common/ids.h"

namespace samrad::client {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};
using UniqueX509 = std::unique_ptr<X509, X509Free>;

constexpr absl::string_view kScheme = "samrad://";

// Every certificate in `pem`, in order (none when it holds none).
std::vector<UniqueX509> ReadPemCertificates(absl::string_view pem) {
  std::vector<UniqueX509> out;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(cert);
  }
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  return out;
}

absl::StatusOr<int64_t> UnixMs(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return absl::InvalidArgumentError("the certificate's validity dates cannot be read");
  }
  return static_cast<int64_t>(::timegm(&tm)) * 1000;
}

// Fills role, scope and id from samrad://ROLE/UNIT-OR-COUNTY/ID.
absl::Status ParseSamradUri(absl::string_view uri, CertificateInfo& out) {
  std::vector<std::string> parts = absl::StrSplit(uri.substr(kScheme.size()), '/');
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("the certificate's identity \"", uri,
                                                   "\" is malformed: ", why,
                                                   " (samrad://ROLE/UNIT-OR-COUNTY/ID)"));
  };
  if (parts.size() != 3) return bad("it needs three parts");
  const std::string& role = parts[0];
  if (role == "professional") {
    if (!ids::IsCountyCode(parts[1])) return bad("a professional's county must be a county code");
  } else if (role == "adviser" || role == "admin") {
    if (!ids::IsUnitId(parts[1]) && parts[1] != "national") return bad("the unit is not a unit id");
  } else {
    return bad("the role must be professional, adviser or admin");
  }
  if (!ids::IsClientId(parts[2])) return bad("the ID is not [A-Za-z0-9._-]{1,64}");
  out.role = parts[0];
  out.scope = parts[1];
  out.id = parts[2];
  out.uri = std::string(uri);
  return absl::OkStatus();
}

// The samrad:// URI among the SANs of `cert`, or "" when there is none.
std::string SamradUri(X509* cert) {
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return "";
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_STRING* value = name->d.uniformResourceIdentifier;
    std::string uri(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                    static_cast<size_t>(ASN1_STRING_length(value)));
    if (absl::StartsWith(uri, kScheme)) return uri;
  }
  return "";
}

}  // namespace

absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem) {
  std::vector<UniqueX509> certs = ReadPemCertificates(pem);
  if (certs.empty()) {
    return absl::InvalidArgumentError("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  X509* cert = certs.front().get();
  CertificateInfo info;
  absl::StatusOr<int64_t> not_before = UnixMs(X509_get0_notBefore(cert));
  if (!not_before.ok()) return not_before.status();
  absl::StatusOr<int64_t> not_after = UnixMs(X509_get0_notAfter(cert));
  if (!not_after.ok()) return not_after.status();
  info.not_before_unix_ms = *not_before;
  info.not_after_unix_ms = *not_after;
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const int len = ASN1_STRING_length(serial);
  info.serial_hex = len <= 0 ? std::string("00")
                             : ids::CanonicalSerialFromBytes(std::string_view(
                                   reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                                   static_cast<size_t>(len)));
  const std::string uri = SamradUri(cert);
  if (!uri.empty()) {
    if (absl::Status s = ParseSamradUri(uri, info); !s.ok()) return s;
  }
  return info;
}

absl::StatusOr<CertificateInfo> ReadCertificateFile(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileToString(path, 1 << 20);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(), absl::StrCat("cannot read the certificate ", path,
                                                          ": ", pem.status().message()));
  }
  absl::StatusOr<CertificateInfo> info = ParseCertificatePem(*pem);
  if (!info.ok()) {
    return absl::Status(info.status().code(),
                        absl::StrCat("the certificate ", path, ": ", info.status().message()));
  }
  return info;
}

int64_t DaysLeft(const CertificateInfo& cert, int64_t now_unix_ms) {
  const int64_t left = cert.not_after_unix_ms - now_unix_ms;
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  return left >= 0 ? left / kDayMs : -((-left + kDayMs - 1) / kDayMs);
}

}  // namespace samrad::client
