// The exit codes of `samrad` and how an absl::Status becomes one.
//
// These numbers are an interface for scripts: never renumber one. They are
// listed in `samrad --help` and client/README.md.
//
// Pure functions over constant tables; thread-safe.
#ifndef SAMRAD_CLIENT_EXIT_CODES_H_
#define SAMRAD_CLIENT_EXIT_CODES_H_

#include "absl/status/status.h"

namespace samrad::client {

enum class ExitCode : int {
  kOk = 0,
  kFailure = 1,      // guard findings, or a failure no other code names
  kUsage = 2,        // unknown command or flag, missing or bad argument
  kUnreachable = 3,  // the relay could not be reached (or timed out)
  kPermission = 4,   // certificate rejected, revoked, or not allowed for this role/unit
  kNotFound = 5,     // case, unit, adviser or file not found
  kKeystore = 6,     // passphrase wrong, keystore or key file damaged
  kDirectory = 7,    // directory signature invalid, rolled back, or unusable
  kConflict = 8,     // the case's state forbids it (claimed by another, closed, …)
  kRejected = 9,     // the relay refused the input (invalid, too large, rate limit)
  kConfig = 10,      // no profile, or the profile/certificate files are unusable
};

inline int ToInt(ExitCode code) { return static_cast<int>(code); }

// Tags `status` with the exit code it must produce (kept through copies).
// Returns `status` unchanged when it is OK.
[[nodiscard]] absl::Status WithExitCode(absl::Status status, ExitCode code);

// The exit code for `status`: the tag set by WithExitCode, else a mapping of
// the status code (UNAVAILABLE/DEADLINE_EXCEEDED -> kUnreachable,
// UNAUTHENTICATED/PERMISSION_DENIED -> kPermission, NOT_FOUND -> kNotFound,
// FAILED_PRECONDITION/ALREADY_EXISTS/ABORTED -> kConflict,
// INVALID_ARGUMENT/RESOURCE_EXHAUSTED/OUT_OF_RANGE -> kRejected,
// DATA_LOSS -> kKeystore, anything else -> kFailure). kOk for OK.
ExitCode ExitCodeOf(const absl::Status& status);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_EXIT_CODES_H_
