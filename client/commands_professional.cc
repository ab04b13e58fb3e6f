// ask, resend, discard, cases, followup; show, close and watch for both roles (the
// case reference decides: a case in the keystore is mine as a professional,
// anything else is read as an adviser).
#include <algorithm>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/case_filter.h"
#include "client/command_helpers.h"
#include "client/commands.h"
#include "client/config.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "client/status_class.h"
#include "client/unread.h"
#include "client/values.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/random.h"

namespace samrad::client {

// Adviser variants (commands_adviser.cc).
absl::Status RunAdviserShow(Session& session, const std::string& thread_id);
absl::Status RunAdviserClose(Session& session, const std::string& thread_id);
absl::Status RunAdviserWatchThread(Session& session, const std::string& thread_id);
absl::Status RunAdviserWatchQueue(Session& session);

namespace {

// The professional's case for `reference`, or nullptr when the keystore
// does not hold it (then the reader is an adviser).
absl::StatusOr<v1::ThreadKeys*> FindMyCase(Keystore& keystore, absl::string_view reference,
                                           bool required) {
  absl::StatusOr<v1::ThreadKeys*> thread = keystore.FindThread(reference);
  if (thread.ok()) return thread;
  if (thread.status().code() == absl::StatusCode::kNotFound && !required &&
      !keystore.contents().adviser_keys().empty()) {
    return nullptr;
  }
  if (thread.status().code() == absl::StatusCode::kInvalidArgument) {
    return WithExitCode(thread.status(), ExitCode::kUsage);
  }
  return thread.status();
}

// What a case command's reference names: the professional's own case (its
// keys in the opened keystore) or, when the keystore does not hold it and
// the caller has adviser keys, a thread of the adviser's unit (resolved as
// ResolveAdviserReference does). Errors as FindMyCase and
// ResolveAdviserReference.
struct CaseTarget {
  Keystore* keystore = nullptr;
  v1::ThreadKeys* own = nullptr;  // nullptr: an adviser's thread
  std::string adviser_thread_id;
};

absl::StatusOr<CaseTarget> ResolveCaseTarget(Session& session, absl::string_view reference) {
  CaseTarget target;
  SAMRAD_ASSIGN_OR_RETURN(target.keystore, session.OpenKeystore());
  SAMRAD_ASSIGN_OR_RETURN(target.own, FindMyCase(*target.keystore, reference, false));
  if (target.own == nullptr) {
    SAMRAD_ASSIGN_OR_RETURN(target.adviser_thread_id, ResolveAdviserReference(session, reference));
  }
  return target;
}

// The professional's own case named by the first argument, as a CaseTarget
// whose `own` is never null. Errors as Session::OpenKeystore and FindMyCase
// (required: an adviser's thread is not found here).
absl::StatusOr<CaseTarget> OpenMyCase(Session& session) {
  CaseTarget mine;
  SAMRAD_ASSIGN_OR_RETURN(mine.keystore, session.OpenKeystore());
  SAMRAD_ASSIGN_OR_RETURN(mine.own,
                          FindMyCase(*mine.keystore, *session.args().Positional(0), true));
  return mine;
}

// `status` (a failed submission of the stored question `ref`) with what to
// do next in the same line: resend later, or discard. A permanent refusal
// exits 4 when it concerns the certificate, else 9 (the relay refused the
// input).
absl::Status PendingFailure(const Messages& messages, const std::string& ref,
                            const absl::Status& status) {
  const bool transient = ClassifyFailure(status) == FailureKind::kTransient;
  // The relay's refusal in the user's language, then our advice: the whole
  // line is ours, so the relay's own words are dropped below.
  std::string message = UserText(status, messages);
  if (!message.empty() && message.back() != '.') message += ".";
  absl::StrAppend(&message, " ",
                  messages.Format(transient ? Msg::kAskPending : Msg::kAskPermanent, ref));
  ExitCode code = ExitCodeOf(status);
  if (!transient && code != ExitCode::kPermission) code = ExitCode::kRejected;
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return WithOwnAdvice(WithExitCode(ForgetLocalizedText(ForgetRelayWords(std::move(out))), code));
}

// Refuses, before anything is written or sealed, a question the relay would
// refuse whatever its text: a certificate that is not a professional's, or a
// county other than the certificate's.
absl::Status CheckAskAllowed(Session& session, const std::string& county) {
  absl::StatusOr<CertificateInfo> cert = ProfileCertificate(session);
  if (!cert.ok()) return cert.status();
  const Messages& m = session.msg();
  if (cert->role != "professional") {
    return WithOwnAdvice(WithExitCode(
        absl::PermissionDeniedError(m.Format(Msg::kAskNeedsProfessional,
                                             cert->role.empty() ? "-" : RoleLabel(m, cert->role),
                                             cert->uri.empty() ? "-" : cert->uri)),
        ExitCode::kPermission));
  }
  if (cert->scope != county) {
    return WithOwnAdvice(WithExitCode(
        absl::InvalidArgumentError(m.Format(Msg::kCountyNotYours, county,
                                            std::string(ids::CountyName(county)), cert->scope,
                                            std::string(ids::CountyName(cert->scope)))),
        ExitCode::kUsage));
  }
  return absl::OkStatus();
}

// INVALID_ARGUMENT tagged kRejected: `text_bytes` do not fit; at most
// `fit_bytes` of text fit the relay's `limit` for a sealed envelope.
absl::Status TextTooLong(const Messages& messages, uint64_t text_bytes, uint64_t fit_bytes,
                         uint64_t limit) {
  return WithOwnAdvice(
      WithExitCode(absl::InvalidArgumentError(messages.Format(
                       Msg::kTextTooLong, text_bytes, fit_bytes, limit, text_bytes - fit_bytes)),
                   ExitCode::kRejected));
}

// Submits the stored first envelope (idempotent: same message id, same bytes).
// A failure says, in one line, whether the question waits for `samrad resend`
// (transient) or can never be delivered and waits for `samrad discard`
// (permanent; client/status_class.h).
absl::Status SubmitPending(Session& session, Keystore& keystore, v1::ThreadKeys& thread) {
  absl::Status status = session.Relay().status();
  v1::Ack ack;
  if (status.ok()) {
    RelayClient* relay = *session.Relay();
    absl::StatusOr<ThreadPrivateKeys> keys = LoadThreadKeys(thread);
    if (!keys.ok()) return keys.status();
    v1::SubmitConsultationRequest request;
    *request.mutable_metadata() = thread.metadata();
    request.set_thread_signing_public_key(keys->signing.public_key().bytes());
    request.set_envelope(thread.pending_envelope());
    status = relay->CallWithRetry(Msg::kActionSendQuestion, [&](auto& context) {
      return relay->stub().SubmitConsultation(&context, request, &ack);
    });
  }
  if (!status.ok()) return PendingFailure(session.msg(), thread.thread_id().substr(0, 8), status);
  thread.clear_pending_envelope();
  thread.set_last_known_state(v1::THREAD_STATE_OPEN);
  // thread.unit stays the unit the question was sealed for (signed), not the
  // relay's word in the Ack.
  if (absl::Status s = keystore.Save(); !s.ok()) return s;
  return absl::OkStatus();
}

void PrintAskResult(Session& session, const v1::ThreadKeys& thread, absl::string_view unit_name) {
  const bool acute = thread.metadata().urgency() == v1::URGENCY_ACUTE;
  Json json = Json::Object()
                  .Set("reference", thread.thread_id())
                  .Set("unit", thread.unit())
                  .Set("unit_name", unit_name);
  if (acute) json.Set("notice", session.msg().Format(Msg::kAcuteWarning));
  session.Print(json, session.msg().Format(Msg::kAskSent, unit_name, thread.thread_id()) + "\n");
}

// One GetThread call for my case, with an ownership proof (for the summary).
absl::StatusOr<v1::ThreadView> GetMyThread(Session& session, const v1::ThreadKeys& thread,
                                           const ThreadPrivateKeys& keys, uint64_t after_sequence) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ThreadView view;
  absl::Status status = (*relay)->CallWithRetry(Msg::kActionReadCase, [&](auto& context) {
    v1::GetThreadRequest request;
    request.set_thread_id(thread.thread_id());
    request.set_after_sequence(after_sequence);
    AttachOwnershipProof(request, kMethodGetThread, keys.signing, session.Now());
    return (*relay)->stub().GetThread(&context, request, &view);
  });
  if (!status.ok()) return status;
  return view;
}

// Every message of my case, each page with a fresh ownership proof.
absl::StatusOr<v1::ThreadView> FetchMyThread(Session& session, const v1::ThreadKeys& thread,
                                             const ThreadPrivateKeys& keys) {
  return FetchThread(session, thread.thread_id(), 0, [&](v1::GetThreadRequest& request) {
    AttachOwnershipProof(request, kMethodGetThread, keys.signing, session.Now());
  });
}

ReaderKeys ProfessionalReaderKeys(const ThreadPrivateKeys& keys) {
  ReaderKeys reader;
  reader.reply_key = &keys.reply;
  reader.thread_signing_key = keys.signing.public_key();
  return reader;
}

// My whole case, read and verified: the case's private keys, the session's
// verified directory, the view, what was opened, and the chain state;
// `integrity` is CheckThreadIntegrity's verdict (printed already).
struct MyCase {
  ThreadPrivateKeys keys;
  const v1::KeyDirectory* directory = nullptr;  // owned by the session
  v1::ThreadView view = {};
  OpenedThread opened = {};
  ThreadChainState state = {};
  absl::Status integrity = {};
};

// Loads `thread`'s keys and the verified directory, reads the whole case
// and records in the keystore what it verified (highest sequence, unit after
// a referral, last state). Errors of LoadThreadKeys, VerifiedDirectory,
// FetchMyThread and saving the keystore; a failed integrity check is not an
// error here but MyCase::integrity.
absl::StatusOr<MyCase> ReadMyCase(Session& session, Keystore& keystore, v1::ThreadKeys& thread) {
  SAMRAD_ASSIGN_OR_RETURN(ThreadPrivateKeys keys, LoadThreadKeys(thread));
  SAMRAD_ASSIGN_OR_RETURN(const v1::KeyDirectory* directory, session.VerifiedDirectory());
  absl::StatusOr<v1::ThreadView> view = FetchMyThread(session, thread, keys);
  if (!view.ok()) return view.status();
  MyCase out{.keys = std::move(keys), .directory = directory};
  out.view = *std::move(view);
  out.opened = OpenThread(out.view, *directory, keystore.contents(),
                          ProfessionalReaderKeys(out.keys), &out.state);
  out.integrity = CheckThreadIntegrity(session, out.view.summary(), out.opened, out.state,
                                       thread.highest_sequence_seen());
  bool changed = false;
  if (out.integrity.ok() && out.state.last_sequence > thread.highest_sequence_seen()) {
    thread.set_highest_sequence_seen(out.state.last_sequence);
    changed = true;
  }
  if (out.integrity.ok() && !out.state.units.empty() && thread.unit() != out.state.units.back()) {
    thread.set_unit(out.state.units.back());  // a verified referral moved it
    changed = true;
  }
  if (thread.last_known_state() != out.view.summary().state()) {
    thread.set_last_known_state(out.view.summary().state());
    changed = true;
  }
  if (changed) {
    if (absl::Status s = keystore.Save(); !s.ok()) return s;
  }
  return out;
}

}  // namespace

