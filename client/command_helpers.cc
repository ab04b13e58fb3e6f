#include "client/command_helpers.h"

#include <algorithm>
#include <memory>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/exit_codes.h"
#include "client/localized_status.h"
#include "client/values.h"
#include "common/ids.h"

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
                         : messages.Format(Msg::kUnreadable, UserText(message.status, messages));
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
      summary.thread_id(), "  ", summary.unit(), "  ", ValueText(summary.state(), m),
      summary.claimed_by().empty() ? "" : absl::StrCat(" (", summary.claimed_by(), ")"), "  ",
      ValueText(summary.metadata().category(), m), "  ", ValueText(summary.metadata().urgency(), m),
      "  ", ValueText(summary.metadata().age_group(), m), "  ",
      m.Format(Msg::kCountyLabel, summary.metadata().county()), "\n");
  session.out() << header << "\n";
  for (const auto& message : messages) session.out() << FormatMessage(m, message, reader) << "\n";
}

absl::StatusOr<v1::ThreadView> FetchThread(
    Session& session, const std::string& thread_id, uint64_t after_sequence,
    const std::function<void(v1::GetThreadRequest&)>& prepare) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ThreadView whole;
  uint64_t after = after_sequence;
  std::string cursor;
  // Bounded: every page but the last moves `after` forward by at least one.
  for (int page = 0; page < 100000; ++page) {
    v1::ThreadView view;
    absl::Status status = (*relay)->CallWithRetry(Msg::kActionReadCase, [&](auto& context) {
      v1::GetThreadRequest request;
      request.set_thread_id(thread_id);
      request.set_after_sequence(after);
      request.set_cursor(cursor);
      prepare(request);
      return (*relay)->stub().GetThread(&context, request, &view);
    });
    if (!status.ok()) return status;
    *whole.mutable_summary() = view.summary();
    uint64_t highest = after;
    for (auto& message : *view.mutable_messages()) {
      highest = std::max(highest, message.sequence());
      *whole.add_messages() = std::move(message);
    }
    if (highest == after) break;
    // The relay says whether more follow (next_cursor); a relay older than
    // the cursor cut its reply silently, so then the count decides.
    if (view.next_cursor().empty() && highest >= view.summary().message_count()) break;
    cursor = view.next_cursor();
    after = highest;
  }
  return whole;
}

absl::Status CheckThreadIntegrity(Session& session, const v1::ThreadSummary& summary,
                                  const OpenedThread& opened, const ThreadChainState& state,
                                  uint64_t highest_seen_before) {
  const Messages& m = session.msg();
  const std::string& ref = summary.thread_id();
  std::vector<std::string> problems;
  for (const ChainProblem& problem : opened.problems) {
    if (problem.kind == ChainProblem::Kind::kReplaced) {
      problems.push_back(m.Format(Msg::kIntegrityReplaced, problem.first, ref));
    } else if (problem.first == problem.last) {
      problems.push_back(m.Format(Msg::kIntegrityMissing, problem.first, ref));
    } else {
      problems.push_back(m.Format(Msg::kIntegrityMissingRange, problem.first, problem.last, ref));
    }
  }
  for (const OpenedMessage& message : opened.messages) {
    if (IsIntegrityFailure(message.status)) {
      problems.push_back(
          m.Format(Msg::kIntegrityMessage, message.sequence, ref, UserText(message.status, m)));
    }
  }
  if (state.last_sequence < highest_seen_before) {
    problems.push_back(
        m.Format(Msg::kIntegrityFewer, state.last_sequence, ref, highest_seen_before));
  }
  if (!state.units.empty() && state.units_complete && summary.unit() != state.units.back()) {
    problems.push_back(m.Format(Msg::kIntegrityUnit, ref, summary.unit(), state.units.back()));
  }
  if (problems.empty()) return absl::OkStatus();
  for (size_t i = 1; i < problems.size(); ++i) session.err() << "samrad: " << problems[i] << "\n";
  return WithExitCode(absl::DataLossError(problems.front()), ExitCode::kDirectory);
}

bool IsFullThreadId(absl::string_view reference) {
  return reference.size() == 32 && std::all_of(reference.begin(), reference.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::Status WatchThreadAndPrint(Session& session, RelayClient& relay,
                                 const v1::WatchThreadRequest& request,
                                 const v1::KeyDirectory& directory,
                                 const v1::KeystoreContents& keystore,
                                 const ReaderKeys& reader_keys, const Reader& reader,
                                 ThreadChainState state) {
  std::unique_ptr<grpc::ClientContext> context = relay.NewStreamContext();
  std::unique_ptr<grpc::ClientReader<v1::ThreadEvent>> stream =
      relay.stub().WatchThread(context.get(), request);
  if (!session.json()) session.err() << session.msg().Format(Msg::kWatching) << "\n";
  v1::ThreadEvent event;
  while (stream->Read(&event)) {
    if (!event.has_message()) {
      session.Print(SummaryJson(event.summary()),
                    absl::StrCat(event.summary().thread_id(), "  ",
                                 ValueText(event.summary().state(), session.msg()), "\n"));
      session.out().flush();  // a watch's output may be a pipe or a file
      continue;
    }
    v1::ThreadView one;
    *one.mutable_summary() = event.summary();
    *one.add_messages() = event.message();
    const OpenedThread opened = OpenThread(one, directory, keystore, reader_keys, state);
    for (const auto& message : opened.messages) {
      session.Print(MessageJson(session.msg(), message, reader),
                    FormatMessage(session.msg(), message, reader) + "\n");
    }
    session.out().flush();
    if (absl::Status s = CheckThreadIntegrity(session, event.summary(), opened, state, 0);
        !s.ok()) {
      context->TryCancel();
      return s;
    }
  }
  return relay.MapStatus(Msg::kActionWatchCase, stream->Finish());
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
    absl::Status status = (*relay)->CallWithRetry(Msg::kActionListQueue, [&](auto& context) {
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
    return WithExitCode(Localized(absl::StatusCode::kInvalidArgument, Msg::kLzRefTooShort,
                                  {std::string(reference), "6"}),
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
      return WithExitCode(Localized(absl::StatusCode::kInvalidArgument, Msg::kLzRefAmbiguous,
                                    {std::string(reference)}),
                          ExitCode::kUsage);
    }
    found = thread.thread_id();
  }
  if (found.empty()) {
    return absl::NotFoundError(session.msg().Format(Msg::kNoCaseInQueue, reference));
  }
  return found;
}

absl::StatusOr<CertificateInfo> ProfileCertificate(Session& session) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  absl::StatusOr<CertificateInfo> cert = ReadCertificateFile((*profile)->client_cert_path());
  if (!cert.ok()) return WithExitCode(cert.status(), ExitCode::kConfig);
  return cert;
}

std::string RoleLabel(const Messages& messages, const std::string& role) {
  if (role == "professional") return messages.Format(Msg::kRoleProfessional);
  if (role == "adviser") return messages.Format(Msg::kRoleAdviser);
  if (role == "admin") return messages.Format(Msg::kRoleAdmin);
  return role;
}

std::string ScopeLabel(const std::string& scope) {
  const std::string_view name = ids::CountyName(scope);
  if (name.empty()) return scope;
  return absl::StrCat(scope, " (", absl::string_view(name.data(), name.size()), ")");
}

}  // namespace samrad::client
