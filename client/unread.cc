#include "client/unread.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/command_helpers.h"
#include "client/file_util.h"

namespace samrad::client {

UnreadKind Unread(const v1::ThreadSummary& summary, uint64_t read_count, bool professional) {
  if (summary.message_count() <= read_count) return UnreadKind::kNone;
  v1::SenderRole last = summary.last_sender_role();
  if (last == v1::SENDER_ROLE_UNSPECIFIED) {
    // A relay that did not record it: an answered case was last written by
    // an adviser, any other by the professional.
    last = summary.state() == v1::THREAD_STATE_ANSWERED ? v1::SENDER_ROLE_ADVISER
                                                        : v1::SENDER_ROLE_PROFESSIONAL;
  }
  if (professional) {
    return last == v1::SENDER_ROLE_ADVISER ? UnreadKind::kNewAnswer : UnreadKind::kNone;
  }
  if (read_count == 0) return UnreadKind::kNewCase;
  return last == v1::SENDER_ROLE_PROFESSIONAL ? UnreadKind::kNewFollowUp : UnreadKind::kNone;
}

std::string UnreadLabel(const Messages& messages, UnreadKind kind) {
  switch (kind) {
    case UnreadKind::kNewCase:
      return messages.Format(Msg::kUnreadCase);
    case UnreadKind::kNewFollowUp:
      return messages.Format(Msg::kUnreadFollowUp);
    case UnreadKind::kNewAnswer:
      return messages.Format(Msg::kUnreadAnswer);
    default:
      return "";
  }
}

std::string UnreadJsonName(UnreadKind kind) {
  switch (kind) {
    case UnreadKind::kNewCase:
      return "new-case";
    case UnreadKind::kNewFollowUp:
      return "new-follow-up";
    case UnreadKind::kNewAnswer:
      return "new-answer";
    default:
      return "";
  }
}

std::string ReadMarkers::PathFor(const std::string& keystore_path) {
  return keystore_path + ".read";
}

ReadMarkers ReadMarkers::Load(const std::string& path) {
  ReadMarkers markers;
  markers.path_ = path;
  absl::StatusOr<std::string> text = ReadFileToString(path, 8 * 1024 * 1024);
  if (!text.ok()) return markers;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    uint64_t count = 0;
    if (parts.size() != 2 || !IsFullThreadId(parts[0]) || !absl::SimpleAtoi(parts[1], &count)) {
      continue;
    }
    if (markers.read_.size() >= kMaxReadMarkers) break;
    markers.read_[std::string(parts[0])] = count;
  }
  return markers;
}

uint64_t ReadMarkers::Get(const std::string& thread_id) const {
  auto it = read_.find(thread_id);
  return it == read_.end() ? 0 : it->second;
}

void ReadMarkers::MarkRead(const std::string& thread_id, uint64_t count) {
  uint64_t& entry = read_[thread_id];
  if (count > entry) {
    entry = count;
    changed_ = true;
  }
}

void ReadMarkers::KeepOnly(const std::set<std::string>& listed) {
  for (auto it = read_.begin(); it != read_.end();) {
    if (listed.count(it->first) == 0) {
      it = read_.erase(it);
      changed_ = true;
    } else {
      ++it;
    }
  }
}

absl::Status ReadMarkers::Save() {
  if (!changed_) return absl::OkStatus();
  std::string text;
  size_t n = 0;
  for (const auto& [id, count] : read_) {
    if (++n > kMaxReadMarkers) break;
    absl::StrAppend(&text, id, " ", count, "\n");
  }
  if (absl::Status s = WriteFileAtomically(path_, text, 0600); !s.ok()) return s;
  changed_ = false;
  return absl::OkStatus();
}

}  // namespace samrad::client