absl::Status RunAsk(Session& session) {
  const ParsedArgs& args = session.args();
  v1::CaseMetadata metadata;
  metadata.set_county(*args.Get("county"));
  if (!ids::IsCountyCode(metadata.county())) {
    return WithExitCode(absl::InvalidArgumentError(session.msg().Format(
                            Msg::kBadCounty, metadata.county(), ids::CountyChoices())),
                        ExitCode::kUsage);
  }
  metadata.set_category(*ParseCategory(*args.Get("category")));
  metadata.set_urgency(*ParseUrgency(*args.Get("urgency")));
  metadata.set_org_type(*ParseOrgType(*args.Get("org")));
  metadata.set_age_group(*ParseAgeGroup(*args.Get("age")));
  // Before the text is written: nothing is typed, stored or sealed in vain.
  if (absl::Status s = CheckAskAllowed(session, metadata.county()); !s.ok()) return s;
  if (metadata.urgency() == v1::URGENCY_ACUTE) {
    session.err() << session.msg().Format(Msg::kAcuteWarning) << "\n";
  }
  absl::StatusOr<std::string> text = session.ComposeText();
  if (!text.ok()) return text.status();
  absl::StatusOr<std::string> cleared = session.GuardText(std::move(*text));
  if (!cleared.ok()) return cleared.status();

  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  absl::StatusOr<const v1::KeyDirectory*> directory = session.VerifiedDirectory();
  if (!directory.ok()) return directory.status();
  absl::StatusOr<const v1::UnitEntry*> unit = crypto::RouteNewCase(**directory, metadata.county());
  if (!unit.ok()) return WithExitCode(unit.status(), ExitCode::kDirectory);
  absl::StatusOr<std::vector<crypto::X25519PublicKey>> recipients = UnitRecipients(**unit);
  if (!recipients.ok()) return recipients.status();
  // The relay's limit (learnt with the directory; 0 from a relay that does
  // not say): a text larger than it cannot fit whatever the sealing adds.
  const uint64_t limit = (*session.Relay())->max_envelope_bytes();
  const uint64_t text_bytes = cleared->size();
  if (limit != 0 && text_bytes > limit) {
    WipeString(*cleared);
    return TextTooLong(session.msg(), text_bytes, limit, limit);
  }

  crypto::X25519PrivateKey reply = crypto::X25519PrivateKey::Generate();
  crypto::Ed25519PrivateKey signing = crypto::Ed25519PrivateKey::Generate();
  recipients->push_back(reply.public_key());  // so I can read my own question
  crypto::EnvelopeContext context;
  context.thread_id = crypto::RandomId();
  context.message_id = crypto::RandomId();
  context.sequence = 1;
  context.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
  context.unit = (*unit)->unit_id();
  context.directory_epoch = (*directory)->epoch();
  // Kept in the keystore only (`samrad cases`), from the text as sent.
  const std::string subject = CaseSubject(*cleared);
  v1::EnvelopeBody body;
  body.set_text(*cleared);
  body.set_thread_reply_public_key(reply.public_key().bytes());
  body.set_thread_signing_public_key(signing.public_key().bytes());
  absl::StatusOr<std::string> envelope = crypto::SealEnvelope(context, body, *recipients, signing);
  WipeString(*body.mutable_text());
  WipeString(*cleared);
  if (!envelope.ok()) return envelope.status();
  // Exact, before anything is stored: what sealing added is known now.
  if (limit != 0 && envelope->size() > limit) {
    const uint64_t overhead = envelope->size() - text_bytes;
    return TextTooLong(session.msg(), text_bytes, limit > overhead ? limit - overhead : 0, limit);
  }

  // Keep the keys and the sealed bytes before sending, so an interrupted
  // send can be repeated byte-identically (`samrad resend`).
  v1::ThreadKeys* thread = (*keystore)->mutable_contents().add_threads();
  thread->set_thread_id(context.thread_id);
  thread->set_reply_private_key(std::string(reply.Serialize().view()));
  thread->set_signing_private_key(std::string(signing.Serialize().view()));
  *thread->mutable_metadata() = metadata;
  thread->set_unit(context.unit);
  thread->set_created_at_unix_ms(session.Now());
  thread->set_subject(subject);
  thread->set_pending_envelope(*envelope);
  if (absl::Status s = (*keystore)->Save(); !s.ok()) return s;
  if (absl::Status s = SubmitPending(session, **keystore, *thread); !s.ok()) return s;
  PrintAskResult(session, *thread,
                 (*unit)->display_name().empty() ? (*unit)->unit_id() : (*unit)->display_name());
  return absl::OkStatus();
}

