#include "client/certificate.h"

#include "absl/strings/str_cat.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "common/status_macros.h"
#include "crypto/x509.h"

namespace samrad::client {

absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem) {
  SAMRAD_ASSIGN_OR_RETURN(crypto::x509::Certificate cert, crypto::x509::Certificate::FromPem(pem));
  CertificateInfo info;
  info.not_before_unix_ms = cert.not_before_unix_ms();
  info.not_after_unix_ms = cert.not_after_unix_ms();
  info.serial_hex = cert.SerialHex();
  const std::vector<std::string> uris = cert.SamradUris();
  if (uris.empty()) return info;
  SAMRAD_ASSIGN_OR_RETURN(crypto::x509::SamradName name, crypto::x509::ParseSamradUri(uris[0]));
  info.role = std::string(crypto::x509::RoleName(name.role));
  info.scope = std::move(name.scope);
  info.id = std::move(name.id);
  info.uri = std::move(name.uri);
  return info;
}

absl::StatusOr<CertificateInfo> ReadCertificateFile(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileToString(path, 1 << 20);
  if (!pem.ok()) {
    return LocalizedWrap(pem.status().code(), Msg::kLzCannotReadCertificate, {path}, pem.status());
  }
  absl::StatusOr<CertificateInfo> info = ParseCertificatePem(*pem);
  if (!info.ok()) {
    return LocalizedWrap(info.status().code(), Msg::kLzCertificateUnreadable, {path},
                         ForeignText(info.status()));
  }
  return info;
}

int64_t DaysLeft(const CertificateInfo& cert, int64_t now_unix_ms) {
  const int64_t left = cert.not_after_unix_ms - now_unix_ms;
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  return left >= 0 ? left / kDayMs : -((-left + kDayMs - 1) / kDayMs);
}

}  // namespace samrad::client
