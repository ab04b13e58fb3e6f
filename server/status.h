// The one place where absl::Status becomes grpc::Status.
//
// Codes map one to one (both follow google.rpc.Code); the message is passed
// through unchanged, except:
//  - a full store (storage::IsDiskFull): the client gets RESOURCE_EXHAUSTED
//    with a fixed message that names no file, and the detail goes to the
//    relay's log (event=storage_full, at most every 10 s);
//  - INTERNAL, DATA_LOSS and UNKNOWN, whose messages come from RocksDB,
//    OpenSSL or the store and may name files and paths: the client gets the
//    same code with a fixed message and a random reference, and the detail
//    goes to the log under that reference (event=internal_error);
//  - a status made by SizeLimitError carries protocol::kSizeLimitDetail as
//    its details, so a client can tell it from a rate limit or a full disk.
// Messages built in server/ never contain message content or the identity of
// the professional who owns a thread.
#ifndef SAMRAD_SERVER_STATUS_H_
#define SAMRAD_SERVER_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace samrad::server {

// The grpc::Status a client gets for `status` (see above). Thread-safe; logs
// (storage_full, internal_error) as a side effect, never message content.
grpc::Status ToGrpcStatus(const absl::Status& status);

// RESOURCE_EXHAUSTED for a request that is too large: refused again however
// often it is repeated (common/relay_protocol.h).
[[nodiscard]] absl::Status SizeLimitError(absl::string_view message);

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_STATUS_H_