absl::Status RunResend(Session& session) {
  SAMRAD_ASSIGN_OR_RETURN(const CaseTarget mine, OpenMyCase(session));
  Keystore& keystore = *mine.keystore;
  v1::ThreadKeys& thread = *mine.own;
  if (thread.pending_envelope().empty()) {
    return WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kAlreadyAcknowledged)),
        ExitCode::kConflict);
  }
  if (absl::Status s = SubmitPending(session, keystore, thread); !s.ok()) return s;
  PrintAskResult(session, thread, thread.unit());
  return absl::OkStatus();
}

absl::Status RunDiscard(Session& session) {
  SAMRAD_ASSIGN_OR_RETURN(const CaseTarget mine, OpenMyCase(session));
  Keystore& keystore = *mine.keystore;
  v1::ThreadKeys& thread = *mine.own;
  const std::string id = thread.thread_id();
  const Messages& m = session.msg();
  if (thread.pending_envelope().empty()) {
    return WithOwnAdvice(
        WithExitCode(absl::FailedPreconditionError(m.Format(Msg::kDiscardAcknowledged, id)),
                     ExitCode::kConflict));
  }
  if (!session.args().Has("yes")) {
    if (absl::Status s =
            ConfirmOnTerminal(m.Format(Msg::kDiscardConfirmPrompt, id),
                              m.Format(Msg::kDiscardNeedsYes), m.Format(Msg::kDiscardNotConfirmed));
        !s.ok()) {
      return s;
    }
  }
  keystore.RemoveThread(id);
  if (absl::Status s = keystore.Save(); !s.ok()) return s;
  session.Print(Json::Object().Set("reference", id).Set("discarded", true),
                m.Format(Msg::kDiscarded, id) + "\n");
  return absl::OkStatus();
}

