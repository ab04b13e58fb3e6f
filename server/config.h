// Loading and checking the relay's configuration (proto/config.proto).
//
// Thread-safety: functions of their arguments and the files they read; safe
// from any thread. Nothing here keeps state.
#ifndef SAMRAD_SERVER_CONFIG_H_
#define SAMRAD_SERVER_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/config.pb.h"

namespace samrad::server {

// Parses a text-format RelayConfig. NOT_FOUND when the file is missing;
// INVALID_ARGUMENT with "FILE:LINE:COLUMN: ..." for syntax errors and unknown
// fields. Does not apply defaults (see FinalizeConfig).
[[nodiscard]] absl::StatusOr<v1::RelayConfig> ParseRelayConfigFile(const std::string& path);
[[nodiscard]] absl::StatusOr<v1::RelayConfig> ParseRelayConfigText(const std::string& text,
                                                                   const std::string& source_name);

// Fills every unset field with its documented default, then checks ranges and
// required fields. INVALID_ARGUMENT naming the field ("limits.rate_burst must
// be ...") for the first problem. Files are not opened here.
[[nodiscard]] absl::Status FinalizeConfig(v1::RelayConfig& config);

// Reads a 32-byte Ed25519 public key from a file holding 32 raw bytes or 64 hex
// characters (surrounding whitespace allowed). NOT_FOUND / INVALID_ARGUMENT
// naming the path.
[[nodiscard]] absl::StatusOr<std::string> LoadPublicKeyFile(const std::string& path);

// Reads a whole file. PERMISSION_DENIED (naming the path, the user and the
// fix) when the relay's user may not read it, NOT_FOUND naming the path when
// it does not exist, INVALID_ARGUMENT for a directory.
[[nodiscard]] absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// The status for open(2) failing with `error_number` on `path`, which is
// `what` ("kek_file", "tls.cert_file", ...): PERMISSION_DENIED for EACCES and
// EPERM with the user and the fix, NOT_FOUND otherwise.
[[nodiscard]] absl::Status OpenError(absl::string_view what, const std::string& path,
                                     int error_number);

// The name of the effective user ("uid N" when it has none).
std::string CurrentUserName();

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_CONFIG_H_
