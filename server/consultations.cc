#include "server/consultations.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/reasons.h"
#include "common/status_macros.h"
#include "crypto/directory.h"
#include "server/authz.h"
#include "server/status.h"
#include "server/validation.h"

namespace samrad::server {
namespace {

constexpr int kMaxRewrapMessages = 10000;
constexpr size_t kMaxCursorBytes = 1024;

// The wraps of a ReferThread or ShareThread request by message id: at most
// kMaxRewrapMessages entries, each a message id named once with 1..
// crypto::kMaxRecipients well-formed wraps. INVALID_ARGUMENT naming the field.
absl::StatusOr<Rewraps> ParseRewraps(
    const google::protobuf::RepeatedPtrField<v1::MessageRewrap>& rewraps) {
  if (rewraps.size() > kMaxRewrapMessages) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rewraps has ", rewraps.size(), " entries; at most ", kMaxRewrapMessages, " are accepted"));
  }
  Rewraps out;
  for (int i = 0; i < rewraps.size(); ++i) {
    const auto& rewrap = rewraps.Get(i);
    const std::string field = absl::StrCat("rewraps[", i, "]");
    if (auto s = ValidateHexId(field + ".message_id", rewrap.message_id()); !s.ok()) return s;
    if (rewrap.recipients().empty() ||
        static_cast<size_t>(rewrap.recipients_size()) > crypto::kMaxRecipients) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".recipients must hold 1..",
                                                     crypto::kMaxRecipients, " wrapped keys"));
    }
    std::vector<v1::WrappedKey> keys;
    for (int k = 0; k < rewrap.recipients_size(); ++k) {
      if (auto s =
              ValidateWrappedKey(absl::StrCat(field, ".recipients[", k, "]"), rewrap.recipients(k));
          !s.ok()) {
        return s;
      }
      keys.push_back(rewrap.recipients(k));
    }
    if (!out.emplace(rewrap.message_id(), std::move(keys)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".message_id names a message that an earlier entry names"));
    }
  }
  return out;
}

// GetThread's cursor is "s" and the last sequence returned, in decimal:
// opaque to clients, checked here.
std::string ThreadCursor(uint64_t last_sequence) { return absl::StrCat("s", last_sequence); }
// Where a GetThread page starts: after the cursor's sequence, or after
// after_sequence when there is no cursor. INVALID_ARGUMENT for a cursor
// this relay did not return.
absl::StatusOr<uint64_t> ThreadCursorStart(const v1::GetThreadRequest& request) {
  if (request.cursor().empty()) return request.after_sequence();
  uint64_t sequence = 0;
  if (request.cursor().size() > kMaxCursorBytes || request.cursor()[0] != 's' ||
      !absl::SimpleAtoi(absl::string_view(request.cursor()).substr(1), &sequence)) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kBadCursor, {});
  }
  return sequence;
}

// Whether `envelope` is signed by `key`; INVALID_ARGUMENT naming `whose`.
absl::Status VerifySignature(const crypto::ParsedEnvelope& envelope,
                             const crypto::Ed25519PublicKey& key, absl::string_view whose) {
  if (!crypto::VerifyEnvelopeSignature(envelope, key).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the envelope signature does not verify under ", whose));
  }
  return absl::OkStatus();
}

}  // namespace

v1::ThreadSummary Summarize(const v1::ThreadRecord& t) {
  v1::ThreadSummary s;
  s.set_thread_id(t.thread_id());
  s.set_unit(t.unit());
  *s.mutable_metadata() = t.metadata();
  s.set_state(t.state());
  s.set_claimed_by(t.claimed_by());
  s.set_created_at_unix_ms(t.created_at_unix_ms());
  s.set_last_activity_unix_ms(t.last_activity_unix_ms());
  s.set_message_count(t.last_sequence());
  s.set_last_sender_role(t.last_sender_role());
  return s;
}

v1::Ack MakeAck(const storage::Appended& appended) {
  v1::Ack ack;
  ack.set_thread_id(appended.message.thread_id());
  ack.set_message_id(appended.message.message_id());
  ack.set_sequence(appended.message.sequence());
  ack.set_accepted_at_unix_ms(appended.message.accepted_at_unix_ms());
  ack.set_unit(appended.thread.unit());
  ack.set_duplicate(appended.duplicate);
  return ack;
}

