// Request field validation. Every function returns OK or a status whose
// message names the offending field and what is expected; none of them ever
// quotes message content. Stateless and thread-safe.
#ifndef SAMRAD_SERVER_VALIDATION_H_
#define SAMRAD_SERVER_VALIDATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "proto/common.pb.h"
#include "proto/envelope.pb.h"
#include "proto/relay.pb.h"

namespace samrad::server {

// INVALID_ARGUMENT unless ids::IsHexId: "`field` must be 32 lowercase hex characters".
[[nodiscard]] absl::Status ValidateHexId(absl::string_view field, absl::string_view value);
// INVALID_ARGUMENT unless `value` is valid UTF-8 of at most max_bytes bytes.
[[nodiscard]] absl::Status ValidateUtf8(absl::string_view field, absl::string_view value,
                                        size_t max_bytes);

// INVALID_ARGUMENT when `message` or any message inside it carries fields
// this build does not know (naming the path and field number). Unknown fields
// would otherwise be copied verbatim into stored records (e.g. CaseMetadata
// into the thread record) and served to others: a plaintext side channel.
[[nodiscard]] absl::Status RejectUnknownFields(const google::protobuf::Message& message,
                                               absl::string_view path = "request");

// All of county (unless allow_empty_county), category, urgency, org_type and
// age_group set and in range. INVALID_ARGUMENT naming the field.
[[nodiscard]] absl::Status ValidateCaseMetadata(const v1::CaseMetadata& metadata,
                                                bool allow_empty_county);

// Enum filters of ListQueue: each value in range and not UNSPECIFIED; at most
// 8 entries.
[[nodiscard]] absl::Status ValidateQueueFilters(const v1::ListQueueRequest& request);

// Structure only (the signature is checked against the thread key later):
// present, 16-byte nonce, 64-byte signature, timestamp within now +- window.
// UNAUTHENTICATED, naming what is wrong.
[[nodiscard]] absl::Status ValidateProofShape(const v1::OwnershipProof& proof, bool has_proof,
                                              int64_t now_ms, int64_t window_ms);

// A content-key wrap: key_id 16 bytes, enc 32 bytes, ciphertext 48 bytes.
[[nodiscard]] absl::Status ValidateWrappedKey(absl::string_view field, const v1::WrappedKey& key);

// What an envelope header must say for the relay to accept it.
struct ExpectedHeader {
  std::string thread_id;
  uint64_t sequence = 0;
  v1::SenderRole sender_role = v1::SENDER_ROLE_UNSPECIFIED;
  std::vector<std::string> units;  // any of these
  uint64_t directory_epoch = 0;
};

// INVALID_ARGUMENT for malformed ids or a wrong thread id or sender role;
// FAILED_PRECONDITION for a sequence that is not the expected next one, a unit
// that routing does not give, or a stale directory epoch (messages say which
// value is expected).
[[nodiscard]] absl::Status CheckEnvelopeHeader(const v1::EnvelopeHeader& header,
                                               const ExpectedHeader& expected);

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_VALIDATION_H_
