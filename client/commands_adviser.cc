// queue, claim, release, answer, refer; the adviser side of show, close and
// watch.
#include <algorithm>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/case_filter.h"
#include "client/command_helpers.h"
#include "client/commands.h"
#include "client/config.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "client/unread.h"
#include "client/values.h"
#include "client/watch_loop.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/random.h"

namespace samrad::client {
namespace {

// The relay's refusals of a claim rule (storage/store.cc words them) in the
// user's language; any other status is returned as it is.
absl::Status ExplainClaimRefusal(Session& session, const std::string& thread_id,
                                 absl::Status status) {
  if (!absl::IsFailedPrecondition(status)) return status;
  const std::optional<reasons::WireReason> reason = reasons::ReasonOf(status);
  if (reasons::Is(status, reasons::Reason::kClaimedByOther) && reason->args.size() == 2) {
    return WithExitCode(absl::FailedPreconditionError(
                            session.msg().Format(Msg::kClaimedByOther, thread_id, reason->args[1])),
                        ExitCode::kConflict);
  }
  if (reasons::Is(status, reasons::Reason::kNotClaimedByYou)) {
    return WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kNotYourClaim, thread_id)),
        ExitCode::kConflict);
  }
  if (reasons::Is(status, reasons::Reason::kSequenceOutOfOrder) ||
      reasons::Is(status, reasons::Reason::kHeaderSequence)) {
    return WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kCaseChangedMeanwhile, thread_id)),
        ExitCode::kConflict);
  }
  return status;
}

absl::StatusOr<std::string> AdviserThreadId(Session& session) {
  return ResolveAdviserReference(session, *session.args().Positional(0));
}

absl::StatusOr<v1::ThreadView> GetThreadAsAdviser(Session& session, const std::string& thread_id) {
  return FetchThread(session, thread_id, 0, [](v1::GetThreadRequest&) {});
}

// Everything an adviser needs to read a thread.
struct AdviserContext {
  Keystore* keystore = nullptr;
  const v1::KeyDirectory* directory = nullptr;
  AdviserPrivateKeys keys;
  std::string adviser_id;
  const Messages* msg = nullptr;
};

absl::StatusOr<AdviserContext> LoadAdviserContext(Session& session) {
  AdviserContext context;
  context.msg = &session.msg();
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  context.adviser_id = (*profile)->adviser_id();
  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  context.keystore = *keystore;
  absl::StatusOr<AdviserPrivateKeys> keys = LoadAdviserKeys((*keystore)->contents());
  if (!keys.ok()) return keys.status();
  context.keys = std::move(*keys);
  absl::StatusOr<const v1::KeyDirectory*> directory = session.VerifiedDirectory();
  if (!directory.ok()) return directory.status();
  context.directory = *directory;
  return context;
}

// Records in the adviser's read markers that `count` messages of the case
// were read (client/unread.h).
absl::Status MarkAdviserRead(const AdviserContext& context, const std::string& thread_id,
                             uint64_t count) {
  ReadMarkers markers = ReadMarkers::Load(ReadMarkers::PathFor(context.keystore->path()));
  markers.MarkRead(thread_id, count);
  return markers.Save();
}

ReaderKeys AdviserReaderKeys(const AdviserContext& context) {
  ReaderKeys reader;
  for (const auto& key : context.keys.encryption) reader.adviser_keys.push_back(&key);
  return reader;
}

// My current signing key must be the one the directory lists for me in
// `unit`, or nobody could verify what I sign.
absl::Status CheckListedSigner(const AdviserContext& context, const v1::UnitEntry& unit) {
  const std::string& mine = context.keys.signing.front().public_key().bytes();
  for (const auto& adviser : unit.advisers()) {
    if (adviser.signing_public_key() == mine) return absl::OkStatus();
  }
  return WithExitCode(
      Localized(absl::StatusCode::kFailedPrecondition, Msg::kKeyNotListed, {unit.unit_id()}),
      ExitCode::kDirectory);
}

