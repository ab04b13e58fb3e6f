// Whether a failed request to the relay may succeed when repeated unchanged.
//
// Transient (store it, `samrad resend REF` later): the relay could not be
// reached or did not answer (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED), was
// busy or full (RESOURCE_EXHAUSTED from a rate limit, a stream budget or a
// full disk), lost a race (ABORTED), or failed inside (INTERNAL, UNKNOWN,
// DATA_LOSS: the relay's own message says "try again later"); also a local
// failure before the relay was asked (a status tagged ExitCode::kConfig or
// kKeystore: fix the profile or passphrase, then resend).
//
// Permanent (explain, offer `samrad discard REF`): the relay judged the
// request itself and will judge it the same way again — INVALID_ARGUMENT,
// OUT_OF_RANGE, PERMISSION_DENIED, UNAUTHENTICATED (certificate expired,
// revoked or not trusted), FAILED_PRECONDITION (e.g. sealed for a directory
// epoch that is no longer current), NOT_FOUND, ALREADY_EXISTS, UNIMPLEMENTED,
// and RESOURCE_EXHAUSTED that the relay marks as a size limit
// (common/relay_protocol.h).
//
// client/README.md ("Transient and permanent refusals") documents this table.
//
// Pure functions of the status; thread-safe.
#ifndef SAMRAD_CLIENT_STATUS_CLASS_H_
#define SAMRAD_CLIENT_STATUS_CLASS_H_

#include "absl/status/status.h"

namespace samrad::client {

enum class FailureKind { kTransient, kPermanent };

// The kind of a non-OK `status` returned by RelayClient (or by a command
// step before it). Undefined for OK.
FailureKind ClassifyFailure(const absl::Status& status);

// Tags `status` as a size refusal (RelayClient::MapStatus does this when the
// relay's details say so); ClassifyFailure then calls it permanent.
[[nodiscard]] absl::Status MarkSizeLimit(absl::Status status);

// Marks `status` as already saying what to do, so the generic hint for its
// exit code is not added to the error line (cli.cc ReportFailure).
[[nodiscard]] absl::Status WithOwnAdvice(absl::Status status);
bool HasOwnAdvice(const absl::Status& status);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_STATUS_CLASS_H_
