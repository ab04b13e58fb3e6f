#include "storage/write_ops.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/reasons.h"
#include "common/status_macros.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "storage/audit_chain.h"
#include "storage/queries.h"
#include "storage/schema.h"

namespace samrad::storage {

absl::StatusOr<v1::ThreadRecord> LoadThread(Txn& txn, const std::string& thread_id) {
  absl::StatusOr<std::optional<v1::ThreadRecord>> thread =
      txn.GetProto<v1::ThreadRecord>(schema::kThreads, schema::ThreadKey(thread_id));
  if (!thread.ok()) return thread.status();
  if (!thread->has_value()) return ThreadNotFound(thread_id);
  return **thread;
}

namespace {

// FAILED_PRECONDITION "thread … is closed" for a CLOSED thread: nothing may
// change a closed thread (the state machine in docs/DESIGN.md).
absl::Status RefuseIfClosed(const v1::ThreadRecord& thread) {
  if (thread.state() != v1::THREAD_STATE_CLOSED) return absl::OkStatus();
  return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kThreadClosed,
                        {thread.thread_id()});
}

bool SameSubmission(const v1::StoredMessage& stored, const v1::StoredMessage& incoming) {
  return stored.thread_id() == incoming.thread_id() && stored.envelope() == incoming.envelope() &&
         stored.sender_role() == incoming.sender_role() &&
         stored.adviser_id() == incoming.adviser_id();
}

absl::Status ValidateMessage(const v1::StoredMessage& message) {
  if (absl::Status s = schema::ValidateKeyPart("thread_id", message.thread_id()); !s.ok()) return s;
  if (absl::Status s = schema::ValidateKeyPart("message_id", message.message_id()); !s.ok()) {
    return s;
  }
  if (message.envelope().empty()) return absl::InvalidArgumentError("message envelope is empty");
  if (message.sender_role() != v1::SENDER_ROLE_PROFESSIONAL &&
      message.sender_role() != v1::SENDER_ROLE_ADVISER) {
    return absl::InvalidArgumentError("message sender_role must be PROFESSIONAL or ADVISER");
  }
  if (message.sender_role() == v1::SENDER_ROLE_ADVISER && message.adviser_id().empty()) {
    return absl::InvalidArgumentError("an adviser message needs adviser_id");
  }
  if (message.sender_role() == v1::SENDER_ROLE_PROFESSIONAL && !message.adviser_id().empty()) {
    return absl::InvalidArgumentError("a professional message must not carry adviser_id");
  }
  return absl::OkStatus();
}

absl::Status PutThread(Txn& txn, const v1::ThreadRecord* old, const v1::ThreadRecord& thread) {
  if (old != nullptr) {
    txn.Delete(schema::kQueueIndex, schema::QueueKey(*old));
    txn.Delete(schema::kExpiryIndex, schema::ExpiryKey(*old));
  }
  if (absl::Status s =
          txn.PutProto(schema::kThreads, schema::ThreadKey(thread.thread_id()), thread);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          txn.Put(schema::kQueueIndex, schema::QueueKey(thread), schema::QueueValue(thread));
      !s.ok()) {
    return s;
  }
  return txn.Put(schema::kExpiryIndex, schema::ExpiryKey(thread), "");
}

// Stages `thread` over `old` (its index entries moved) and `audit`; returns
// the thread as staged.
absl::StatusOr<v1::ThreadRecord> StageThread(Txn& txn, const v1::ThreadRecord& old,
                                             v1::ThreadRecord thread,
                                             const std::optional<AuditDraft>& audit) {
  if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
  if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
  return thread;
}

absl::Status PutMessage(Txn& txn, const v1::StoredMessage& message) {
  std::string key = schema::MessageKey(message.thread_id(), message.sequence());
  if (absl::Status s = txn.PutProto(schema::kMessages, key, message); !s.ok()) return s;
  return txn.Put(schema::kMessageIds, message.message_id(), key);
}

// The thread in `unit`; NOT_FOUND also when it lives in another unit, so
// a unit cannot learn about other units' threads.
absl::StatusOr<v1::ThreadRecord> LoadThreadInUnit(Txn& txn, const std::string& thread_id,
                                                  const std::string& unit) {
  absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
  if (!thread.ok()) return thread.status();
  if (!unit.empty() && thread->unit() != unit) return ThreadNotFound(thread_id);
  return thread;
}

// nullopt when the id is unused; the original when byte-identical;
// ALREADY_EXISTS when the id holds other bytes.
absl::StatusOr<std::optional<Appended>> CheckDuplicate(Txn& txn, const v1::StoredMessage& message) {
  absl::StatusOr<std::optional<std::string>> location =
      txn.Get(schema::kMessageIds, message.message_id());
  if (!location.ok()) return location.status();
  if (!location->has_value()) return std::nullopt;
  std::optional<schema::Location> parsed = schema::ParseMessageLocation(**location);
  if (!parsed) return absl::DataLossError("a message-id index entry is malformed");
  absl::StatusOr<std::optional<v1::StoredMessage>> stored = txn.GetProto<v1::StoredMessage>(
      schema::kMessages, schema::MessageKey(parsed->thread_id, parsed->sequence));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::DataLossError("the message-id index points to a missing message; run fsck");
  }
  if (!SameSubmission(**stored, message)) {
    return reasons::Error(absl::StatusCode::kAlreadyExists,
                          reasons::Reason::kMessageIdUsedDifferently, {message.message_id()});
  }
  absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, parsed->thread_id);
  if (!thread.ok()) return thread.status();
  Appended appended;
  appended.thread = *std::move(thread);
  appended.message = **std::move(stored);
  appended.duplicate = true;
  return appended;
}