storage::AuditDraft Audit(const Identity& who, std::string action, std::string thread_id,
                          std::string detail) {
  storage::AuditDraft draft;
  draft.actor_role = std::string(RoleName(who.role));
  // Professionals are never recorded by who they are.
  if (who.role != Role::kProfessional) draft.actor_id = who.id;
  draft.action = std::move(action);
  draft.thread_id = std::move(thread_id);
  draft.detail = std::move(detail);
  return draft;
}

absl::Status HideForeign(const absl::Status& status) {
  if (absl::IsNotFound(status)) return ThreadNotVisible();
  return status;
}

Consultations::Consultations(storage::Store* store, Admission* admission,
                             const DirectoryState* directory, v1::LimitsConfig limits,
                             std::function<int64_t()> clock)
    : store_(store),
      admission_(admission),
      directory_(directory),
      limits_(std::move(limits)),
      clock_(std::move(clock)) {}

// A share by an adviser of the thread's current unit who is listed in the
// current directory, of wraps only to advisers of that unit listed there.
absl::StatusOr<PreparedShare> Consultations::PrepareShare(const Identity& caller,
                                                          const v1::ShareThreadRequest& request) {
  auto thread = LoadThreadFor(caller, method::kShareThread, request.thread_id(), request,
                              v1::OwnershipProof(), false);
  if (!thread.ok()) return thread.status();
  if (request.rewraps().empty()) {
    return absl::InvalidArgumentError("rewraps is empty; name at least one message");
  }
  PreparedShare out;
  auto wraps = ParseRewraps(request.rewraps());
  if (!wraps.ok()) return wraps.status();
  out.wraps = *std::move(wraps);
  if (thread->state() == v1::THREAD_STATE_CLOSED) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kShareClosed, {});
  }
  auto dir = directory_->Current();
  if (!dir)
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                          {});
  if (auto key = DirectoryState::AdviserSigningKey(*dir, caller); !key.ok()) return key.status();
  // Key id -> adviser id of every adviser of the thread's unit at this epoch.
  std::map<std::string, std::string> unit_keys;
  if (auto unit = crypto::FindUnit(dir->directory, thread->unit()); unit.ok()) {
    for (const auto& adviser : (*unit)->advisers()) {
      auto key = crypto::X25519PublicKey::FromBytes(adviser.encryption_public_key());
      if (key.ok()) unit_keys.emplace(key->KeyId(), adviser.adviser_id());
    }
  }
  std::set<std::string> to;
  for (int i = 0; i < request.rewraps_size(); ++i) {
    const auto& rewrap = request.rewraps(i);
    for (int k = 0; k < rewrap.recipients_size(); ++k) {
      auto it = unit_keys.find(rewrap.recipients(k).key_id());
      if (it == unit_keys.end()) {
        return reasons::Error(
            absl::StatusCode::kInvalidArgument, reasons::Reason::kShareKeyNotUnitAdviser,
            {absl::StrCat(i), absl::StrCat(k), thread->unit(), absl::StrCat(dir->epoch)});
      }
      to.insert(it->second);
    }
  }
  out.audit_detail = absl::StrCat("to=", absl::StrJoin(to, ","), " messages=", out.wraps.size(),
                                  " epoch=", dir->epoch);
  return out;
}

absl::StatusOr<crypto::ParsedEnvelope> Consultations::ParseSizedEnvelope(absl::string_view field,
                                                                         const std::string& bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (bytes.size() > limits_.max_envelope_bytes()) {
    return SizeLimitError(absl::StrCat(field, " is ", bytes.size(),
                                       " bytes; the relay accepts at most ",
                                       limits_.max_envelope_bytes()));
  }
  auto parsed = crypto::ParseEnvelope(bytes);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", parsed.status().message()));
  }
  // Stored and served verbatim: nothing outside the known fields may ride along.
  if (auto s = RejectUnknownFields(parsed->sealed, field); !s.ok()) return s;
  if (auto s = RejectUnknownFields(parsed->header, absl::StrCat(field, " header")); !s.ok()) {
    return s;
  }
  return parsed;
}

