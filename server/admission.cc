#include "server/admission.h"

#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "common/status_macros.h"
#include "crypto/keys.h"
#include "server/authz.h"
#include "server/log.h"
#include "server/validation.h"

namespace samrad::server {

absl::Status ThreadNotVisible() {
  return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kThreadNotVisible, {});
}

Admission::Admission(storage::Store* store, PeerVerifier* verifier, AdmissionOptions options)
    : store_(store),
      verifier_(verifier),
      clock_(std::move(options.clock)),
      window_ms_(options.proof_window_ms),
      started_ms_(clock_()),
      rate_limiter_(options.rate_per_second, options.rate_burst),
      replay_cache_(window_ms_, 1u << 20) {}

absl::StatusOr<Identity> Admission::Authenticate(absl::string_view leaf_pem,
                                                 absl::string_view chain_pem,
                                                 absl::string_view full_method) {
  auto identity = verifier_->Verify(leaf_pem, chain_pem);
  if (!identity.ok()) {
    LogInfo("call_refused", {{"method", full_method}, {"reason", identity.status().message()}});
    return identity.status();
  }
  SAMRAD_ASSIGN_OR_RETURN(const bool revoked, IsRevoked(identity->serial_hex));
  if (revoked) {
    LogInfo("call_refused",
            {{"method", full_method}, {"serial", identity->serial_hex}, {"reason", "revoked"}});
    return reasons::Error(absl::StatusCode::kUnauthenticated, reasons::Reason::kCertificateRevoked,
                          {identity->serial_hex});
  }
  NoteSeen(*identity);
  SAMRAD_RETURN_IF_ERROR(AuthorizeMethod(full_method, identity->role, identity->scope));
  SAMRAD_RETURN_IF_ERROR(rate_limiter_.Acquire(identity->serial_hex, clock_()));
  return identity;
}

absl::Status Admission::NotRevokedNow(const std::string& serial) {
  SAMRAD_ASSIGN_OR_RETURN(const bool revoked, IsRevoked(serial));
  if (!revoked) return absl::OkStatus();
  return reasons::Error(absl::StatusCode::kUnauthenticated, reasons::Reason::kCertificateRevoked,
                        {serial});
}

absl::StatusOr<bool> Admission::IsRevoked(const std::string& serial) {
  uint64_t generation = 0;
  {
    MutexLock lock(revoked_mu_);
    auto it = revoked_cache_.find(serial);
    if (it != revoked_cache_.end()) return it->second;
    generation = revoked_generation_;
  }
  SAMRAD_ASSIGN_OR_RETURN(const bool revoked, store_->IsRevoked(serial));
  MutexLock lock(revoked_mu_);
  if (revoked_generation_ != generation) {
    // A mark raced with the store read: the mark wins.
    auto it = revoked_cache_.find(serial);
    return it != revoked_cache_.end() ? it->second : revoked;
  }
  if (revoked_cache_.size() >= 100000) revoked_cache_.clear();
  revoked_cache_[serial] = revoked;
  return revoked;
}

void Admission::MarkRevoked(const std::string& serial) {
  MutexLock lock(revoked_mu_);
  revoked_cache_[serial] = true;
  ++revoked_generation_;
}

void Admission::MarkUnrevoked(const std::string& serial) {
  MutexLock lock(revoked_mu_);
  revoked_cache_[serial] = false;
  ++revoked_generation_;
}

void Admission::NoteSeen(const Identity& identity) {
  MutexLock lock(seen_mu_);
  if (seen_serials_.size() >= kMaxSeenSerials) return;
  SeenAdviser seen;
  if (identity.role == Role::kAdviser) seen = {identity.scope, identity.id};
  seen_serials_.try_emplace(identity.serial_hex, std::move(seen));
}

bool Admission::SeenSinceStart(const std::string& serial) {
  MutexLock lock(seen_mu_);
  return seen_serials_.contains(serial);
}

SeenAdviser Admission::SeenAdviserOf(const std::string& serial) {
  MutexLock lock(seen_mu_);
  auto it = seen_serials_.find(serial);
  return it == seen_serials_.end() ? SeenAdviser() : it->second;
}

absl::StatusOr<v1::ThreadRecord> Admission::ReachThread(
    const Identity& caller, absl::string_view full_method, const std::string& thread_id,
    absl::FunctionRef<std::string()> request_digest, const v1::OwnershipProof& proof,
    bool has_proof) {
  SAMRAD_RETURN_IF_ERROR(ValidateHexId("thread_id", thread_id));
  const int64_t now = clock_();
  if (caller.role == Role::kProfessional) {
    SAMRAD_RETURN_IF_ERROR(ValidateProofShape(proof, has_proof, now, window_ms_));
  }
  auto thread = store_->GetThread(thread_id);
  if (absl::IsNotFound(thread.status())) return ThreadNotVisible();
  if (!thread.ok()) return thread.status();
  if (caller.role == Role::kAdviser) {
    if (thread->unit() != caller.scope) return ThreadNotVisible();
    return thread;
  }
  auto key = crypto::Ed25519PublicKey::FromBytes(thread->thread_signing_public_key());
  if (!key.ok()) return ThreadNotVisible();
  if (!crypto::VerifyOwnershipProof(proof, std::string(full_method), thread_id, request_digest(),
                                    now, window_ms_, *key)
           .ok()) {
    return ThreadNotVisible();
  }
  // The replay cache lives in memory and starts empty: a proof signed before
  // this process started may have been used already, so it is refused.
  if (proof.timestamp_unix_ms() < started_ms_) {
    return absl::UnauthenticatedError(
        "proof.timestamp_unix_ms is older than the relay's last start; sign a fresh proof");
  }
  SAMRAD_RETURN_IF_ERROR(
      replay_cache_.CheckAndRemember(thread_id, proof.nonce(), proof.timestamp_unix_ms(), now));
  return thread;
}