// FAILED_PRECONDITION naming the holder; the relay passes the text on and
// the client recognises "is claimed by adviser " (client/commands_adviser.cc).
absl::Status ClaimedByOther(const v1::ThreadRecord& thread) {
  return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kClaimedByOther,
                        {thread.thread_id(), thread.claimed_by()});
}

// The claim of `thread` (claimed, not closed) freed: state OPEN.
absl::StatusOr<v1::ThreadRecord> FreeClaim(Txn& txn, v1::ThreadRecord thread,
                                           const std::optional<AuditDraft>& audit) {
  const v1::ThreadRecord old = thread;
  thread.clear_claimed_by();
  thread.set_state(v1::THREAD_STATE_OPEN);
  thread.set_last_activity_unix_ms(txn.now());
  return StageThread(txn, old, std::move(thread), audit);
}

// The message `message_id` of `thread_id`; INVALID_ARGUMENT when the id
// names no message or one of another thread.
absl::StatusOr<v1::StoredMessage> LoadMessageOfThread(Txn& txn, const std::string& thread_id,
                                                      const std::string& message_id) {
  const std::string not_in_thread =
      absl::StrCat("message ", message_id, " is not a message of thread ", thread_id);
  absl::StatusOr<std::optional<std::string>> location = txn.Get(schema::kMessageIds, message_id);
  if (!location.ok()) return location.status();
  if (!location->has_value()) return absl::InvalidArgumentError(not_in_thread);
  std::optional<schema::Location> parsed = schema::ParseMessageLocation(**location);
  if (!parsed) return absl::DataLossError("a message-id index entry is malformed");
  if (parsed->thread_id != thread_id) return absl::InvalidArgumentError(not_in_thread);
  absl::StatusOr<std::optional<v1::StoredMessage>> message = txn.GetProto<v1::StoredMessage>(
      schema::kMessages, schema::MessageKey(thread_id, parsed->sequence));
  if (!message.ok()) return message.status();
  if (!message->has_value()) {
    return absl::DataLossError(
        absl::StrCat("thread ", thread_id, " is missing message ", parsed->sequence, "; run fsck"));
  }
  return **std::move(message);
}

// Adds to `message` the wraps whose key id is not yet one of its
// recipients; returns how many it added.
absl::StatusOr<uint32_t> AddNewWraps(v1::StoredMessage& message,
                                     const std::vector<v1::WrappedKey>& wraps) {
  absl::StatusOr<crypto::ParsedEnvelope> envelope = crypto::ParseEnvelope(message.envelope());
  if (!envelope.ok()) {
    return absl::DataLossError(
        absl::StrCat("the stored envelope of message ", message.message_id(), " does not parse"));
  }
  std::set<std::string> present;
  for (const v1::WrappedKey& wrap : envelope->header.recipients()) present.insert(wrap.key_id());
  for (const v1::WrappedKey& wrap : message.extra_recipients()) present.insert(wrap.key_id());
  uint32_t added = 0;
  for (const v1::WrappedKey& wrap : wraps) {
    if (!present.insert(wrap.key_id()).second) continue;
    *message.add_extra_recipients() = wrap;
    ++added;
  }
  if (static_cast<size_t>(message.extra_recipients_size()) > crypto::kMaxRecipients) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kTooManyWraps,
                          {message.message_id(), absl::StrCat(message.extra_recipients_size()),
                           absl::StrCat(crypto::kMaxRecipients)});
  }
  return added;
}

