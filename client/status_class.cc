#include "client/status_class.h"

#include "absl/strings/cord.h"
#include "client/exit_codes.h"

namespace samrad::client {
namespace {
constexpr char kSizeLimitPayloadUrl[] = "samrad.client/size-limit";
constexpr char kOwnAdvicePayloadUrl[] = "samrad.client/own-advice";
}  // namespace

absl::Status WithOwnAdvice(absl::Status status) {
  if (!status.ok()) status.SetPayload(kOwnAdvicePayloadUrl, absl::Cord("1"));
  return status;
}

bool HasOwnAdvice(const absl::Status& status) {
  return status.GetPayload(kOwnAdvicePayloadUrl).has_value();
}

absl::Status MarkSizeLimit(absl::Status status) {
  if (!status.ok()) status.SetPayload(kSizeLimitPayloadUrl, absl::Cord("1"));
  return status;
}

FailureKind ClassifyFailure(const absl::Status& status) {
  if (status.GetPayload(kSizeLimitPayloadUrl).has_value()) return FailureKind::kPermanent;
  // A local failure before the relay was asked: the request was never judged.
  const ExitCode tagged = ExitCodeOf(status);
  if (tagged == ExitCode::kConfig || tagged == ExitCode::kKeystore) {
    return FailureKind::kTransient;
  }
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return FailureKind::kTransient;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kUnimplemented:
    default:
      return FailureKind::kPermanent;
  }
}

}  // namespace samrad::client
