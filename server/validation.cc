#include "server/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace samrad::server {
namespace {

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::Status ValidateEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
  if (value == 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be set"));
  }
  if (!is_valid(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " has unknown value ", value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHexId(absl::string_view field, absl::string_view value) {
  if (ids::IsHexId(value)) return absl::OkStatus();
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return absl::InvalidArgumentError(absl::StrCat(
      field, " must be 32 lowercase hex characters, got ", value.size(), " characters"));
}

absl::Status ValidateUtf8(absl::string_view field, absl::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", value.size(), " bytes; at most ", max_bytes, " are allowed"));
  }
  if (!IsValidUtf8(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status RejectUnknownFields(const google::protobuf::Message& message, absl::string_view path) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown = reflection->GetUnknownFields(message);
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " carries field number ", unknown.field(0).number(),
        ", which this relay does not know; use a client of the same protocol version"));
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string child = absl::StrCat(path, ".", field->name());
    if (!field->is_repeated()) {
      if (auto s = RejectUnknownFields(reflection->GetMessage(message, field), child); !s.ok()) {
        return s;
      }
      continue;
    }
    const int n = reflection->FieldSize(message, field);
    for (int i = 0; i < n; ++i) {
      if (auto s = RejectUnknownFields(reflection->GetRepeatedMessage(message, field, i),
                                       absl::StrCat(child, "[", i, "]"));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCaseMetadata(const v1::CaseMetadata& metadata, bool allow_empty_county) {
  if (!(allow_empty_county && metadata.county().empty()) && !ids::IsCountyCode(metadata.county())) {
    return absl::InvalidArgumentError(
        "metadata.county must be one of the 21 Swedish county (län) codes, e.g. \"07\"");
  }
  if (auto s = ValidateEnum("metadata.category", metadata.category(), v1::Category_IsValid);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateEnum("metadata.urgency", metadata.urgency(), v1::Urgency_IsValid); !s.ok()) {
    return s;
  }
  if (auto s = ValidateEnum("metadata.org_type", metadata.org_type(), v1::OrgType_IsValid);
      !s.ok()) {
    return s;
  }
  return ValidateEnum("metadata.age_group", metadata.age_group(), v1::AgeGroup_IsValid);
}

absl::Status ValidateQueueFilters(const v1::ListQueueRequest& request) {
  constexpr int kMaxFilters = 8;
  if (request.states_size() > kMaxFilters || request.urgencies_size() > kMaxFilters ||
      request.categories_size() > kMaxFilters) {
    return absl::InvalidArgumentError(
        absl::StrCat("states, urgencies and categories take at most ", kMaxFilters, " values"));
  }
  for (int v : request.states()) {
    if (auto s = ValidateEnum("states", v, v1::ThreadState_IsValid); !s.ok()) {
      return s;
    }
  }
  for (int v : request.urgencies()) {
    if (auto s = ValidateEnum("urgencies", v, v1::Urgency_IsValid); !s.ok()) return s;
  }
  for (int v : request.categories()) {
    if (auto s = ValidateEnum("categories", v, v1::Category_IsValid); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProofShape(const v1::OwnershipProof& proof, bool has_proof, int64_t now_ms,
                                int64_t window_ms) {
  if (!has_proof) {
    return absl::UnauthenticatedError(
        "proof is required: sign the request with the thread's key (OwnershipProof)");
  }
  if (proof.nonce().size() != 16) {
    return absl::UnauthenticatedError("proof.nonce must be 16 bytes");
  }
  if (proof.signature().size() != 64) {
    return absl::UnauthenticatedError("proof.signature must be 64 bytes");
  }
  const int64_t skew = proof.timestamp_unix_ms() - now_ms;
  if (skew > window_ms || skew < -window_ms) {
    return absl::UnauthenticatedError(absl::StrCat(
        "proof.timestamp_unix_ms is ", skew / 1000, " s away from the relay's clock; at most ",
        window_ms / 1000, " s are accepted (check the clock, then sign a fresh proof)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateWrappedKey(absl::string_view field, const v1::WrappedKey& key) {
  if (key.key_id().size() != 16 || key.enc().size() != 32 || key.ciphertext().size() != 48) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must have a 16-byte key_id, a 32-byte enc and a 48-byte ciphertext"));
  }
  return absl::OkStatus();
}

absl::Status CheckEnvelopeHeader(const v1::EnvelopeHeader& header, const ExpectedHeader& expected) {
  if (auto s = ValidateHexId("envelope header thread_id", header.thread_id()); !s.ok()) return s;
  if (auto s = ValidateHexId("envelope header message_id", header.message_id()); !s.ok()) return s;
  if (!expected.thread_id.empty() && header.thread_id() != expected.thread_id) {
    return absl::InvalidArgumentError(
        "envelope header thread_id does not match the request's thread_id");
  }
  if (header.sender_role() != expected.sender_role) {
    return absl::InvalidArgumentError(absl::StrCat("envelope header sender_role must be ",
                                                   v1::SenderRole_Name(expected.sender_role),
                                                   " for your role"));
  }
  if (header.sequence() != expected.sequence) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kHeaderSequence,
                          {absl::StrCat(header.sequence()), absl::StrCat(expected.sequence)});
  }
  bool unit_ok = false;
  for (const std::string& unit : expected.units) unit_ok = unit_ok || header.unit() == unit;
  if (!unit_ok) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kHeaderUnit,
                          {header.unit(), absl::StrJoin(expected.units, " or ")});
  }
  if (expected.directory_epoch != 0 && header.directory_epoch() != expected.directory_epoch) {
    return reasons::Error(
        absl::StatusCode::kFailedPrecondition, reasons::Reason::kHeaderEpoch,
        {absl::StrCat(header.directory_epoch()), absl::StrCat(expected.directory_epoch)});
  }
  return absl::OkStatus();
}

}  // namespace samrad::server