// Every message of `thread` with its re-wraps added as extra recipients.
// INVALID_ARGUMENT unless `rewraps` names exactly the thread's messages;
// DATA_LOSS for a missing message.
absl::StatusOr<std::vector<v1::StoredMessage>> RewrappedMessages(
    Txn& txn, const v1::ThreadRecord& thread,
    const std::map<std::string, std::vector<v1::WrappedKey>>& rewraps) {
  const std::string& thread_id = thread.thread_id();
  std::vector<v1::StoredMessage> messages;
  for (uint64_t sequence = 1; sequence <= thread.last_sequence(); ++sequence) {
    absl::StatusOr<std::optional<v1::StoredMessage>> message =
        txn.GetProto<v1::StoredMessage>(schema::kMessages, schema::MessageKey(thread_id, sequence));
    if (!message.ok()) return message.status();
    if (!message->has_value()) {
      return absl::DataLossError(
          absl::StrCat("thread ", thread_id, " is missing message ", sequence, "; run fsck"));
    }
    if (!rewraps.contains((*message)->message_id())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the referral has no re-wrapped keys for message ", (*message)->message_id()));
    }
    messages.push_back(**std::move(message));
  }
  if (rewraps.size() != messages.size()) {
    return absl::InvalidArgumentError(
        "the referral re-wraps keys for messages that are not in the thread");
  }
  for (v1::StoredMessage& message : messages) {
    for (const v1::WrappedKey& wrap : rewraps.at(message.message_id())) {
      *message.add_extra_recipients() = wrap;
    }
  }
  return messages;
}

// Stages a referral's note as the thread's next message and advances
// `thread` to it. INVALID_ARGUMENT for a malformed note or one of another
// thread; FAILED_PRECONDITION for a wrong sequence; ALREADY_EXISTS for a
// used message id.
absl::Status StageReferralNote(Txn& txn, v1::ThreadRecord& thread, v1::StoredMessage message) {
  const std::string& thread_id = thread.thread_id();
  if (message.thread_id().empty()) message.set_thread_id(thread_id);
  if (message.sequence() == 0) message.set_sequence(thread.last_sequence() + 1);
  if (absl::Status s = ValidateMessage(message); !s.ok()) return s;
  if (message.thread_id() != thread_id) {
    return absl::InvalidArgumentError("the referral note belongs to another thread");
  }
  if (message.sequence() != thread.last_sequence() + 1) {
    return reasons::Error(
        absl::StatusCode::kFailedPrecondition, reasons::Reason::kReferralSequence,
        {absl::StrCat(message.sequence()), absl::StrCat(thread.last_sequence() + 1)});
  }
  absl::StatusOr<std::optional<std::string>> used =
      txn.GetRaw(schema::kMessageIds, message.message_id());
  if (!used.ok()) return used.status();
  if (used->has_value()) {
    return reasons::Error(absl::StatusCode::kAlreadyExists, reasons::Reason::kMessageIdUsed,
                          {message.message_id()});
  }
  message.set_accepted_at_unix_ms(txn.now());
  thread.set_last_sequence(message.sequence());
  thread.set_last_sender_role(message.sender_role());
  return PutMessage(txn, message);
}

}  // namespace

