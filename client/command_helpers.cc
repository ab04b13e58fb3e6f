#include "client/command_helpers.h"

#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/exit_codes.h"

namespace samrad::client {

std::string AuthorLabel(const Messages& messages, const OpenedMessage& message,
                        const Reader& reader) {
  if (message.role == v1::SENDER_ROLE_PROFESSIONAL) {
    return reader.professional ? messages.Format(Msg::kAuthorMe)
                               : messages.Format(Msg::kAuthorProfessional);
  }
  if (message.role == v1::SENDER_ROLE_ADVISER) {
    if (!reader.professional && !message.adviser_id.empty() &&
        message.adviser_id == reader.adviser_id) {
      return messages.Format(Msg::kAuthorMe);
    }
    return messages.Format(Msg::kAuthorAdviser,
                           message.adviser_id.empty() ? "?" : message.adviser_id,
                           message.unit.empty() ? "?" : message.unit);
  }
  return "?";
}

Json SummaryJson(const v1::ThreadSummary& summary) {
  return Json::Object()
      .Set("reference", summary.thread_id())
      .Set("unit", summary.unit())
      .Set("county", summary.metadata().county())
      .Set("category", CategoryName(summary.metadata().category()))
      .Set("urgency", UrgencyName(summary.metadata().urgency()))
      .Set("org", OrgTypeName(summary.metadata().org_type()))
      .Set("age_group", AgeGroupName(summary.metadata().age_group()))
      .Set("state", ThreadStateName(summary.state()))
      .Set("claimed_by", summary.claimed_by())
      .Set("created_at_unix_ms", summary.created_at_unix_ms())
      .Set("last_activity_unix_ms", summary.last_activity_unix_ms())
      .Set("message_count", summary.message_count());
}

Json MessageJson(const Messages& messages, const OpenedMessage& message, const Reader& reader) {
  Json json = Json::Object()
                  .Set("sequence", message.sequence)
                  .Set("author", AuthorLabel(messages, message, reader))
                  .Set("role", message.role == v1::SENDER_ROLE_ADVISER ? "adviser" : "professional")
                  .Set("adviser_id", message.adviser_id)
                  .Set("unit", message.unit)
                  .Set("accepted_at_unix_ms", message.accepted_at_unix_ms)
                  .Set("verified", message.status.ok());
  if (message.status.ok()) {
    json.Set("text", message.body.text());
    if (!message.body.referred_to_unit().empty()) {
      json.Set("referred_to_unit", message.body.referred_to_unit());
    }
  } else {
    json.Set("error", std::string(message.status.message()));
  }
  return json;
}

std::string FormatMessage(const Messages& messages, const OpenedMessage& message,
                          const Reader& reader) {
  std::string out =
      absl::StrCat("#", message.sequence, "  ", FormatTimestamp(message.accepted_at_unix_ms), "  ",
                   AuthorLabel(messages, message, reader));
  if (message.status.ok() && !message.body.referred_to_unit().empty()) {
    absl::StrAppend(&out, "  (",
                    messages.Format(Msg::kReferralNote, message.body.referred_to_unit()), ")");
  }
  absl::StrAppend(&out, "\n");
  std::string text = message.status.ok()
                         ? message.body.text()
                         : messages.Format(Msg::kUnreadable, message.status.message());
  absl::string_view body = text;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    absl::StrAppend(&out, line.empty() ? "" : "  ", line, "\n");
  }
  return out;
}

void PrintThread(Session& session, const v1::ThreadSummary& summary,
                 const std::vector<OpenedMessage>& messages, const Reader& reader) {
  const Messages& m = session.msg();
  if (session.json()) {
    Json list = Json::Array();
    for (const auto& message : messages) list.Push(MessageJson(m, message, reader));
    Json json = SummaryJson(summary);
    json.Set("messages", std::move(list));
    session.out() << json.Dump() << "\n";
    return;
  }
  std::string header = absl::StrCat(
      summary.thread_id(), "  ", summary.unit(), "  ", ThreadStateName(summary.state()),
      summary.claimed_by().empty() ? "" : absl::StrCat(" (", summary.claimed_by(), ")"), "  ",
      CategoryName(summary.metadata().category()), "  ", UrgencyName(summary.metadata().urgency()),
      "  ", m.Format(Msg::kCountyLabel, summary.metadata().county()), "\n");
  session.out() << header << "\n";
  for (const auto& message : messages) session.out() << FormatMessage(m, message, reader) << "\n";
}

bool IsFullThreadId(absl::string_view reference) {
  return reference.size() == 32 && std::all_of(reference.begin(), reference.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::StatusOr<std::vector<v1::ThreadSummary>> ListWholeQueue(
    Session& session, const std::vector<v1::ThreadState>& states) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  std::vector<v1::ThreadSummary> threads;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    v1::ListQueueRequest request;
    request.set_page_size(200);
    request.set_cursor(cursor);
    for (v1::ThreadState state : states) request.add_states(state);
    v1::QueuePage reply;
    absl::Status status = (*relay)->CallWithRetry("list the queue", [&](auto& context) {
      return (*relay)->stub().ListQueue(&context, request, &reply);
    });
    if (!status.ok()) return status;
    for (auto& thread : *reply.mutable_threads()) threads.push_back(std::move(thread));
    if (reply.next_cursor().empty()) break;
    cursor = reply.next_cursor();
  }
  return threads;
}

absl::StatusOr<std::string> ResolveAdviserReference(Session& session, absl::string_view reference) {
  std::string ref = absl::AsciiStrToLower(reference);
  if (IsFullThreadId(ref)) return ref;
  if (ref.size() < 6) {
    return WithExitCode(
        absl::InvalidArgumentError(absl::StrCat("case reference \"", reference,
                                                "\" is too short; give at least 6 characters")),
        ExitCode::kUsage);
  }
  absl::StatusOr<std::vector<v1::ThreadSummary>> threads =
      ListWholeQueue(session, {v1::THREAD_STATE_OPEN, v1::THREAD_STATE_CLAIMED,
                               v1::THREAD_STATE_ANSWERED, v1::THREAD_STATE_CLOSED});
  if (!threads.ok()) return threads.status();
  std::string found;
  for (const auto& thread : *threads) {
    if (!absl::StartsWith(thread.thread_id(), ref)) continue;
    if (!found.empty()) {
      return WithExitCode(
          absl::InvalidArgumentError(absl::StrCat(
              "case reference \"", reference, "\" matches several cases; give more characters")),
          ExitCode::kUsage);
    }
    found = thread.thread_id();
  }
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no case \"", reference, "\" in your unit's queue; `samrad queue --all` lists them"));
  }
  return found;
}

}  // namespace samrad::client