absl::Status RunCases(Session& session) {
  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  Keystore& ks = **keystore;
  const bool all = session.args().Has("all");
  const Messages& m = session.msg();
  absl::StatusOr<CaseFilter> filter = ParseCaseFilter(session.args(), m, "");
  if (!filter.ok()) return filter.status();
  Table table({m.Format(Msg::kColReference), m.Format(Msg::kColUnit), m.Format(Msg::kColCategory),
               m.Format(Msg::kColUrgency), m.Format(Msg::kColState), m.Format(Msg::kColMessages),
               m.Format(Msg::kColAge), m.Format(Msg::kColNew), m.Format(Msg::kColSubject)});
  Json list = Json::Array();
  bool changed = false;
  int closed_hidden = 0;
  const auto listed = [all](const v1::ThreadKeys& thread) {
    return all || thread.closed_at_unix_ms() == 0;
  };
  // The states shown are the relay's: when it cannot be asked (profile
  // files unusable, relay down) the command fails rather than show stale ones.
  const auto& threads = ks.contents().threads();
  if (std::any_of(threads.begin(), threads.end(), [&](const v1::ThreadKeys& thread) {
        return listed(thread) && thread.pending_envelope().empty();
      })) {
    if (absl::Status s = session.Relay().status(); !s.ok()) return s;
  }
  for (auto& thread : *ks.mutable_contents().mutable_threads()) {
    if (!listed(thread)) {
      ++closed_hidden;
      continue;
    }
    std::string state = thread.pending_envelope().empty()
                            ? std::string(ThreadStateName(thread.last_known_state()))
                            : "unsent";
    std::string messages = "?";
    std::string unit = thread.unit();
    v1::ThreadState relay_state = thread.last_known_state();
    UnreadKind unread = UnreadKind::kNone;
    if (thread.pending_envelope().empty()) {
      absl::StatusOr<ThreadPrivateKeys> keys = LoadThreadKeys(thread);
      if (!keys.ok()) return keys.status();
      absl::StatusOr<v1::ThreadView> view = GetMyThread(session, thread, *keys, ~uint64_t{0} >> 1);
      if (view.ok()) {
        state = std::string(ThreadStateName(view->summary().state()));
        relay_state = view->summary().state();
        unread = Unread(view->summary(), thread.read_message_count(), /*professional=*/true);
        messages = absl::StrCat(view->summary().message_count());
        unit = view->summary().unit();
        // The unit shown is the relay's (unsigned) word; only a verified
        // read (`show`, `followup`) updates the stored unit.
        if (thread.last_known_state() != view->summary().state()) {
          thread.set_last_known_state(view->summary().state());
          changed = true;
        }
      } else if (view.status().code() == absl::StatusCode::kNotFound &&
                 ExitCodeOf(view.status()) == ExitCode::kNotFound) {
        state = "purged";  // the relay's answer: retention removed it
      } else {
        return view.status();
      }
    }
    if (!Matches(*filter, {relay_state, thread.metadata(), "", thread.created_at_unix_ms()})) {
      continue;
    }
    table.AddRow({thread.thread_id(), unit, std::string(ValueText(thread.metadata().category(), m)),
                  std::string(ValueText(thread.metadata().urgency(), m)), StateText(state, m),
                  messages, FormatAge(session.Now() - thread.created_at_unix_ms()),
                  UnreadLabel(m, unread), thread.subject().empty() ? "\u2014" : thread.subject()});
    list.Push(Json::Object()
                  .Set("reference", thread.thread_id())
                  .Set("subject", thread.subject())
                  .Set("unit", unit)
                  .Set("county", thread.metadata().county())
                  .Set("category", CategoryName(thread.metadata().category()))
                  .Set("urgency", UrgencyName(thread.metadata().urgency()))
                  .Set("state", state)
                  .Set("created_at_unix_ms", thread.created_at_unix_ms())
                  .Set("unread", UnreadJsonName(unread)));
  }
  if (changed) {
    if (absl::Status s = ks.Save(); !s.ok()) return s;
  }
  std::string text = table.Render();
  if (table.size() == 0) {
    text =
        (closed_hidden > 0 ? m.Format(Msg::kNoOpenCases, closed_hidden) : m.Format(Msg::kNoCases)) +
        "\n";
  }
  session.Print(list, text);
  return absl::OkStatus();
}