absl::StatusOr<Appended> ApplyCreateThread(Txn& txn, v1::ThreadRecord thread,
                                           v1::StoredMessage first) {
  if (absl::Status s = schema::ValidateKeyPart("thread_id", thread.thread_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = schema::ValidateKeyPart("unit", thread.unit()); !s.ok()) return s;
  if (first.thread_id().empty()) first.set_thread_id(thread.thread_id());
  if (first.thread_id() != thread.thread_id()) {
    return absl::InvalidArgumentError("the first message belongs to another thread");
  }
  if (first.sequence() > 1) {
    return absl::FailedPreconditionError("the first message of a thread has sequence 1");
  }
  first.set_sequence(1);
  if (absl::Status s = ValidateMessage(first); !s.ok()) return s;
  if (first.sender_role() != v1::SENDER_ROLE_PROFESSIONAL) {
    return absl::InvalidArgumentError("a thread starts with a professional's message");
  }
  absl::StatusOr<std::optional<Appended>> duplicate = CheckDuplicate(txn, first);
  if (!duplicate.ok()) return duplicate.status();
  if (duplicate->has_value()) return **std::move(duplicate);
  absl::StatusOr<std::optional<std::string>> existing =
      txn.GetRaw(schema::kThreads, schema::ThreadKey(thread.thread_id()));
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return reasons::Error(absl::StatusCode::kAlreadyExists, reasons::Reason::kThreadExists,
                          {thread.thread_id()});
  }
  const int64_t now = txn.now();
  thread.set_state(v1::THREAD_STATE_OPEN);
  thread.clear_claimed_by();
  if (thread.created_at_unix_ms() == 0) thread.set_created_at_unix_ms(now);
  thread.set_last_activity_unix_ms(std::max(now, thread.created_at_unix_ms()));
  thread.set_first_answer_at_unix_ms(0);
  thread.set_closed_at_unix_ms(0);
  thread.set_last_sequence(1);
  thread.set_last_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
  thread.clear_previous_units();
  first.set_accepted_at_unix_ms(now);
  if (absl::Status s = PutThread(txn, nullptr, thread); !s.ok()) return s;
  if (absl::Status s = PutMessage(txn, first); !s.ok()) return s;
  Appended appended;
  appended.thread = std::move(thread);
  appended.message = std::move(first);
  return appended;
}

// `take_over_audit` non-null: an adviser message moves another adviser's
// claim (AppendTakingOver); null: such a message is refused.
absl::StatusOr<Appended> ApplyAppend(Txn& txn, v1::StoredMessage message,
                                     const std::optional<AuditDraft>& audit,
                                     const AuditDraft* take_over_audit) {
  if (absl::Status s = ValidateMessage(message); !s.ok()) return s;
  absl::StatusOr<std::optional<Appended>> duplicate = CheckDuplicate(txn, message);
  if (!duplicate.ok()) return duplicate.status();
  if (duplicate->has_value()) return **std::move(duplicate);
  absl::StatusOr<v1::ThreadRecord> loaded = LoadThread(txn, message.thread_id());
  if (!loaded.ok()) return loaded.status();
  const v1::ThreadRecord old = *loaded;
  v1::ThreadRecord thread = *std::move(loaded);
  if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
  if (message.sequence() != thread.last_sequence() + 1) {
    return reasons::Error(
        absl::StatusCode::kFailedPrecondition, reasons::Reason::kSequenceOutOfOrder,
        {absl::StrCat(message.sequence()), absl::StrCat(thread.last_sequence() + 1)});
  }
  const int64_t now = txn.now();
  std::string taken_from;
  if (message.sender_role() == v1::SENDER_ROLE_ADVISER && !thread.claimed_by().empty() &&
      thread.claimed_by() != message.adviser_id()) {
    if (take_over_audit == nullptr) return ClaimedByOther(thread);
    taken_from = thread.claimed_by();
    thread.set_claimed_by(message.adviser_id());
  }
  if (message.sender_role() == v1::SENDER_ROLE_ADVISER) {
    thread.set_state(v1::THREAD_STATE_ANSWERED);
    if (thread.claimed_by().empty()) thread.set_claimed_by(message.adviser_id());
    if (thread.first_answer_at_unix_ms() == 0) thread.set_first_answer_at_unix_ms(now);
  } else if (thread.state() == v1::THREAD_STATE_ANSWERED) {
    thread.set_state(thread.claimed_by().empty() ? v1::THREAD_STATE_OPEN
                                                 : v1::THREAD_STATE_CLAIMED);
  }
  thread.set_last_sequence(message.sequence());
  thread.set_last_sender_role(message.sender_role());
  thread.set_last_activity_unix_ms(now);
  message.set_accepted_at_unix_ms(now);
  if (absl::Status s = PutThread(txn, &old, thread); !s.ok()) return s;
  if (absl::Status s = PutMessage(txn, message); !s.ok()) return s;
  if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
  if (!taken_from.empty()) {
    AuditDraft draft = *take_over_audit;
    draft.thread_id = thread.thread_id();
    AppendDetail(draft, absl::StrCat("from=", taken_from));
    if (absl::Status s = AppendAuditEntry(txn, draft).status(); !s.ok()) return s;
  }
  Appended appended;
  appended.thread = std::move(thread);
  appended.message = std::move(message);
  appended.taken_from = std::move(taken_from);
  return appended;
}

