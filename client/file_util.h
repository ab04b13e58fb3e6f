// Small POSIX file helpers for the client's private files (keystore, profile,
// directory files): whole-file reads and crash-safe atomic replacement.
//
// Stateless free functions; thread-safe as far as the file system is.
#ifndef SAMRAD_CLIENT_FILE_UTIL_H_
#define SAMRAD_CLIENT_FILE_UTIL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/messages.h"

namespace samrad::client {

// Reads the whole file. NOT_FOUND when it does not exist, PERMISSION_DENIED
// when it may not be read, RESOURCE_EXHAUSTED when larger than `max_bytes`,
// UNKNOWN for other I/O errors. Messages name the path.
[[nodiscard]] absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                                           size_t max_bytes = 16 * 1024 * 1024);

// Replaces `path` atomically with `contents`, file mode `mode`:
// writes a temporary file in the same directory (O_EXCL, `mode`), fsyncs it,
// renames it over `path`, then fsyncs the directory. After a crash or an error
// at any step, `path` holds either its old contents or the new ones, never a
// mix; on error the temporary file is removed. Errors name the path and the
// failing step (UNKNOWN, NOT_FOUND for a missing directory,
// PERMISSION_DENIED, RESOURCE_EXHAUSTED for a full disk or file-size limit).
[[nodiscard]] absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                               int mode = 0600);

// Creates `path` and missing parents with `mode` (like mkdir -p). OK when it
// exists already as a directory.
[[nodiscard]] absl::Status MakeDirectories(const std::string& path, int mode = 0700);

// The status for `err` (an errno value) from an operation on `path`, in the
// user's language (client/localized_status.h): `what` is the sentence, $0
// the path and $1 the cause (Msg::kLzCannotOpen, "cannot open $0: $1").
// "No such file", "permission denied", "read-only" and "no space" are
// localized; other errno values keep strerror's English text. The code
// follows `err` (NOT_FOUND, PERMISSION_DENIED, RESOURCE_EXHAUSTED, else
// UNKNOWN) unless `code` is given.
[[nodiscard]] absl::Status ErrnoStatus(int err, Msg what, const std::string& path,
                                       std::optional<absl::StatusCode> code = std::nullopt);

// True when `path` exists (any type).
bool PathExists(const std::string& path);

// Overwrites `s` with zeros in a way the compiler may not elide, then clears
// it. For plaintext that passed through a std::string (protobuf APIs).
void WipeString(std::string& s);

// The directory part of `path` ("." when it has none).
std::string DirName(const std::string& path);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_FILE_UTIL_H_
