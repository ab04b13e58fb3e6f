#include "client/exit_codes.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace samrad::client {
namespace {
constexpr char kExitPayloadUrl[] = "samrad.client/exit-code";
}  // namespace

absl::Status WithExitCode(absl::Status status, ExitCode code) {
  if (status.ok()) return status;
  status.SetPayload(kExitPayloadUrl, absl::Cord(std::to_string(ToInt(code))));
  return status;
}

ExitCode ExitCodeOf(const absl::Status& status) {
  if (status.ok()) return ExitCode::kOk;
  if (auto payload = status.GetPayload(kExitPayloadUrl); payload.has_value()) {
    int value = 0;
    if (absl::SimpleAtoi(std::string(*payload), &value) && value > 0 && value <= 10) {
      return static_cast<ExitCode>(value);
    }
  }
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return ExitCode::kUnreachable;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return ExitCode::kPermission;
    case absl::StatusCode::kNotFound:
      return ExitCode::kNotFound;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return ExitCode::kConflict;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kOutOfRange:
      return ExitCode::kRejected;
    case absl::StatusCode::kDataLoss:
      return ExitCode::kKeystore;
    default:
      return ExitCode::kFailure;
  }
}

}  // namespace samrad::client