absl::StatusOr<v1::ThreadRecord> ApplyClaim(Txn& txn, const std::string& thread_id,
                                            const std::string& unit, const std::string& adviser_id,
                                            const std::optional<AuditDraft>& audit) {
  if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
  if (adviser_id.empty()) return absl::InvalidArgumentError("adviser_id is empty");
  absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
  if (!loaded.ok()) return loaded.status();
  const v1::ThreadRecord old = *loaded;
  v1::ThreadRecord thread = *std::move(loaded);
  if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
  if (!thread.claimed_by().empty() && thread.claimed_by() != adviser_id) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kAlreadyClaimed,
                          {thread_id});
  }
  thread.set_claimed_by(adviser_id);
  if (thread.state() == v1::THREAD_STATE_OPEN) thread.set_state(v1::THREAD_STATE_CLAIMED);
  thread.set_last_activity_unix_ms(txn.now());
  return StageThread(txn, old, std::move(thread), audit);
}

absl::StatusOr<v1::ThreadRecord> ApplyRelease(Txn& txn, const std::string& thread_id,
                                              const std::string& unit,
                                              const std::string& adviser_id,
                                              const std::optional<AuditDraft>& audit) {
  absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
  if (!loaded.ok()) return loaded.status();
  v1::ThreadRecord thread = *std::move(loaded);
  if (thread.state() == v1::THREAD_STATE_CLOSED || adviser_id.empty() ||
      thread.claimed_by() != adviser_id) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNotClaimedByYou,
                          {thread_id});
  }
  return FreeClaim(txn, std::move(thread), audit);
}

absl::StatusOr<v1::ThreadRecord> ApplyHandover(Txn& txn, const std::string& thread_id,
                                               const std::string& unit, const std::string& from,
                                               const std::string& to,
                                               const std::optional<AuditDraft>& audit) {
  if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
  if (to.empty()) return absl::InvalidArgumentError("to_adviser_id is empty");
  if (to == from) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kHandOverToSelf, {});
  }
  absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
  if (!loaded.ok()) return loaded.status();
  const v1::ThreadRecord old = *loaded;
  v1::ThreadRecord thread = *std::move(loaded);
  if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
  if (thread.claimed_by().empty()) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition,
                          reasons::Reason::kNotClaimedCannotHandOver, {thread_id});
  }
  if (from.empty() || thread.claimed_by() != from) return ClaimedByOther(thread);
  thread.set_claimed_by(to);
  thread.set_last_activity_unix_ms(txn.now());
  return StageThread(txn, old, std::move(thread), audit);
}

absl::StatusOr<v1::ThreadRecord> ApplyForceRelease(Txn& txn, const std::string& thread_id,
                                                   const std::string& unit,
                                                   const std::optional<AuditDraft>& audit) {
  absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
  if (!loaded.ok()) return loaded.status();
  if (absl::Status s = RefuseIfClosed(*loaded); !s.ok()) return s;
  if (loaded->claimed_by().empty()) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition,
                          reasons::Reason::kNotClaimedByAnyone, {thread_id});
  }
  std::optional<AuditDraft> draft = audit;
  if (draft.has_value()) AppendDetail(*draft, absl::StrCat("holder=", loaded->claimed_by()));
  return FreeClaim(txn, *std::move(loaded), draft);
}