// `failure` unless `message_id` was stored before: then the original Ack
// (duplicate = true) for identical bytes, ALREADY_EXISTS for other bytes.
absl::StatusOr<PreparedMessage> Consultations::OrResubmit(absl::Status failure,
                                                          const std::string& message_id,
                                                          const std::string& thread_id,
                                                          const std::string& envelope) {
  auto resubmit = CheckResubmit(message_id, thread_id, envelope);
  if (!resubmit.ok()) return resubmit.status();
  if (!resubmit->has_value()) return failure;
  PreparedMessage out;
  out.duplicate_ack = std::move(**resubmit);
  return out;
}

// A byte-identical resubmit returns the original Ack; the same message id
// with other bytes is ALREADY_EXISTS.
absl::StatusOr<std::optional<v1::Ack>> Consultations::CheckResubmit(const std::string& message_id,
                                                                    const std::string& thread_id,
                                                                    const std::string& envelope) {
  auto existing = store_->FindMessage(message_id);
  if (absl::IsNotFound(existing.status())) return std::optional<v1::Ack>();
  if (!existing.ok()) return existing.status();
  if (existing->thread_id() != thread_id || existing->envelope() != envelope) {
    return reasons::Error(absl::StatusCode::kAlreadyExists, reasons::Reason::kMessageIdReused,
                          {std::string(message_id)});
  }
  auto thread = store_->GetThread(thread_id);
  if (!thread.ok()) return thread.status();
  v1::Ack ack;
  ack.set_thread_id(thread_id);
  ack.set_message_id(message_id);
  ack.set_sequence(existing->sequence());
  ack.set_accepted_at_unix_ms(existing->accepted_at_unix_ms());
  ack.set_unit(thread->unit());
  ack.set_duplicate(true);
  return std::optional<v1::Ack>(std::move(ack));
}

absl::StatusOr<PreparedMessage> Consultations::PrepareSubmission(
    const Identity& caller, const v1::SubmitConsultationRequest& request) {
  if (!request.has_metadata()) return absl::InvalidArgumentError("metadata is required");
  v1::CaseMetadata metadata = request.metadata();
  if (auto s = ValidateCaseMetadata(metadata, /*allow_empty_county=*/true); !s.ok()) return s;
  // The county comes from the professional's certificate.
  if (metadata.county().empty()) metadata.set_county(caller.scope);
  if (metadata.county() != caller.scope) {
    return reasons::Error(absl::StatusCode::kPermissionDenied, reasons::Reason::kCountyNotYours,
                          {caller.scope});
  }
  auto thread_key = crypto::Ed25519PublicKey::FromBytes(request.thread_signing_public_key());
  if (!thread_key.ok()) {
    return absl::InvalidArgumentError(
        "thread_signing_public_key must be a 32-byte Ed25519 public key");
  }
  auto envelope = ParseSizedEnvelope("envelope", request.envelope());
  if (!envelope.ok()) return envelope.status();
  const v1::EnvelopeHeader& header = envelope->header;
  if (auto s = ValidateHexId("envelope header thread_id", header.thread_id()); !s.ok()) return s;
  if (auto s = ValidateHexId("envelope header message_id", header.message_id()); !s.ok()) {
    return s;
  }
  if (auto s = VerifySignature(*envelope, *thread_key, "thread_signing_public_key"); !s.ok()) {
    return s;
  }
  // A resubmission fails the freshness checks below (epoch, unit); only
  // then is its message id looked up, which keeps that read off the
  // common path. A byte-identical resubmit that passes them is reported
  // as a duplicate by the Store itself.
  auto or_resubmit = [&](absl::Status failure) {
    return OrResubmit(std::move(failure), header.message_id(), header.thread_id(),
                      request.envelope());
  };
  PreparedMessage out;
  auto dir = directory_->Current();
  if (!dir) {
    return or_resubmit(reasons::Error(absl::StatusCode::kFailedPrecondition,
                                      reasons::Reason::kNoDirectoryYet, {}));
  }
  auto unit = crypto::RouteNewCase(dir->directory, metadata.county());
  if (!unit.ok()) {
    return or_resubmit(reasons::Error(absl::StatusCode::kFailedPrecondition,
                                      reasons::Reason::kCountyUnrouted, {metadata.county()}));
  }
  ExpectedHeader expected;
  expected.thread_id = header.thread_id();
  expected.sequence = 1;
  expected.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
  expected.units = {(*unit)->unit_id()};
  expected.directory_epoch = dir->epoch;
  if (auto s = CheckEnvelopeHeader(header, expected); !s.ok()) return or_resubmit(s);

  const int64_t now = clock_();
  out.thread.set_thread_id(header.thread_id());
  out.thread.set_unit((*unit)->unit_id());
  *out.thread.mutable_metadata() = metadata;
  out.thread.set_state(v1::THREAD_STATE_OPEN);
  out.thread.set_created_at_unix_ms(now);
  out.thread.set_last_activity_unix_ms(now);
  out.thread.set_last_sequence(1);
  out.thread.set_thread_signing_public_key(request.thread_signing_public_key());
  out.message.set_thread_id(header.thread_id());
  out.message.set_message_id(header.message_id());
  out.message.set_sequence(1);
  out.message.set_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
  out.message.set_envelope(request.envelope());
  out.message.set_accepted_at_unix_ms(now);
  return out;
}