absl::StatusOr<RevocationTarget> Admission::ResolveTarget(const std::string& serial_hex,
                                                          const std::string& certificate_pem) {
  RevocationTarget out;
  if (!certificate_pem.empty()) {
    SAMRAD_ASSIGN_OR_RETURN(Identity subject, verifier_->VerifyIssued(certificate_pem));
    out.serial = subject.serial_hex;
    out.subject = std::move(subject);
    return out;
  }
  SAMRAD_ASSIGN_OR_RETURN(out.serial, ids::CanonicalSerial(serial_hex));
  return out;
}

absl::Status Admission::CheckRevokeAllowed(const Identity& caller, const RevocationTarget& target) {
  if (target.serial == caller.serial_hex) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kRevokeSelf,
                          {target.serial});
  }
  if (caller.scope == kNationalScope) return absl::OkStatus();
  if (!target.subject.has_value()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "an admin of unit ", caller.scope,
        " may revoke only certificates of that unit, and a bare serial does not say whose it "
        "is: use `samrad admin revoke --cert FILE` with the certificate"));
  }
  const Identity& subject = *target.subject;
  if (subject.role == Role::kProfessional || subject.scope != caller.scope) {
    return reasons::Error(absl::StatusCode::kPermissionDenied, reasons::Reason::kRevokeNotYourUnit,
                          {subject.uri, target.serial, caller.scope});
  }
  return absl::OkStatus();
}

absl::Status Admission::BeginRevocation(const Identity& caller, const std::string& serial) {
  MutexLock lock(in_flight_mu_);
  SAMRAD_ASSIGN_OR_RETURN(const bool revoked, IsRevoked(caller.serial_hex));
  if (revoked || revocations_in_flight_.contains(caller.serial_hex)) {
    return reasons::Error(absl::StatusCode::kUnauthenticated,
                          reasons::Reason::kCertificateBeingRevoked, {caller.serial_hex});
  }
  if (!revocations_in_flight_.insert(serial).second) {
    return reasons::Error(absl::StatusCode::kAborted, reasons::Reason::kRevokeInFlight, {serial});
  }
  return absl::OkStatus();
}

void Admission::EndRevocation(const std::string& serial) {
  MutexLock lock(in_flight_mu_);
  revocations_in_flight_.erase(serial);
}

Revocation Admission::RevocationOf(const Identity& caller, const RevocationTarget& target,
                                   const std::string& reason, int64_t now_unix_ms) {
  Revocation out;
  out.record.set_serial_hex(target.serial);
  out.record.set_revoked_at_unix_ms(now_unix_ms);
  out.record.set_reason(reason);
  out.record.set_revoked_by(caller.id);
  if (target.subject.has_value()) out.record.set_subject_uri(target.subject->uri);
  out.holder = SeenAdviserOf(target.serial);
  if (target.subject.has_value() && target.subject->role == Role::kAdviser) {
    out.holder = {target.subject->scope, target.subject->id};
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> Admission::StoredFormsOf(const std::string& serial) {
  SAMRAD_ASSIGN_OR_RETURN(std::vector<v1::RevocationRecord> revoked, store_->ListRevoked());
  std::vector<std::string> out;
  for (const v1::RevocationRecord& record : revoked) {
    auto canonical = ids::CanonicalSerial(record.serial_hex());
    if (canonical.ok() && *canonical == serial) out.push_back(record.serial_hex());
  }
  return out;
}

bool Admission::RevocationVisibleTo(const Identity& caller, const v1::RevocationRecord& record) {
  if (caller.scope == kNationalScope) return true;
  auto subject = ParseSamradUri(record.subject_uri());
  return subject.ok() && subject->role != Role::kProfessional && subject->scope == caller.scope;
}

absl::Status Admission::CanonicalizeStoredRevocations() {
  SAMRAD_ASSIGN_OR_RETURN(std::vector<v1::RevocationRecord> revoked, store_->ListRevoked());
  for (v1::RevocationRecord record : revoked) {
    auto canonical = ids::CanonicalSerial(record.serial_hex());
    if (!canonical.ok() || *canonical == record.serial_hex()) continue;
    SAMRAD_ASSIGN_OR_RETURN(const bool already, store_->IsRevoked(*canonical));
    if (already) continue;
    const std::string typed = record.serial_hex();
    record.set_serial_hex(*canonical);
    std::promise<absl::Status> done;
    store_->Revoke(record,
                   storage::AuditDraft{"relay", "", "revoke", "",
                                       absl::StrCat("serial=", *canonical, " typed=", typed,
                                                    " (stored again in canonical form)")},
                   [&done](absl::Status s) { done.set_value(std::move(s)); });
    SAMRAD_RETURN_IF_ERROR(done.get_future().get());
    LogWarning("revocation_canonicalized", {{"serial", *canonical}, {"typed", typed}});
  }
  return absl::OkStatus();
}

}  // namespace samrad::server