// Frees every claim `adviser_id` holds in `unit`: a claim is only ever
// held while CLAIMED or ANSWERED, so the unit's queue index ranges of
// those two states (pending writes of this group included) find them all.
absl::StatusOr<std::vector<v1::ThreadRecord>> ReleaseClaimsOf(Txn& txn, const std::string& unit,
                                                              const std::string& adviser_id,
                                                              const AuditDraft& release_audit) {
  std::vector<v1::ThreadRecord> freed;
  if (unit.empty() || adviser_id.empty()) return freed;
  if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
  std::vector<std::string> thread_ids;
  for (v1::ThreadState state : {v1::THREAD_STATE_CLAIMED, v1::THREAD_STATE_ANSWERED}) {
    const std::string prefix = schema::QueueUnitStatePrefix(unit, state);
    std::unique_ptr<rocksdb::Iterator> it(txn.NewIterator(schema::kQueueIndex));
    for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
         it->Next()) {
      // prefix, urgency rank (1 byte), created (8 bytes), thread id:
      // schema::QueueKey.
      constexpr size_t kOrderBytes = 1 + 8;
      if (it->key().size() <= prefix.size() + kOrderBytes) {
        return absl::DataLossError("a queue index key is malformed; run fsck");
      }
      thread_ids.emplace_back(it->key().data() + prefix.size() + kOrderBytes,
                              it->key().size() - prefix.size() - kOrderBytes);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scan queue index");
  }
  for (const std::string& thread_id : thread_ids) {
    absl::StatusOr<v1::ThreadRecord> thread = LoadThread(txn, thread_id);
    if (!thread.ok()) return thread.status();
    if (thread->claimed_by() != adviser_id || thread->unit() != unit) continue;
    AuditDraft draft = release_audit;
    draft.thread_id = thread_id;
    AppendDetail(draft, absl::StrCat("holder=", adviser_id));
    absl::StatusOr<v1::ThreadRecord> released = FreeClaim(txn, *std::move(thread), draft);
    if (!released.ok()) return released.status();
    freed.push_back(*std::move(released));
  }
  return freed;
}

absl::StatusOr<v1::ThreadRecord> ApplyRefer(
    Txn& txn, const std::string& thread_id, const std::string& from_unit,
    const std::string& to_unit, const std::map<std::string, std::vector<v1::WrappedKey>>& rewraps,
    const std::optional<v1::StoredMessage>& note, const std::optional<AuditDraft>& audit) {
  if (absl::Status s = schema::ValidateKeyPart("from_unit", from_unit); !s.ok()) return s;
  if (absl::Status s = schema::ValidateKeyPart("to_unit", to_unit); !s.ok()) return s;
  if (from_unit == to_unit) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kReferToOwnUnit, {});
  }
  absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, from_unit);
  if (!loaded.ok()) return loaded.status();
  const v1::ThreadRecord old = *loaded;
  v1::ThreadRecord thread = *std::move(loaded);
  if (absl::Status s = RefuseIfClosed(thread); !s.ok()) return s;
  SAMRAD_ASSIGN_OR_RETURN(std::vector<v1::StoredMessage> messages,
                          RewrappedMessages(txn, thread, rewraps));
  for (const v1::StoredMessage& message : messages) {
    if (absl::Status s = PutMessage(txn, message); !s.ok()) return s;
  }
  if (note.has_value()) {
    if (absl::Status s = StageReferralNote(txn, thread, *note); !s.ok()) return s;
  }
  thread.set_unit(to_unit);
  thread.add_previous_units(from_unit);
  thread.set_state(v1::THREAD_STATE_OPEN);
  thread.clear_claimed_by();
  thread.set_last_activity_unix_ms(txn.now());
  return StageThread(txn, old, std::move(thread), audit);
}

absl::StatusOr<v1::ThreadRecord> ApplyClose(Txn& txn, const std::string& thread_id,
                                            const std::string& unit,
                                            const std::optional<AuditDraft>& audit) {
  absl::StatusOr<v1::ThreadRecord> loaded = LoadThreadInUnit(txn, thread_id, unit);
  if (!loaded.ok()) return loaded.status();
  const v1::ThreadRecord old = *loaded;
  v1::ThreadRecord thread = *std::move(loaded);
  if (thread.state() == v1::THREAD_STATE_CLOSED) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition,
                          reasons::Reason::kThreadAlreadyClosed, {std::string(thread_id)});
  }
  thread.set_state(v1::THREAD_STATE_CLOSED);
  thread.clear_claimed_by();
  thread.set_closed_at_unix_ms(txn.now());
  thread.set_last_activity_unix_ms(txn.now());
  return StageThread(txn, old, std::move(thread), audit);
}

absl::Status ApplyPutDirectory(Txn& txn, const v1::SignedDirectory& directory, uint64_t epoch,
                               const std::optional<AuditDraft>& audit) {
  absl::StatusOr<std::optional<std::string>> stored =
      txn.Get(schema::kDirectory, schema::kDirectoryKey);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) {
    if ((*stored)->size() < 8) return absl::DataLossError("the stored directory is malformed");
    uint64_t stored_epoch = schema::ReadU64(**stored);
    if (epoch <= stored_epoch) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition,
                            reasons::Reason::kStoredEpochNotHigher,
                            {absl::StrCat(epoch), absl::StrCat(stored_epoch)});
    }
  }
  std::string value;
  schema::AppendU64(&value, epoch);
  value += directory.SerializeAsString();
  if (absl::Status s = txn.Put(schema::kDirectory, schema::kDirectoryKey, value); !s.ok()) {
    return s;
  }
  return MaybeAudit(txn, audit);
}