absl::StatusOr<PreparedMessage> Consultations::PreparePost(const Identity& caller,
                                                           const v1::PostMessageRequest& request) {
  if (request.take_over() && caller.role != Role::kAdviser) {
    return absl::InvalidArgumentError("take_over is for advisers answering a claimed case");
  }
  auto thread = LoadThreadFor(caller, method::kPostMessage, request.thread_id(), request,
                              request.proof(), request.has_proof());
  if (!thread.ok()) return thread.status();
  auto envelope = ParseSizedEnvelope("envelope", request.envelope());
  if (!envelope.ok()) return envelope.status();
  const v1::EnvelopeHeader& header = envelope->header;
  if (auto s = ValidateHexId("envelope header message_id", header.message_id()); !s.ok()) {
    return s;
  }
  auto dir = directory_->Current();
  if (!dir)
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                          {});
  const bool adviser = caller.role == Role::kAdviser;
  if (adviser) {
    auto key = DirectoryState::AdviserSigningKey(*dir, caller);
    if (!key.ok()) return key.status();
    if (auto s = VerifySignature(*envelope, *key, "your signing key in the directory"); !s.ok()) {
      return s;
    }
  } else {
    auto key = crypto::Ed25519PublicKey::FromBytes(thread->thread_signing_public_key());
    if (!key.ok()) return ThreadNotVisible();
    if (auto s = VerifySignature(*envelope, *key, "the thread key"); !s.ok()) return s;
  }
  // As for submissions: a resubmit fails the sequence (or closed) check.
  auto or_resubmit = [&](absl::Status failure) {
    return OrResubmit(std::move(failure), header.message_id(), request.thread_id(),
                      request.envelope());
  };
  PreparedMessage out;
  if (thread->state() == v1::THREAD_STATE_CLOSED) {
    return or_resubmit(
        absl::FailedPreconditionError("the thread is closed; start a new consultation"));
  }
  ExpectedHeader expected;
  expected.thread_id = request.thread_id();
  expected.sequence = thread->last_sequence() + 1;
  expected.sender_role = adviser ? v1::SENDER_ROLE_ADVISER : v1::SENDER_ROLE_PROFESSIONAL;
  expected.units = {thread->unit()};
  expected.directory_epoch = dir->epoch;
  if (auto s = CheckEnvelopeHeader(header, expected); !s.ok()) return or_resubmit(s);
  out.thread = *std::move(thread);
  out.message.set_thread_id(request.thread_id());
  out.message.set_message_id(header.message_id());
  out.message.set_sequence(header.sequence());
  out.message.set_sender_role(expected.sender_role);
  out.message.set_envelope(request.envelope());
  out.message.set_accepted_at_unix_ms(clock_());
  if (adviser) out.message.set_adviser_id(caller.id);
  return out;
}

