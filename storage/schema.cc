#include "storage/schema.h"

#include "absl/strings/str_cat.h"

namespace samrad::storage::schema {

void AppendU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void AppendU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void AppendI64(std::string* out, int64_t v) {
  AppendU64(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

uint32_t ReadU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

uint64_t ReadU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

int64_t ReadI64(std::string_view in) {
  return static_cast<int64_t>(ReadU64(in) ^ (uint64_t{1} << 63));
}

uint8_t UrgencyRank(v1::Urgency urgency) {
  switch (urgency) {
    case v1::URGENCY_ACUTE:
      return 0;
    case v1::URGENCY_HIGH:
      return 1;
    case v1::URGENCY_NORMAL:
      return 2;
    default:
      return 3;
  }
}

absl::Status ValidateKeyPart(std::string_view what, std::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), " is empty"));
  if (value.size() > 256) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), " is longer than 256 bytes"));
  }
  if (value.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), " contains a NUL byte"));
  }
  return absl::OkStatus();
}

std::string ThreadKey(std::string_view thread_id) { return std::string(thread_id); }

std::string MessagePrefix(std::string_view thread_id) {
  std::string key(thread_id);
  key.push_back('\0');
  return key;
}

std::string MessageKey(std::string_view thread_id, uint64_t sequence) {
  std::string key = MessagePrefix(thread_id);
  AppendU64(&key, sequence);
  return key;
}

std::string MessageLocation(std::string_view thread_id, uint64_t sequence) {
  return MessageKey(thread_id, sequence);
}

std::optional<LocationView> SplitMessageKey(std::string_view key) {
  if (key.size() < 10 || key[key.size() - 9] != '\0') return std::nullopt;
  LocationView location;
  location.thread_id = key.substr(0, key.size() - 9);
  location.sequence = ReadU64(key.substr(key.size() - 8));
  if (location.thread_id.find('\0') != std::string_view::npos) return std::nullopt;
  return location;
}

std::optional<Location> ParseMessageKey(std::string_view key) {
  std::optional<LocationView> view = SplitMessageKey(key);
  if (!view) return std::nullopt;
  return Location{std::string(view->thread_id), view->sequence};
}

std::optional<Location> ParseMessageLocation(std::string_view value) {
  return ParseMessageKey(value);
}

std::string QueueUnitStatePrefix(std::string_view unit, v1::ThreadState state) {
  std::string key(unit);
  key.push_back('\0');
  key.push_back(static_cast<char>(state));
  return key;
}

std::string QueueOrderSuffix(const v1::ThreadRecord& thread) {
  std::string suffix;
  suffix.push_back(static_cast<char>(UrgencyRank(thread.metadata().urgency())));
  AppendI64(&suffix, thread.created_at_unix_ms());
  suffix += thread.thread_id();
  return suffix;
}

std::string QueueKey(const v1::ThreadRecord& thread) {
  return QueueUnitStatePrefix(thread.unit(), thread.state()) + QueueOrderSuffix(thread);
}

std::string QueueValue(const v1::ThreadRecord& thread) {
  return std::string(1, static_cast<char>(thread.metadata().category()));
}

std::string ExpiryPrefix(char kind) { return std::string(1, kind); }

std::string ExpiryKey(const v1::ThreadRecord& thread) {
  std::string key;
  if (thread.state() == v1::THREAD_STATE_CLOSED) {
    key.push_back(kExpiryClosed);
    AppendI64(&key, thread.closed_at_unix_ms());
  } else {
    key.push_back(kExpiryActive);
    AppendI64(&key, thread.last_activity_unix_ms());
  }
  key += thread.thread_id();
  return key;
}

std::string AuditKey(uint64_t index) {
  std::string key;
  AppendU64(&key, index);
  return key;
}

std::string DekKey(uint32_t generation) {
  std::string key(kDekKeyPrefix);
  AppendU32(&key, generation);
  return key;
}

}  // namespace samrad::storage::schema