absl::Status ApplyRevoke(Txn& txn, v1::RevocationRecord record,
                         const std::optional<AuditDraft>& audit) {
  if (absl::Status s = schema::ValidateKeyPart("serial_hex", record.serial_hex()); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::optional<std::string>> existing =
      txn.GetRaw(schema::kRevocations, record.serial_hex());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return absl::OkStatus();  // idempotent
  if (record.revoked_at_unix_ms() == 0) record.set_revoked_at_unix_ms(txn.now());
  if (absl::Status s = txn.PutProto(schema::kRevocations, record.serial_hex(), record); !s.ok()) {
    return s;
  }
  return MaybeAudit(txn, audit);
}

absl::StatusOr<v1::RevocationRecord> ApplyUnrevoke(Txn& txn,
                                                   const std::vector<std::string>& stored_serials,
                                                   const std::optional<AuditDraft>& audit) {
  std::optional<v1::RevocationRecord> removed;
  for (const std::string& serial : stored_serials) {
    if (absl::Status s = schema::ValidateKeyPart("serial_hex", serial); !s.ok()) return s;
    absl::StatusOr<std::optional<v1::RevocationRecord>> existing =
        txn.GetProto<v1::RevocationRecord>(schema::kRevocations, serial);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) continue;
    if (!removed.has_value()) removed = **existing;
    txn.Delete(schema::kRevocations, serial);
  }
  if (!removed.has_value())
    return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kSerialNotRevoked, {});
  if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
  return *removed;
}

absl::StatusOr<Store::RecipientsAdded> ApplyAddRecipients(
    Txn& txn, const std::string& thread_id, const std::string& unit,
    const std::map<std::string, std::vector<v1::WrappedKey>>& wraps,
    const std::optional<AuditDraft>& audit) {
  if (absl::Status s = schema::ValidateKeyPart("unit", unit); !s.ok()) return s;
  if (wraps.empty()) return absl::InvalidArgumentError("no wraps to add");
  absl::StatusOr<v1::ThreadRecord> thread = LoadThreadInUnit(txn, thread_id, unit);
  if (!thread.ok()) return thread.status();
  if (absl::Status s = RefuseIfClosed(*thread); !s.ok()) return s;
  // Everything is checked before anything is written.
  std::vector<v1::StoredMessage> changed;
  Store::RecipientsAdded out;
  for (const auto& [message_id, message_wraps] : wraps) {
    absl::StatusOr<v1::StoredMessage> message = LoadMessageOfThread(txn, thread_id, message_id);
    if (!message.ok()) return message.status();
    absl::StatusOr<uint32_t> added = AddNewWraps(*message, message_wraps);
    if (!added.ok()) return added.status();
    if (*added == 0) continue;
    out.wraps_added += *added;
    changed.push_back(*std::move(message));
  }
  for (const v1::StoredMessage& message : changed) {
    if (absl::Status s = PutMessage(txn, message); !s.ok()) return s;
  }
  if (absl::Status s = MaybeAudit(txn, audit); !s.ok()) return s;
  out.messages_updated = static_cast<uint32_t>(changed.size());
  out.thread = *std::move(thread);
  return out;
}

absl::StatusOr<Appended> ApplyAppendTakingOver(Txn& txn, v1::StoredMessage message,
                                               const std::optional<AuditDraft>& audit,
                                               const AuditDraft& take_over_audit) {
  if (message.sender_role() != v1::SENDER_ROLE_ADVISER) {
    return absl::InvalidArgumentError("only an adviser message can take over a claim");
  }
  return ApplyAppend(txn, std::move(message), audit, &take_over_audit);
}

absl::StatusOr<std::vector<v1::ThreadRecord>> ApplyRevokeAndReleaseClaims(
    Txn& txn, const v1::RevocationRecord& record, const std::optional<AuditDraft>& audit,
    const std::string& unit, const std::string& adviser_id, const AuditDraft& release_audit) {
  if (absl::Status s = ApplyRevoke(txn, record, audit); !s.ok()) return s;
  return ReleaseClaimsOf(txn, unit, adviser_id, release_audit);
}

}  // namespace samrad::storage
