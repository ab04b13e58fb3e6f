// The reason catalogue: why the relay refused a request, as a stable id
// that the relay and the client share, so the client can say it in the
// user's language without reading the relay's English.
//
// Each Reason has a wire token (a short stable string, e.g. "thread-closed";
// never reused for another meaning) and an English and a Swedish template
// with positional arguments $0..$9 (absl::Substitute style). Arguments are
// identifiers, numbers and dates the relay already names in its message —
// never message content. The English template is exactly the relay's
// message, so logs and older clients read what they always read.
//
// Enum values are never renumbered or reused: new reasons go at the end.
//
// On the relay: reasons::Error(code, Reason::kThreadClosed, {thread_id})
// builds the absl::Status (English message + a payload with token and
// arguments); server/status.cc ToGrpcStatus puts EncodeDetail() into the
// grpc status's error_details. On the client: relay_client.cc decodes it
// back into the same payload (AttachReason), and the CLI renders the
// template in the user's language (client/cli.cc ReportFailure).
//
// Thread-safety: the catalogue is a constant table and every function is
// pure; all are safe from any thread. Statuses carry their reason as a
// payload by value.
#ifndef SAMRAD_COMMON_REASONS_H_
#define SAMRAD_COMMON_REASONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace samrad::reasons {

enum class Reason : int {
  kThreadClosed = 0,
  kThreadNotFound = 1,
  kThreadNotVisible = 2,
  kClaimedByOther = 3,
  kAlreadyClaimed = 4,
  kNotClaimedByYou = 5,
  kNotClaimedCannotHandOver = 6,
  kNotClaimedByAnyone = 7,
  kSequenceOutOfOrder = 8,
  kNoSuchMessage = 9,
  kSerialNotRevoked = 10,
  kNoDirectory = 11,
  kNoDirectoryYet = 12,
  kAlreadyClosed = 13,
  kQueuePageSize = 14,
  kBadCursor = 15,
  kDirectoryRequired = 16,
  kDirectoryUnverified = 17,
  kDirectoryStale = 18,
  kEpochNotHigher = 19,
  kSerialNotRevokedHint = 20,
  kGroupByUnknown = 21,
  kGroupByTwice = 22,
  kAuditLimit = 23,
  kBackupsOff = 24,
  kShuttingDown = 25,
  kCountyNotYours = 26,
  kCountyUnrouted = 27,
  kMethodNationalOnly = 28,
  kMethodRoles = 29,
  kMethodUnknown = 30,
  kHeaderSequence = 31,
  kHeaderUnit = 32,
  kHeaderEpoch = 33,
  kHandOverToSelf = 34,
  kReferToOwnUnit = 35,
  kRateLimited = 36,
  kThreadAlreadyClosed = 37,
  kStoredEpochNotHigher = 38,
  kMessageIdUsedDifferently = 39,
  kThreadExists = 40,
  kMessageIdUsed = 41,
  kReferralSequence = 42,
  kTooManyWraps = 43,
  kPeriodNotEnded = 44,
  kProofReused = 45,
  kTooManyProofs = 46,
  kStreamsFull = 47,
  kStreamsPerCertificate = 48,
  kShareClosed = 49,
  kCertificateRevoked = 50,
  kRevokeSelf = 51,
  kRevokeNotYourUnit = 52,
  kRevokeInFlight = 53,
  kStreamShutdown = 54,
  kCertificateExpired = 55,
  kCertificateBeingRevoked = 56,
  kMessageIdReused = 57,
  kStreamsProfessionalShare = 58,
  kUnitNotInDirectory = 59,
  kReferClosed = 60,
  kReferRewrapsIncomplete = 61,
  kReferNoteRequired = 62,
  kShareKeyNotUnitAdviser = 63,
  kCount_,  // not a reason: the number of entries
};

// The two texts of a reason and its wire token.
struct ReasonText {
  const char* token;
  const char* english;
  const char* swedish;
};

// The catalogue entry of `reason` (reason < kCount_).
const ReasonText& TextOf(Reason reason);

// The reason whose token is `token`; nullopt for a token this build does
// not know (a newer relay).
std::optional<Reason> FromToken(absl::string_view token);

// `templ` with $0..$9 replaced by args[0..9] ("$$" is "$"). A placeholder
// without an argument becomes empty.
std::string Render(absl::string_view templ, const std::vector<std::string>& args);

// A reason as carried on the wire: the token (possibly unknown here) and
// the arguments.
struct WireReason {
  std::string token;
  std::vector<std::string> args;
};

// An error with `code`, the English text of `reason` with `args` as its
// message, and the reason attached (ReasonOf finds it).
[[nodiscard]] absl::Status Error(absl::StatusCode code, Reason reason,
                                 std::vector<std::string> args);

// The reason attached to `status` (by Error or AttachReason), if any.
std::optional<WireReason> ReasonOf(const absl::Status& status);

// True when `status` carries `reason`.
bool Is(const absl::Status& status, Reason reason);

// `status` with `reason` attached (no-op on OK).
[[nodiscard]] absl::Status AttachReason(absl::Status status, const WireReason& reason);

// The grpc error_details form: kDetailPrefix, then the token and each
// argument, each preceded by '\n' (newlines inside arguments become spaces).
inline constexpr char kDetailPrefix[] = "samrad.v1/reason";
std::string EncodeDetail(const WireReason& reason);
// nullopt unless `detail` is an EncodeDetail output.
std::optional<WireReason> DecodeDetail(absl::string_view detail);

}  // namespace samrad::reasons

#endif  // SAMRAD_COMMON_REASONS_H_