// A case as this adviser verified it; `integrity` is CheckThreadIntegrity's
// verdict (printed already).
struct AdviserCase {
  v1::ThreadView view;
  OpenedThread opened;
  ThreadChainState state;
  absl::Status integrity;
};

// Fetches, opens and checks the whole case, and remembers the highest
// sequence verified in the keystore.
absl::StatusOr<AdviserCase> ReadAdviserCase(Session& session, const AdviserContext& context,
                                            const std::string& thread_id) {
  absl::StatusOr<v1::ThreadView> view = GetThreadAsAdviser(session, thread_id);
  if (!view.ok()) return view.status();
  AdviserCase out;
  out.view = *std::move(view);
  out.opened = OpenThread(out.view, *context.directory, context.keystore->contents(),
                          AdviserReaderKeys(context), &out.state);
  auto& seen = *context.keystore->mutable_contents().mutable_highest_sequence_seen();
  const uint64_t before = seen.count(thread_id) != 0 ? seen.at(thread_id) : 0;
  out.integrity = CheckThreadIntegrity(session, out.view.summary(), out.opened, out.state, before);
  if (out.integrity.ok() && out.state.last_sequence > before) {
    seen[thread_id] = out.state.last_sequence;
    if (absl::Status s = context.keystore->Save(); !s.ok()) return s;
  }
  return out;
}

// The unit the case is with according to its signed messages; the case must
// have passed CheckThreadIntegrity.
absl::StatusOr<const v1::UnitEntry*> SignedUnit(const AdviserContext& context,
                                                const AdviserCase& read) {
  if (read.state.units.empty() || !read.state.units_complete) {
    return WithExitCode(
        absl::FailedPreconditionError(context.msg->Format(Msg::kCaseUnitUnreadable)),
        ExitCode::kKeystore);
  }
  absl::StatusOr<const v1::UnitEntry*> unit =
      crypto::FindUnit(*context.directory, read.state.units.back());
  if (!unit.ok()) return WithExitCode(unit.status(), ExitCode::kDirectory);
  return unit;
}

// Seals `body` as the next adviser message of the case for `unit`'s advisers
// and the thread's reply key, chained to the last verified message.
absl::StatusOr<std::string> SealAdviserMessage(const AdviserContext& context,
                                               const AdviserCase& read, const v1::UnitEntry& unit,
                                               const v1::EnvelopeBody& body,
                                               crypto::EnvelopeContext& out_context) {
  absl::StatusOr<std::vector<crypto::X25519PublicKey>> recipients = UnitRecipients(unit);
  if (!recipients.ok()) return recipients.status();
  absl::StatusOr<crypto::X25519PublicKey> reply =
      crypto::X25519PublicKey::FromBytes(read.opened.thread_reply_public_key);
  if (!reply.ok()) {
    return WithExitCode(
        absl::FailedPreconditionError(context.msg->Format(Msg::kCaseQuestionUnreadable)),
        ExitCode::kKeystore);
  }
  recipients->push_back(*reply);
  out_context.thread_id = read.view.summary().thread_id();
  out_context.message_id = crypto::RandomId();
  out_context.sequence = read.state.last_sequence + 1;
  out_context.sender_role = v1::SENDER_ROLE_ADVISER;
  out_context.unit = unit.unit_id();
  out_context.directory_epoch = context.directory->epoch();
  out_context.previous_envelope_hash = read.state.last_chain_hash;
  return crypto::SealEnvelope(out_context, body, *recipients, context.keys.signing.front());
}

}  // namespace

absl::Status RunAdviserShow(Session& session, const std::string& thread_id) {
  absl::StatusOr<AdviserContext> context = LoadAdviserContext(session);
  if (!context.ok()) return context.status();
  absl::StatusOr<AdviserCase> read = ReadAdviserCase(session, *context, thread_id);
  if (!read.ok()) return read.status();
  PrintThread(session, read->view.summary(), read->opened.messages,
              Reader{.professional = false, .adviser_id = context->adviser_id});
  if (read->integrity.ok()) {
    if (absl::Status s = MarkAdviserRead(*context, thread_id, read->state.last_sequence); !s.ok()) {
      return s;
    }
  }
  return read->integrity;
}

