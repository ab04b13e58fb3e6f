// Admission: who is calling, whether they may, and which threads they reach.
// The security-critical half of the relay's logic, with no gRPC type: the
// gRPC layer (relay_service.cc) hands in the PEM strings of the TLS session
// and the method name, and maps the statuses returned here to gRPC.
//
// It owns: certificate verification (through PeerVerifier), the revocation
// cache and the revocations in flight, the serials seen since start, the
// method table (authz.h), the per-certificate rate limit, and professionals'
// ownership proofs with their replay cache. Revocation *writes* are the
// caller's (they need the reply ordering of the gRPC layer): Admission
// decides and is told the outcome (MarkRevoked, MarkUnrevoked, EndRevocation).
//
// Statuses: UNAVAILABLE is not Admission's (shutdown is the service's);
// UNAUTHENTICATED for a bad, revoked or being-revoked certificate or a stale
// or replayed proof; PERMISSION_DENIED from the method table;
// RESOURCE_EXHAUSTED from the rate limit; NOT_FOUND (kThreadNotVisible) for a
// thread the caller may not reach, worded as for one that does not exist.
// Refusals carry catalogue reasons (common/reasons.h) where one exists.
//
// Thread-safety: every method may be called from any thread at once.
// Lifetime: `store` and `verifier` must outlive the Admission.
#ifndef SAMRAD_SERVER_ADMISSION_H_
#define SAMRAD_SERVER_ADMISSION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"
#include "crypto/ownership_proof.h"
#include "proto/relay.pb.h"
#include "server/identity.h"
#include "server/limits.h"
#include "storage/store.h"

namespace samrad::server {

// NOT_FOUND for a thread the caller may not see, worded as for one that
// does not exist (reason kThreadNotVisible).
[[nodiscard]] absl::Status ThreadNotVisible();

// The request digest an OwnershipProof signs: the request with `proof`
// cleared. Requests without a proof field are digested as they are.
template <typename Request>
std::string DigestWithoutProof(const Request& request) {
  if constexpr (requires(Request r) { r.clear_proof(); }) {
    Request copy = request;
    copy.clear_proof();
    return crypto::RequestDigest(copy);
  } else {
    return crypto::RequestDigest(request);
  }
}

struct AdmissionOptions {
  // How old (and how far in the future) an ownership proof may be.
  int64_t proof_window_ms = 0;
  // Calls per second and burst per certificate (RateLimiter).
  double rate_per_second = 0;
  double rate_burst = 0;
  // Unix milliseconds. Required. Its value at construction is the relay's
  // start: proofs signed earlier are refused (the replay cache starts empty).
  std::function<int64_t()> clock;
};

// An adviser certificate's unit and id (both empty for other roles).
struct SeenAdviser {
  std::string unit;
  std::string adviser_id;
};

// What a revocation or unrevocation names: the canonical serial and, when
// the request carried the certificate, whose it is.
struct RevocationTarget {
  std::string serial;
  std::optional<Identity> subject;
};

// A revocation to write: the record, and the adviser whose claims the same
// write frees (empty when none is known).
struct Revocation {
  v1::RevocationRecord record;
  SeenAdviser holder;
};

class Admission {
 public:
  Admission(storage::Store* store, PeerVerifier* verifier, AdmissionOptions options);
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // ---- Callers ----

  // The caller of `full_method`, from the TLS session's leaf and chain PEM:
  // verified, not revoked, allowed by the method table, within its rate.
  // Notes the serial as seen (SeenSinceStart). Refusals are logged
  // (call_refused) without anything identifying a thread.
  [[nodiscard]] absl::StatusOr<Identity> Authenticate(absl::string_view leaf_pem,
                                                      absl::string_view chain_pem,
                                                      absl::string_view full_method);

  // UNAUTHENTICATED (kCertificateRevoked) when `serial` is revoked now.
  // For a stream after it subscribed: a revocation stored between its
  // admission and its subscription found no stream to end.
  [[nodiscard]] absl::Status NotRevokedNow(const std::string& serial);

  // Whether `serial` (canonical) is revoked: cached per serial; the cache
  // yields to MarkRevoked / MarkUnrevoked that raced with the store read.
  [[nodiscard]] absl::StatusOr<bool> IsRevoked(const std::string& serial);
  // After a revocation / unrevocation of `serial` is durable.
  void MarkRevoked(const std::string& serial);
  void MarkUnrevoked(const std::string& serial);