absl::Status RunShow(Session& session) {
  SAMRAD_ASSIGN_OR_RETURN(CaseTarget target,
                          ResolveCaseTarget(session, *session.args().Positional(0)));
  if (target.own == nullptr) return RunAdviserShow(session, target.adviser_thread_id);
  Keystore* const keystore = target.keystore;
  v1::ThreadKeys* const thread = target.own;
  absl::StatusOr<MyCase> read = ReadMyCase(session, *keystore, *thread);
  if (!read.ok()) return read.status();
  PrintThread(session, read->view.summary(), read->opened.messages, Reader{.professional = true});
  if (read->integrity.ok() && read->state.last_sequence > thread->read_message_count()) {
    thread->set_read_message_count(read->state.last_sequence);  // unread marker
    if (absl::Status s = keystore->Save(); !s.ok()) return s;
  }
  return read->integrity;
}

absl::Status RunFollowup(Session& session) {
  absl::StatusOr<std::string> text = session.ComposeText();
  if (!text.ok()) return text.status();
  absl::StatusOr<std::string> cleared = session.GuardText(std::move(*text));
  if (!cleared.ok()) return cleared.status();
  SAMRAD_ASSIGN_OR_RETURN(const CaseTarget mine, OpenMyCase(session));
  Keystore& keystore = *mine.keystore;
  v1::ThreadKeys& thread = *mine.own;
  // The unit comes from signed data only (message 1, then referrals), and
  // nothing is sealed while the relay's view of the case disagrees with it.
  absl::StatusOr<MyCase> read = ReadMyCase(session, keystore, thread);
  if (!read.ok()) return read.status();
  if (!read->integrity.ok()) return read->integrity;
  if (read->state.units.empty()) {
    return WithExitCode(absl::DataLossError(session.msg().Format(Msg::kFirstMessageUnverified)),
                        ExitCode::kDirectory);
  }
  const std::string& signed_unit = read->state.units.back();
  absl::StatusOr<const v1::UnitEntry*> unit = crypto::FindUnit(*read->directory, signed_unit);
  if (!unit.ok()) return WithExitCode(unit.status(), ExitCode::kDirectory);
  absl::StatusOr<std::vector<crypto::X25519PublicKey>> recipients = UnitRecipients(**unit);
  if (!recipients.ok()) return recipients.status();
  recipients->push_back(read->keys.reply.public_key());

  crypto::EnvelopeContext context;
  context.thread_id = thread.thread_id();
  context.message_id = crypto::RandomId();
  context.sequence = read->state.last_sequence + 1;
  context.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
  context.unit = signed_unit;
  context.directory_epoch = read->directory->epoch();
  context.previous_envelope_hash = read->state.last_chain_hash;
  v1::EnvelopeBody body;
  body.set_text(*cleared);
  absl::StatusOr<std::string> envelope =
      crypto::SealEnvelope(context, body, *recipients, read->keys.signing);
  WipeString(*body.mutable_text());
  WipeString(*cleared);
  if (!envelope.ok()) return envelope.status();

  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::Ack ack;
  // Same envelope (same message id) on every attempt; a fresh proof each
  // time, since the relay refuses a repeated proof nonce.
  absl::Status status = (*relay)->CallWithRetry(Msg::kActionSendFollowup, [&](auto& ctx) {
    v1::PostMessageRequest request;
    request.set_thread_id(context.thread_id);
    request.set_envelope(*envelope);
    AttachOwnershipProof(request, kMethodPostMessage, read->keys.signing, session.Now());
    return (*relay)->stub().PostMessage(&ctx, request, &ack);
  });
  if (!status.ok()) return status;
  session.Print(Json::Object().Set("reference", context.thread_id).Set("sequence", ack.sequence()),
                session.msg().Format(Msg::kFollowupSent, context.thread_id) + "\n");
  return absl::OkStatus();
}