absl::Status RunAdviserClose(Session& session, const std::string& thread_id) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::CloseThreadRequest request;
  request.set_thread_id(thread_id);
  v1::ThreadSummary summary;
  absl::Status status = (*relay)->Call(Msg::kActionCloseCase, [&](auto& context) {
    return (*relay)->stub().CloseThread(&context, request, &summary);
  });
  if (!status.ok()) return status;
  session.Print(SummaryJson(summary), session.msg().Format(Msg::kClosed, thread_id) + "\n");
  return absl::OkStatus();
}

absl::Status RunAdviserWatchThread(Session& session, const std::string& thread_id) {
  absl::StatusOr<AdviserContext> context = LoadAdviserContext(session);
  if (!context.ok()) return context.status();
  absl::StatusOr<AdviserCase> read = ReadAdviserCase(session, *context, thread_id);
  if (!read.ok()) return read.status();
  if (!read->integrity.ok()) return read->integrity;
  ThreadChainState state = std::move(read->state);
  const ReaderKeys reader_keys = AdviserReaderKeys(*context);
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::WatchThreadRequest request;
  request.set_thread_id(thread_id);
  request.set_after_sequence(state.last_sequence);
  return WatchThreadAndPrint(
      session, **relay, request, *context->directory, context->keystore->contents(), reader_keys,
      Reader{.professional = false, .adviser_id = context->adviser_id}, std::move(state));
}

absl::Status RunAdviserWatchQueue(Session& session) {
  WatchOptions options;
  options.exec = session.args().Get("exec").value_or("");
  return WatchQueueLoop(session, options);
}

absl::Status RunQueue(Session& session) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  absl::StatusOr<CaseFilter> filter =
      ParseCaseFilter(session.args(), session.msg(), (*profile)->adviser_id());
  if (!filter.ok()) return filter.status();
  std::vector<v1::ThreadState> states = {v1::THREAD_STATE_OPEN, v1::THREAD_STATE_CLAIMED,
                                         v1::THREAD_STATE_ANSWERED};
  if (session.args().Has("all") || filter->states.count(v1::THREAD_STATE_CLOSED) != 0) {
    states.push_back(v1::THREAD_STATE_CLOSED);
  }
  absl::StatusOr<std::vector<v1::ThreadSummary>> threads = ListWholeQueue(session, states);
  if (!threads.ok()) return threads.status();
  ReadMarkers markers = ReadMarkers::Load(ReadMarkers::PathFor((*profile)->keystore_path()));
  const Messages& m = session.msg();
  Table table({m.Format(Msg::kColReference), m.Format(Msg::kColAge), m.Format(Msg::kColUrgency),
               m.Format(Msg::kColCategory), m.Format(Msg::kColCounty), m.Format(Msg::kColOrg),
               m.Format(Msg::kColAgeGroup), m.Format(Msg::kColState), m.Format(Msg::kColClaimedBy),
               m.Format(Msg::kColNew)});
  Json list = Json::Array();
  std::set<std::string> listed;
  for (const auto& t : *threads) {
    listed.insert(t.thread_id());
    if (!Matches(*filter,
                 CaseFacts{t.state(), t.metadata(), t.claimed_by(), t.created_at_unix_ms()})) {
      continue;
    }
    const UnreadKind unread = Unread(t, markers.Get(t.thread_id()), /*professional=*/false);
    table.AddRow({t.thread_id(), FormatAge(session.Now() - t.created_at_unix_ms()),
                  std::string(ValueText(t.metadata().urgency(), m)),
                  std::string(ValueText(t.metadata().category(), m)), t.metadata().county(),
                  std::string(ValueText(t.metadata().org_type(), m)),
                  std::string(ValueText(t.metadata().age_group(), m)),
                  std::string(ValueText(t.state(), m)), t.claimed_by(), UnreadLabel(m, unread)});
    list.Push(SummaryJson(t).Set("unread", UnreadJsonName(unread)));
  }
  // Markers of cases the queue no longer lists are dropped (bounded file).
  markers.KeepOnly(listed);
  if (absl::Status s = markers.Save(); !s.ok()) return s;
  const Msg empty = threads->empty() ? Msg::kQueueEmpty : Msg::kFilterNoMatch;
  session.Print(list, table.size() == 0 ? m.Format(empty) + "\n" : table.Render());
  return absl::OkStatus();
}

