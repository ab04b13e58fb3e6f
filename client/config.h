// The client profile (proto/client.proto ClientProfile) on disk, in protobuf
// text format, and where it lives.
//
// Location: --config FILE, else $SAMRAD_CONFIG, else
// $XDG_CONFIG_HOME/samrad/config, else $HOME/.config/samrad/config.
// Stateless free functions; thread-safe.
#ifndef SAMRAD_CLIENT_CONFIG_H_
#define SAMRAD_CLIENT_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/keys.h"
#include "google/protobuf/message.h"
#include "proto/client.pb.h"

namespace samrad::client {

// The profile path given the --config value and the environment values
// (empty = unset). FAILED_PRECONDITION tagged kConfig when none is usable.
[[nodiscard]] absl::StatusOr<std::string> ResolveProfilePath(absl::string_view flag_value,
                                                             absl::string_view env_samrad_config,
                                                             absl::string_view env_xdg_config_home,
                                                             absl::string_view env_home);

// Parses protobuf text format without protobuf's own logging. On failure
// INVALID_ARGUMENT whose message says where ("line 3 column 7: ...").
[[nodiscard]] absl::Status ParseTextProto(absl::string_view text, google::protobuf::Message* out);

// Reads and validates a profile. NOT_FOUND / INVALID_ARGUMENT tagged kConfig
// with a message that names the file and the field.
[[nodiscard]] absl::StatusOr<v1::ClientProfile> LoadProfile(const std::string& path);

// Writes the profile (mode 0600, atomically; parent directories created).
// Errors: as WriteFileAtomically and MakeDirectories (client/file_util.h).
[[nodiscard]] absl::Status SaveProfile(const std::string& path, const v1::ClientProfile& profile);

// Field checks: relay_address is host:port, the three PEM paths and the
// keystore path are set, the directory key is 64 hex characters.
// INVALID_ARGUMENT naming the first field that fails.
[[nodiscard]] absl::Status ValidateProfile(const v1::ClientProfile& profile);

// The pinned directory public key of the profile; INVALID_ARGUMENT tagged
// kConfig when it is not 64 hex characters of an Ed25519 key.
[[nodiscard]] absl::StatusOr<crypto::Ed25519PublicKey> PinnedDirectoryKey(
    const v1::ClientProfile& profile);

// Lowercase hex of `bytes`, and the inverse (INVALID_ARGUMENT on odd length
// or a non-hex character).
std::string ToHex(absl::string_view bytes);
[[nodiscard]] absl::StatusOr<std::string> FromHex(absl::string_view hex);

// Accepts either 64 hex characters or the path of a file whose first line
// holds them (as `samrad admin directory init` writes directory.pub).
// Returns the lowercase hex. INVALID_ARGUMENT when neither; a file's read
// errors as ReadFileToString (client/file_util.h).
[[nodiscard]] absl::StatusOr<std::string> ReadDirectoryPublicKeyArgument(absl::string_view value);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_CONFIG_H_