  // Whether a verified, unrevoked certificate with `serial` called since
  // start, and the adviser it named. In memory, bounded; never stored.
  bool SeenSinceStart(const std::string& serial);
  SeenAdviser SeenAdviserOf(const std::string& serial);

  // ---- Threads ----

  // The thread `thread_id`, if `caller` may reach it: an adviser of its unit,
  // or a professional whose `proof` (over `request_digest()`, called only for
  // professionals) verifies under the thread key, is fresh, was signed after
  // the relay started, and is not a replay. INVALID_ARGUMENT for a malformed
  // id or proof; NOT_FOUND (ThreadNotVisible) otherwise. Admins get NOT_FOUND
  // unless their role reaches threads by another rule (the caller's).
  [[nodiscard]] absl::StatusOr<v1::ThreadRecord> ReachThread(
      const Identity& caller, absl::string_view full_method, const std::string& thread_id,
      absl::FunctionRef<std::string()> request_digest, const v1::OwnershipProof& proof,
      bool has_proof);

  // ---- Revocation decisions ----

  // From `certificate_pem` when set (verified to chain to the client CA; the
  // serial is then ignored), else the canonical form of `serial_hex`.
  [[nodiscard]] absl::StatusOr<RevocationTarget> ResolveTarget(const std::string& serial_hex,
                                                               const std::string& certificate_pem);

  // Nobody revokes their own certificate (FAILED_PRECONDITION). A national
  // admin revokes any other; a unit admin only an adviser or admin
  // certificate of their unit named by its certificate (PERMISSION_DENIED).
  [[nodiscard]] static absl::Status CheckRevokeAllowed(const Identity& caller,
                                                       const RevocationTarget& target);

  // Serialises revocations against the revoking certificates: refuses the
  // caller when their own certificate is revoked or being revoked
  // (UNAUTHENTICATED), so two national admins revoking each other at once
  // cannot both succeed; ABORTED when `serial` is being revoked already.
  // On OK, `serial` is in flight until EndRevocation (call it exactly once,
  // after MarkRevoked on success).
  [[nodiscard]] absl::Status BeginRevocation(const Identity& caller, const std::string& serial);
  void EndRevocation(const std::string& serial);

  // What `caller` revoking `target` at `now_unix_ms` writes. The holder is
  // the adviser behind the serial: named by the certificate, or seen calling
  // since the relay started. Their claims are freed in the same write as the
  // revocation, so a crash leaves both or neither (never a revoked holder of
  // a claim nobody can release). A bare serial not seen since start frees
  // nothing; an admin frees such claims with ForceReleaseThread.
  Revocation RevocationOf(const Identity& caller, const RevocationTarget& target,
                          const std::string& reason, int64_t now_unix_ms);

  // The stored revocation records of canonical `serial`, in every stored
  // form (canonical and older typed forms).
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> StoredFormsOf(const std::string& serial);

  // A national admin sees every revocation; a unit admin those of
  // certificates of their unit (named by certificate when revoked).
  static bool RevocationVisibleTo(const Identity& caller, const v1::RevocationRecord& record);

  // Revocations stored before serials were compared as integers kept the
  // text as typed and so never matched a certificate: each is stored again
  // under its canonical serial, audited (actor "relay"); the original record
  // stays. Blocks on the store's writes: call once at start, not on a Store
  // callback thread.
  [[nodiscard]] absl::Status CanonicalizeStoredRevocations();

 private:
  void NoteSeen(const Identity& identity);

  storage::Store* const store_;
  PeerVerifier* const verifier_;
  const std::function<int64_t()> clock_;
  const int64_t window_ms_;
  const int64_t started_ms_;
  RateLimiter rate_limiter_;
  ReplayCache replay_cache_;

  static constexpr size_t kMaxSeenSerials = 1'000'000;
  Mutex seen_mu_;
  absl::flat_hash_map<std::string, SeenAdviser> seen_serials_ ABSL_GUARDED_BY(seen_mu_);
  Mutex revoked_mu_;
  absl::flat_hash_map<std::string, bool> revoked_cache_ ABSL_GUARDED_BY(revoked_mu_);
  uint64_t revoked_generation_ ABSL_GUARDED_BY(revoked_mu_) = 0;
  // Serials whose revocation is being written (BeginRevocation).
  Mutex in_flight_mu_;
  absl::flat_hash_set<std::string> revocations_in_flight_ ABSL_GUARDED_BY(in_flight_mu_);
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_ADMISSION_H_