absl::Status RunClaim(Session& session) {
  absl::StatusOr<std::string> id = AdviserThreadId(session);
  if (!id.ok()) return id.status();
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ClaimThreadRequest request;
  request.set_thread_id(*id);
  v1::ThreadSummary summary;
  absl::Status status = (*relay)->Call(Msg::kActionTakeCase, [&](auto& context) {
    return (*relay)->stub().ClaimThread(&context, request, &summary);
  });
  if (!status.ok()) return status;
  session.Print(SummaryJson(summary), session.msg().Format(Msg::kClaimed, *id) + "\n");
  return absl::OkStatus();
}

absl::Status RunRelease(Session& session) {
  absl::StatusOr<std::string> id = AdviserThreadId(session);
  if (!id.ok()) return id.status();
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ReleaseThreadRequest request;
  request.set_thread_id(*id);
  v1::ThreadSummary summary;
  absl::Status status = (*relay)->Call(Msg::kActionReleaseCase, [&](auto& context) {
    return (*relay)->stub().ReleaseThread(&context, request, &summary);
  });
  if (!status.ok()) return ExplainClaimRefusal(session, *id, std::move(status));
  session.Print(SummaryJson(summary), session.msg().Format(Msg::kReleased, *id) + "\n");
  return absl::OkStatus();
}

namespace {

// The units of the verified directory that list `adviser_id`.
std::vector<std::string> UnitsListing(const v1::KeyDirectory& directory,
                                      absl::string_view adviser_id) {
  std::vector<std::string> units;
  for (const v1::UnitEntry& unit : directory.units()) {
    for (const auto& adviser : unit.advisers()) {
      if (adviser.adviser_id() == adviser_id) units.push_back(unit.unit_id());
    }
  }
  return units;
}

// Refuses, before asking the relay, a handover the directory already rules
// out: to oneself, to an id no unit lists, to an adviser of no unit of the
// caller's. The relay checks again against its own directory.
absl::Status CheckHandoverTarget(Session& session, const std::string& me, const std::string& to) {
  if (to == me) {
    return WithExitCode(absl::InvalidArgumentError(session.msg().Format(Msg::kHandoverToSelf, to)),
                        ExitCode::kUsage);
  }
  absl::StatusOr<const v1::KeyDirectory*> directory = session.VerifiedDirectory();
  if (!directory.ok()) return directory.status();
  const std::vector<std::string> theirs = UnitsListing(**directory, to);
  if (theirs.empty()) {
    return WithExitCode(absl::NotFoundError(session.msg().Format(Msg::kHandoverUnknownAdviser, to,
                                                                 (*directory)->epoch())),
                        ExitCode::kNotFound);
  }
  const std::vector<std::string> mine = UnitsListing(**directory, me);
  for (const std::string& unit : theirs) {
    if (std::find(mine.begin(), mine.end(), unit) != mine.end()) return absl::OkStatus();
  }
  return WithExitCode(
      absl::FailedPreconditionError(session.msg().Format(
          Msg::kHandoverOtherUnit, to, theirs.front(), mine.empty() ? "-" : mine.front())),
      ExitCode::kConflict);
}

}  // namespace

