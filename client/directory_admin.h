// The admin's key directory workspace (`samrad admin directory ...`).
//
// A workspace is a folder holding:
//   directory-key.sealed  the offline Ed25519 directory signing key, sealed
//                         under its own passphrase (sealed_file.h, "SAMRADDK")
//   directory.pub         the directory public key, 64 hex characters + "\n";
//                         pinned by every client profile and the relay
//   directory.textproto   the working KeyDirectory (text format); its epoch is
//                         that of the last signature (0 before the first)
//   signed-directory.pb   the last SignedDirectory (binary), what `publish`
//                         sends
// Every file is replaced atomically. Editing functions change a KeyDirectory
// in memory and check the content rules of crypto::ValidateDirectory as far
// as they can be checked before signing.
//
// Stateless free functions; a workspace must not be edited by two processes
// at once (the last writer wins).
#ifndef SAMRAD_CLIENT_DIRECTORY_ADMIN_H_
#define SAMRAD_CLIENT_DIRECTORY_ADMIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/sealed_file.h"
#include "crypto/directory.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "proto/directory.pb.h"

namespace samrad::client {

inline constexpr char kDirectoryKeyMagic[] = "SAMRADDK";
inline constexpr char kDirectoryKeyFile[] = "directory-key.sealed";
inline constexpr char kDirectoryPubFile[] = "directory.pub";
inline constexpr char kWorkingDirectoryFile[] = "directory.textproto";
inline constexpr char kSignedDirectoryFile[] = "signed-directory.pb";

struct DirectoryInitOptions {
  std::string out_dir;       // created (0700); must not hold a key already
  std::string routing_path;  // KeyDirectory text format: units + fallback
  Argon2Params argon2;       // for the key file
  int64_t now_unix_ms = 0;
};

// Creates the workspace: a fresh directory key sealed under `passphrase`,
// directory.pub, and the working directory from the routing table.
// ALREADY_EXISTS when `out_dir` already holds a directory key;
// INVALID_ARGUMENT when the routing table does not parse or breaks the
// content rules. Returns the public key hex.
[[nodiscard]] absl::StatusOr<std::string> InitDirectoryWorkspace(
    const DirectoryInitOptions& options, const crypto::SecretBytes& passphrase,
    crypto::RandomSource& rng = crypto::SystemRandom());

// Parses a KeyDirectory in text format (routing table or working file).
// INVALID_ARGUMENT saying where ("line 3 column 7: ...").
[[nodiscard]] absl::StatusOr<v1::KeyDirectory> ParseDirectoryText(absl::string_view text);

// The workspace's working file; read errors as ReadFileToString, parse
// errors as ParseDirectoryText.
[[nodiscard]] absl::StatusOr<v1::KeyDirectory> LoadWorkingDirectory(const std::string& dir);

// The units of `directory` that list no adviser (their questions go to the
// fallback unit, crypto::RouteNewCase), in directory order.
std::vector<const v1::UnitEntry*> UnitsWithoutAdvisers(const v1::KeyDirectory& directory);
// Validates (as CheckWorkingDirectory) and saves (errors as
// WriteFileAtomically).
[[nodiscard]] absl::Status SaveWorkingDirectory(const std::string& dir,
                                                const v1::KeyDirectory& directory);

// The content rules of crypto::ValidateDirectory, except that epoch 0 is
// allowed (not yet signed). INVALID_ARGUMENT; messages name the unit,
// county or adviser.
[[nodiscard]] absl::Status CheckWorkingDirectory(const v1::KeyDirectory& directory);

// Adds `unit_id` or replaces its display name and counties (its advisers are
// kept). FAILED_PRECONDITION when a county already belongs to another unit;
// INVALID_ARGUMENT for a malformed id or county code. `make_fallback` makes
// it the fallback unit.
[[nodiscard]] absl::Status AddUnit(v1::KeyDirectory& directory, absl::string_view unit_id,
                                   absl::string_view display_name,
                                   const std::vector<std::string>& counties, bool make_fallback);
// NOT_FOUND for an unknown unit; FAILED_PRECONDITION for the fallback unit.
[[nodiscard]] absl::Status RemoveUnit(v1::KeyDirectory& directory, absl::string_view unit_id);

// Adds the adviser to the unit, or replaces their keys (rotation).
// NOT_FOUND for an unknown unit; INVALID_ARGUMENT for malformed keys;
// FAILED_PRECONDITION when the adviser id is already listed in another unit.
[[nodiscard]] absl::Status AddAdviser(v1::KeyDirectory& directory, absl::string_view unit_id,
                                      const v1::AdviserKeys& adviser);
// NOT_FOUND for an unknown unit or adviser. With `revoke_signing_key` their
// signing key is also listed as revoked, so clients refuse everything it
// signed (a lost or stolen key), not only what it signs from now on.
[[nodiscard]] absl::Status RemoveAdviser(v1::KeyDirectory& directory, absl::string_view unit_id,
                                         absl::string_view adviser_id, bool revoke_signing_key);

// The public bundle an adviser hands to the admin: AdviserKeys in protobuf
// JSON ({"adviserId": ..., "encryptionPublicKey": base64, "signingPublicKey":
// base64}) plus "\n".
std::string FormatAdviserBundle(const v1::AdviserKeys& adviser);
// INVALID_ARGUMENT when it does not parse or a key is not 32 bytes or the id
// is empty.
[[nodiscard]] absl::StatusOr<v1::AdviserKeys> ParseAdviserBundle(absl::string_view json);

struct SignOptions {
  int64_t now_unix_ms = 0;
  // not_after = now + this; 1 ms .. crypto::kMaxDirectoryValidityMs.
  int64_t valid_for_ms = crypto::kDefaultDirectoryValidityMs;
  // Re-sign the content of the last signed directory (not the working
  // file's edits) with a new epoch and dates: `directory refresh`.
  bool refresh = false;
};

// Opens the sealed directory key, raises the epoch by one above both the
// working file and the last signature, stamps issued_at and not_after,
// signs, writes signed-directory.pb and the working file (its epoch and
// dates follow the signature). UNAUTHENTICATED (wrong passphrase) /
// DATA_LOSS (damaged key file) tagged kKeystore; INVALID_ARGUMENT when the
// directory breaks a content rule or the validity is out of range;
// FAILED_PRECONDITION (kNotFound) for a refresh before the first sign.
[[nodiscard]] absl::StatusOr<v1::SignedDirectory> SignWorkspace(
    const std::string& dir, const crypto::SecretBytes& passphrase, const SignOptions& options);

// The last signed directory. NOT_FOUND before the first `sign`.
[[nodiscard]] absl::StatusOr<v1::SignedDirectory> LoadSignedDirectory(const std::string& dir);
// The workspace's public key (from directory.pub); errors as
// ReadFileToString, INVALID_ARGUMENT when it is not 64 hex characters.
[[nodiscard]] absl::StatusOr<std::string> LoadDirectoryPublicKeyHex(const std::string& dir);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_DIRECTORY_ADMIN_H_