absl::StatusOr<PreparedReferral> Consultations::PrepareReferral(
    const Identity& caller, const v1::ReferThreadRequest& request) {
  if (auto s = ValidateHexId("thread_id", request.thread_id()); !s.ok()) return s;
  if (request.to_unit().empty()) return absl::InvalidArgumentError("to_unit is required");
  auto dir = directory_->Current();
  if (!dir)
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                          {});
  if (!crypto::FindUnit(dir->directory, request.to_unit()).ok()) {
    return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kUnitNotInDirectory,
                          {request.to_unit().substr(0, 64), absl::StrCat(dir->epoch)});
  }
  if (request.to_unit() == caller.scope) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kReferToOwnUnit, {});
  }
  auto thread = LoadThreadFor(caller, method::kReferThread, request.thread_id(), request,
                              v1::OwnershipProof(), false);
  if (!thread.ok()) return thread.status();
  if (thread->state() == v1::THREAD_STATE_CLOSED) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kReferClosed, {});
  }
  PreparedReferral out;
  auto rewraps = ParseRewraps(request.rewraps());
  if (!rewraps.ok()) return rewraps.status();
  out.rewraps = *std::move(rewraps);
  if (out.rewraps.size() != thread->last_sequence()) {
    return reasons::Error(absl::StatusCode::kInvalidArgument,
                          reasons::Reason::kReferRewrapsIncomplete,
                          {absl::StrCat(out.rewraps.size()), absl::StrCat(thread->last_sequence()),
                           request.to_unit()});
  }
  // Readers learn that a case moved only from this signed note (its body
  // names to_unit), so a referral without one is refused.
  if (request.note_envelope().empty()) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kReferNoteRequired,
                          {});
  }
  {
    auto envelope = ParseSizedEnvelope("note_envelope", request.note_envelope());
    if (!envelope.ok()) return envelope.status();
    auto key = DirectoryState::AdviserSigningKey(*dir, caller);
    if (!key.ok()) return key.status();
    if (auto s = VerifySignature(*envelope, *key, "your signing key in the directory"); !s.ok()) {
      return s;
    }
    ExpectedHeader expected;
    expected.thread_id = request.thread_id();
    expected.sequence = thread->last_sequence() + 1;
    expected.sender_role = v1::SENDER_ROLE_ADVISER;
    expected.units = {request.to_unit()};
    expected.directory_epoch = dir->epoch;
    if (auto s = CheckEnvelopeHeader(envelope->header, expected); !s.ok()) return s;
    v1::StoredMessage note;
    note.set_thread_id(request.thread_id());
    note.set_message_id(envelope->header.message_id());
    note.set_sequence(expected.sequence);
    note.set_sender_role(v1::SENDER_ROLE_ADVISER);
    note.set_envelope(request.note_envelope());
    note.set_accepted_at_unix_ms(clock_());
    note.set_adviser_id(caller.id);
    out.note = std::move(note);
  }
  return out;
}

// Reads one GetThread page into `reply` (the store stops at the page
// budget; the client pages on with next_cursor). Returns where it started.
absl::StatusOr<uint64_t> Consultations::ReadThreadPage(const Identity& caller,
                                                       const v1::GetThreadRequest& request,
                                                       v1::ThreadView* reply) {
  SAMRAD_ASSIGN_OR_RETURN(v1::ThreadRecord thread,
                          LoadThreadFor(caller, method::kGetThread, request.thread_id(), request,
                                        request.proof(), request.has_proof()));
  SAMRAD_ASSIGN_OR_RETURN(uint64_t after, ThreadCursorStart(request));
  SAMRAD_ASSIGN_OR_RETURN(
      storage::MessagePage page,
      store_->ReadMessagePage(request.thread_id(), after, limits_.max_messages_per_read(),
                              limits_.max_read_bytes()));
  *reply->mutable_summary() = Summarize(thread);
  for (auto& m : page.messages) *reply->add_messages() = std::move(m);
  if (page.more) reply->set_next_cursor(ThreadCursor(reply->messages().rbegin()->sequence()));
  return after;
}

// The store query of a ListQueue request: the caller's unit, the filters.
absl::StatusOr<storage::QueueQuery> Consultations::QueueQueryOf(
    const Identity& caller, const v1::ListQueueRequest& request) {
  if (request.page_size() > 200) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kQueuePageSize,
                          {absl::StrCat(request.page_size())});
  }
  if (request.cursor().size() > kMaxCursorBytes) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kBadCursor, {});
  }
  SAMRAD_RETURN_IF_ERROR(ValidateQueueFilters(request));
  storage::QueueQuery query;
  query.unit = caller.scope;
  for (int s : request.states()) query.states.push_back(static_cast<v1::ThreadState>(s));
  for (int u : request.urgencies()) query.urgencies.push_back(static_cast<v1::Urgency>(u));
  for (int c : request.categories()) query.categories.push_back(static_cast<v1::Category>(c));
  query.page_size = request.page_size() == 0 ? 50 : request.page_size();
  query.cursor = request.cursor();
  return query;
}

}  // namespace samrad::server