absl::Status RunHandover(Session& session) {
  const std::string to = *session.args().Positional(1);
  if (!ids::IsClientId(to)) {
    return WithExitCode(
        absl::InvalidArgumentError(session.msg().Format(Msg::kHandoverUnknownAdviser, to, "-")),
        ExitCode::kUsage);
  }
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  if (absl::Status s = CheckHandoverTarget(session, (*profile)->adviser_id(), to); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> id = AdviserThreadId(session);
  if (!id.ok()) return id.status();
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::HandoverThreadRequest request;
  request.set_thread_id(*id);
  request.set_to_adviser_id(to);
  v1::ThreadSummary summary;
  absl::Status status = (*relay)->Call(Msg::kActionHandOver, [&](auto& context) {
    return (*relay)->stub().HandoverThread(&context, request, &summary);
  });
  if (!status.ok()) return ExplainClaimRefusal(session, *id, std::move(status));
  session.Print(SummaryJson(summary), session.msg().Format(Msg::kHandedOver, *id, to) + "\n");
  return absl::OkStatus();
}

absl::Status RunAnswer(Session& session) {
  const bool take_over = session.args().Has("take-over");
  absl::StatusOr<std::string> text = session.ComposeText();
  if (!text.ok()) return text.status();
  absl::StatusOr<std::string> cleared = session.GuardText(std::move(*text));
  if (!cleared.ok()) return cleared.status();
  absl::StatusOr<std::string> id = AdviserThreadId(session);
  if (!id.ok()) return id.status();
  absl::StatusOr<AdviserContext> context = LoadAdviserContext(session);
  if (!context.ok()) return context.status();
  absl::StatusOr<AdviserCase> read = ReadAdviserCase(session, *context, *id);
  if (!read.ok()) return read.status();
  if (!read->integrity.ok()) return read->integrity;
  // Another adviser's claim: only an explicit take-over answers it (the
  // relay enforces the same rule, atomically with the answer).
  const std::string holder = read->view.summary().claimed_by();
  const bool taking_over = !holder.empty() && holder != context->adviser_id;
  if (taking_over && !take_over) {
    return WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kClaimedByOther, *id, holder)),
        ExitCode::kConflict);
  }
  absl::StatusOr<const v1::UnitEntry*> unit = SignedUnit(*context, *read);
  if (!unit.ok()) return unit.status();
  if (absl::Status s = CheckListedSigner(*context, **unit); !s.ok()) return s;
  v1::EnvelopeBody body;
  body.set_text(*cleared);
  crypto::EnvelopeContext envelope_context;
  absl::StatusOr<std::string> envelope =
      SealAdviserMessage(*context, *read, **unit, body, envelope_context);
  WipeString(*body.mutable_text());
  WipeString(*cleared);
  if (!envelope.ok()) return envelope.status();
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::PostMessageRequest request;
  request.set_thread_id(*id);
  request.set_envelope(*envelope);
  request.set_take_over(take_over);
  v1::Ack ack;
  absl::Status status = (*relay)->CallWithRetry(Msg::kActionSendAnswer, [&](auto& ctx) {
    return (*relay)->stub().PostMessage(&ctx, request, &ack);
  });
  if (!status.ok()) return ExplainClaimRefusal(session, *id, std::move(status));
  // My own answer is read; a later follow-up will show as new.
  if (absl::Status s = MarkAdviserRead(*context, *id, ack.sequence()); !s.ok()) return s;
  std::string done = session.msg().Format(Msg::kAnswerSent, *id) + "\n";
  if (taking_over) done = session.msg().Format(Msg::kTakenOver, *id, holder) + "\n" + done;
  session.Print(Json::Object()
                    .Set("reference", *id)
                    .Set("sequence", ack.sequence())
                    .Set("taken_over_from", taking_over ? holder : ""),
                done);
  return absl::OkStatus();
}

