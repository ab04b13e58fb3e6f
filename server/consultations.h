// Consultations: the relay's rules for cases (submit, post, read, close,
// claim, release, refer, share, hand over) with no gRPC type. Each Prepare*
// step checks a request completely (ids, sizes, envelope shape and
// signature, the directory epoch, who may reach the thread) and returns the
// records to write; the gRPC layer then hands them to the Store and answers
// once the write is durable. Nothing here writes.
//
// Statuses: INVALID_ARGUMENT for a malformed request (naming the field),
// NOT_FOUND (ThreadNotVisible) for a thread the caller may not reach,
// FAILED_PRECONDITION for a closed thread, a missing or older directory, a
// wrong sequence; ALREADY_EXISTS for a message id reused with other bytes;
// PERMISSION_DENIED for a county or unit not the caller's. A byte-identical
// resubmission is not an error: its original Ack comes back.
//
// Privacy: nothing returned or logged names which professional owns a thread;
// audit drafts of professionals carry no actor id (Audit).
//
// Thread-safety: all methods may be called from any thread at once.
// Lifetime: the store, admission and directory passed in must outlive it.
#ifndef SAMRAD_SERVER_CONSULTATIONS_H_
#define SAMRAD_SERVER_CONSULTATIONS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "proto/config.pb.h"
#include "proto/relay.pb.h"
#include "server/admission.h"
#include "server/directory_state.h"
#include "server/identity.h"
#include "storage/store.h"

namespace samrad::server {

// The summary of a thread as clients see it.
v1::ThreadSummary Summarize(const v1::ThreadRecord& thread);
// The Ack of an appended message.
v1::Ack MakeAck(const storage::Appended& appended);
// An audit draft of `who`'s `action`; professionals are never recorded by
// who they are (empty actor id).
storage::AuditDraft Audit(const Identity& who, std::string action, std::string thread_id,
                          std::string detail = "");
// A store NOT_FOUND (a thread of another unit) as ThreadNotVisible; other
// statuses unchanged.
[[nodiscard]] absl::Status HideForeign(const absl::Status& status);

// Re-wrapped content keys by message id (ReferThread, ShareThread).
using Rewraps = std::map<std::string, std::vector<v1::WrappedKey>>;

// A message ready to write, or the original Ack of a byte-identical
// resubmission (then nothing is written).
struct PreparedMessage {
  v1::ThreadRecord thread;
  v1::StoredMessage message;
  std::optional<v1::Ack> duplicate_ack;
};

struct PreparedReferral {
  Rewraps rewraps;
  std::optional<v1::StoredMessage> note;
};

struct PreparedShare {
  Rewraps wraps;
  std::string audit_detail;  // whom the wraps are for; never content
};

class Consultations {
 public:
  // `limits`: the relay's (envelope size, read pages). `clock`: Unix ms.
  Consultations(storage::Store* store, Admission* admission, const DirectoryState* directory,
                v1::LimitsConfig limits, std::function<int64_t()> clock);

  // A new case from a professional: routed by county (the certificate's),
  // signed under the new thread key, first message of the current epoch.
  [[nodiscard]] absl::StatusOr<PreparedMessage> PrepareSubmission(
      const Identity& caller, const v1::SubmitConsultationRequest& request);
  // An answer (adviser, signed by their directory key) or follow-up
  // (professional, with a proof, signed by the thread key): the next sequence.
  [[nodiscard]] absl::StatusOr<PreparedMessage> PreparePost(const Identity& caller,
                                                            const v1::PostMessageRequest& request);
  // A referral to another unit of the directory: every message re-wrapped
  // for it and a signed note naming it.
  [[nodiscard]] absl::StatusOr<PreparedReferral> PrepareReferral(
      const Identity& caller, const v1::ReferThreadRequest& request);
  // A share by a listed adviser of the thread's unit, of wraps only to the
  // unit's advisers in the current directory.
  [[nodiscard]] absl::StatusOr<PreparedShare> PrepareShare(const Identity& caller,
                                                           const v1::ShareThreadRequest& request);

  // One GetThread page into `reply` (the store stops at the page budget;
  // the client pages on with next_cursor). Returns the sequence it started
  // after. INVALID_ARGUMENT for a cursor this relay did not return.
  [[nodiscard]] absl::StatusOr<uint64_t> ReadThreadPage(const Identity& caller,
                                                        const v1::GetThreadRequest& request,
                                                        v1::ThreadView* reply);

  // The store query of a ListQueue request: the caller's unit, the filters.
  [[nodiscard]] static absl::StatusOr<storage::QueueQuery> QueueQueryOf(
      const Identity& caller, const v1::ListQueueRequest& request);

  // The thread, if `caller` may reach it (Admission::ReachThread with the
  // request's digest).
  template <typename Request>
  absl::StatusOr<v1::ThreadRecord> LoadThreadFor(const Identity& caller,
                                                 absl::string_view full_method,
                                                 const std::string& thread_id,
                                                 const Request& request,
                                                 const v1::OwnershipProof& proof, bool has_proof) {
    return admission_->ReachThread(
        caller, full_method, thread_id, [&request] { return DigestWithoutProof(request); }, proof,
        has_proof);
  }

 private:
  absl::StatusOr<crypto::ParsedEnvelope> ParseSizedEnvelope(absl::string_view field,
                                                            const std::string& bytes);
  absl::StatusOr<PreparedMessage> OrResubmit(absl::Status failure, const std::string& message_id,
                                             const std::string& thread_id,
                                             const std::string& envelope);
  absl::StatusOr<std::optional<v1::Ack>> CheckResubmit(const std::string& message_id,
                                                       const std::string& thread_id,
                                                       const std::string& envelope);

  storage::Store* const store_;
  Admission* const admission_;
  const DirectoryState* const directory_;
  const v1::LimitsConfig limits_;
  const std::function<int64_t()> clock_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_CONSULTATIONS_H_