namespace {

// close on a question the relay never acknowledged: nothing to close there;
// --forget removes it here (as `discard --yes` does).
absl::Status ForgetUnsent(Session& session, Keystore& keystore, const v1::ThreadKeys& thread) {
  const std::string id = thread.thread_id();
  if (!session.args().Has("forget")) {
    return WithOwnAdvice(WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kCloseUnsent, id.substr(0, 8))),
        ExitCode::kConflict));
  }
  keystore.RemoveThread(id);
  if (absl::Status s = keystore.Save(); !s.ok()) return s;
  session.Print(Json::Object().Set("reference", id).Set("discarded", true),
                session.msg().Format(Msg::kDiscarded, id) + "\n");
  return absl::OkStatus();
}

}  // namespace

absl::Status RunClose(Session& session) {
  SAMRAD_ASSIGN_OR_RETURN(CaseTarget target,
                          ResolveCaseTarget(session, *session.args().Positional(0)));
  if (target.own == nullptr) return RunAdviserClose(session, target.adviser_thread_id);
  Keystore* const keystore = target.keystore;
  v1::ThreadKeys* const thread = target.own;
  // Deleting a case's keys cannot be undone: ask before anything changes.
  if (session.args().Has("forget") && !session.args().Has("yes")) {
    const Messages& m = session.msg();
    if (absl::Status s =
            ConfirmOnTerminal(m.Format(Msg::kForgetConfirmPrompt, thread->thread_id()),
                              m.Format(Msg::kForgetNeedsYes), m.Format(Msg::kNothingChanged));
        !s.ok()) {
      return s;
    }
  }
  if (!thread->pending_envelope().empty()) return ForgetUnsent(session, *keystore, *thread);
  absl::StatusOr<ThreadPrivateKeys> keys = LoadThreadKeys(*thread);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ThreadSummary summary;
  absl::Status status = (*relay)->CallWithRetry(Msg::kActionCloseCase, [&](auto& context) {
    v1::CloseThreadRequest request;
    request.set_thread_id(thread->thread_id());
    AttachOwnershipProof(request, kMethodCloseThread, keys->signing, session.Now());
    return (*relay)->stub().CloseThread(&context, request, &summary);
  });
  // Already closed (by an adviser, or an earlier attempt): closing is done.
  if (!status.ok() && status.code() != absl::StatusCode::kFailedPrecondition) return status;
  const std::string id = thread->thread_id();
  const bool forget = session.args().Has("forget");
  if (forget) {
    keystore->RemoveThread(id);
  } else {
    thread->set_last_known_state(v1::THREAD_STATE_CLOSED);
    thread->set_closed_at_unix_ms(session.Now());
  }
  if (absl::Status s = keystore->Save(); !s.ok()) return s;
  session.Print(
      Json::Object().Set("reference", id).Set("state", "closed").Set("keys_deleted", forget),
      session.msg().Format(forget ? Msg::kClosedForgotten : Msg::kClosed, id) + "\n");
  return absl::OkStatus();
}