absl::Status RunRefer(Session& session) {
  const std::string to_unit_id = *session.args().Get("to");
  absl::StatusOr<std::string> reason = session.GuardText(*session.args().Get("reason"));
  if (!reason.ok()) return reason.status();
  absl::StatusOr<std::string> id = AdviserThreadId(session);
  if (!id.ok()) return id.status();
  absl::StatusOr<AdviserContext> context = LoadAdviserContext(session);
  if (!context.ok()) return context.status();
  absl::StatusOr<const v1::UnitEntry*> to_unit = crypto::FindUnit(*context->directory, to_unit_id);
  if (!to_unit.ok()) return to_unit.status();
  absl::StatusOr<std::vector<crypto::X25519PublicKey>> new_recipients = UnitRecipients(**to_unit);
  if (!new_recipients.ok()) return new_recipients.status();
  absl::StatusOr<AdviserCase> read = ReadAdviserCase(session, *context, *id);
  if (!read.ok()) return read.status();
  if (!read->integrity.ok()) return read->integrity;
  absl::StatusOr<const v1::UnitEntry*> from_unit = SignedUnit(*context, *read);
  if (!from_unit.ok()) return from_unit.status();
  if ((*from_unit)->unit_id() == to_unit_id) {
    return WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kCaseAlreadyWith, to_unit_id)),
        ExitCode::kConflict);
  }
  if (absl::Status s = CheckListedSigner(*context, **from_unit); !s.ok()) return s;
  const v1::ThreadView* view = &read->view;
  // Verify every message before handing its key on; refuse on any failure.
  for (const auto& message : read->opened.messages) {
    if (!message.status.ok()) {
      return WithExitCode(
          LocalizedWrap(absl::StatusCode::kFailedPrecondition, Msg::kCannotReferUnverified,
                        {absl::StrCat(message.sequence)}, message.status),
          ExitCode::kKeystore);
    }
  }
  v1::ReferThreadRequest request;
  request.set_thread_id(*id);
  request.set_to_unit(to_unit_id);
  std::vector<const crypto::X25519PrivateKey*> my_keys;
  for (const auto& key : context->keys.encryption) my_keys.push_back(&key);
  for (const auto& stored : view->messages()) {
    absl::StatusOr<crypto::ParsedEnvelope> envelope = crypto::ParseEnvelope(stored.envelope());
    if (!envelope.ok()) return ForeignText(envelope.status(), Msg::kLzMessageDoesNotOpen);
    const crypto::X25519PrivateKey* key =
        FindRecipientKey(*envelope, stored.extra_recipients(), my_keys);
    if (key == nullptr) {
      return WithExitCode(absl::FailedPreconditionError(
                              session.msg().Format(Msg::kMessageNotForMyKeys, stored.sequence())),
                          ExitCode::kKeystore);
    }
    std::vector<v1::WrappedKey> extra(stored.extra_recipients().begin(),
                                      stored.extra_recipients().end());
    absl::StatusOr<std::vector<v1::WrappedKey>> wraps =
        crypto::RewrapContentKey(*envelope, *key, extra, *new_recipients);
    if (!wraps.ok()) return ForeignText(wraps.status(), Msg::kLzMessageDoesNotOpen);
    v1::MessageRewrap* rewrap = request.add_rewraps();
    rewrap->set_message_id(stored.message_id());
    for (auto& wrap : *wraps) *rewrap->add_recipients() = std::move(wrap);
  }
  v1::EnvelopeBody note;
  note.set_text(*reason);
  note.set_referred_to_unit(to_unit_id);
  crypto::EnvelopeContext note_context;
  absl::StatusOr<std::string> note_envelope =
      SealAdviserMessage(*context, *read, **to_unit, note, note_context);
  if (!note_envelope.ok()) return note_envelope.status();
  request.set_note_envelope(*note_envelope);

  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ThreadSummary summary;
  absl::Status status = (*relay)->Call(Msg::kActionReferCase, [&](auto& ctx) {
    return (*relay)->stub().ReferThread(&ctx, request, &summary);
  });
  if (!status.ok()) return status;
  session.Print(SummaryJson(summary), session.msg().Format(Msg::kReferred, *id, to_unit_id) + "\n");
  return absl::OkStatus();
}

}  // namespace samrad::client
