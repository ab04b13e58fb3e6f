#include "server/status.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/reasons.h"
#include "common/relay_protocol.h"
#include "crypto/random.h"
#include "server/log.h"
#include "storage/store.h"

namespace samrad::server {
namespace {

// What a client hears when a write fails because the store's volume is full.
// The store's own message names RocksDB's files and paths; that goes to the
// operator's log instead.
constexpr char kDiskFullMessage[] =
    "the relay's storage is full, so nothing was stored; try again later (operators: free "
    "space on the relay's data volume, writes resume by themselves)";

// The absl::Status payload that marks a size refusal (SizeLimitError).
constexpr char kSizeLimitPayloadUrl[] = "samrad.server/size-limit";

// Logs the store's disk-full detail at most once per 10 seconds, so a load
// of failing writes does not flood the log.
void LogDiskFull(const absl::Status& status) {
  static std::atomic<int64_t> last_logged_s{0};
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
  int64_t last = last_logged_s.load();
  if (last != 0 && now_s - last < 10) return;
  if (!last_logged_s.compare_exchange_strong(last, now_s)) return;
  LogError("storage_full", {{"reason", status.message()}});
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  if (storage::IsDiskFull(status)) {
    LogDiskFull(status);
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, kDiskFullMessage);
  }
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss || status.code() == absl::StatusCode::kUnknown) {
    const std::string reference = absl::BytesToHexString(crypto::RandomString(4));
    LogError("internal_error", {{"code", absl::StatusCodeToString(status.code())},
                                {"reference", reference},
                                {"reason", status.message()}});
    return grpc::Status(
        static_cast<grpc::StatusCode>(static_cast<int>(status.code())),
        absl::StrCat("the relay could not complete this request (reference ", reference,
                     "); try again later, and if it persists give the reference to the relay's "
                     "operators"));
  }
  if (status.GetPayload(kSizeLimitPayloadUrl).has_value()) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string(status.message()),
                        protocol::kSizeLimitDetail);
  }
  // absl::StatusCode and grpc::StatusCode share the canonical numbering
  // 0..16; anything outside it (never produced by our code) is UNKNOWN.
  const int code = static_cast<int>(status.code());
  const grpc::StatusCode grpc_code =
      (code > 0 && code <= 16) ? static_cast<grpc::StatusCode>(code) : grpc::StatusCode::UNKNOWN;
  // A refusal from the reason catalogue: its token and arguments travel in
  // the details, so the client can say it in the user's language.
  if (std::optional<reasons::WireReason> reason = reasons::ReasonOf(status)) {
    return grpc::Status(grpc_code, std::string(status.message()), reasons::EncodeDetail(*reason));
  }
  return grpc::Status(grpc_code, std::string(status.message()));
}

absl::Status SizeLimitError(absl::string_view message) {
  absl::Status status = absl::ResourceExhaustedError(message);
  status.SetPayload(kSizeLimitPayloadUrl, absl::Cord("1"));
  return status;
}

}  // namespace samrad::server