absl::Status RunWatch(Session& session) {
  std::optional<std::string> reference = session.args().Positional(0);
  if (!reference.has_value()) return RunAdviserWatchQueue(session);
  if (session.args().Has("exec")) {
    return WithExitCode(absl::InvalidArgumentError(session.msg().Format(Msg::kWatchExecNeedsQueue)),
                        ExitCode::kUsage);
  }
  SAMRAD_ASSIGN_OR_RETURN(CaseTarget target, ResolveCaseTarget(session, *reference));
  if (target.own == nullptr) return RunAdviserWatchThread(session, target.adviser_thread_id);
  Keystore* const keystore = target.keystore;
  v1::ThreadKeys* const thread = target.own;
  absl::StatusOr<MyCase> read = ReadMyCase(session, *keystore, *thread);
  if (!read.ok()) return read.status();
  if (!read->integrity.ok()) return read->integrity;
  ThreadChainState state = std::move(read->state);
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();

  v1::WatchThreadRequest request;
  request.set_thread_id(thread->thread_id());
  request.set_after_sequence(state.last_sequence);
  AttachOwnershipProof(request, kMethodWatchThread, read->keys.signing, session.Now());
  return WatchThreadAndPrint(session, **relay, request, *read->directory, keystore->contents(),
                             ProfessionalReaderKeys(read->keys), Reader{.professional = true},
                             std::move(state));
}

}  // namespace samrad::client
