// What every relay workload needs before the clock starts: the verified key
// directory, the routed unit and its recipients, and pre-sealed consultations.
#ifndef SAMRAD_TESTS_BENCH_RELAY_SESSION_H_
#define SAMRAD_TESTS_BENCH_RELAY_SESSION_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/keys.h"
#include "proto/directory.pb.h"
#include "proto/relay.grpc.pb.h"

namespace samrad::bench {

// The gRPC status as an absl::Status with the same code and message, prefixed
// with what was being done.
absl::Status FromGrpc(const grpc::Status& status, const std::string& what);

// Loads the pinned directory public key from --directory-key.
absl::StatusOr<crypto::Ed25519PublicKey> LoadDirectoryPublicKey(const std::string& path);

struct VerifiedDirectory {
  v1::SignedDirectory signed_directory;
  v1::KeyDirectory directory;
};

// GetDirectory, then verification under `pinned`. The relay's status is
// passed through (NOT_FOUND before the first publish); PERMISSION_DENIED when
// the signature does not verify.
absl::StatusOr<VerifiedDirectory> FetchDirectory(v1::Relay::Stub& stub,
                                                 const crypto::Ed25519PublicKey& pinned,
                                                 int64_t deadline_ms);

// Where consultations from one county go at one epoch.
struct Route {
  std::string unit_id;
  uint64_t epoch = 0;
  std::vector<crypto::X25519PublicKey> recipients;  // every adviser of the unit
};

// FAILED_PRECONDITION when the routed unit lists no adviser (nothing could
// ever open the consultation); INVALID_ARGUMENT for a malformed key.
absl::StatusOr<Route> RouteFor(const v1::KeyDirectory& directory, const std::string& county);

// One consultation sealed before the clock starts, with the thread keys the
// professional keeps (for ownership proofs and for answers to wrap to).
struct PreparedThread {
  v1::SubmitConsultationRequest request;
  std::string thread_id;
  std::string message_id;
  std::unique_ptr<crypto::Ed25519PrivateKey> thread_key;
  std::unique_ptr<crypto::X25519PrivateKey> reply_key;
};

struct SealPlan {
  int64_t count = 0;
  int payload_bytes = 1024;  // length of the plaintext text
  std::string county;
  int threads = 1;  // sealing threads
};

// Seals `plan.count` first messages (sequence 1, professional, fresh thread
// keys, client-chosen random ids) to every recipient of `route`, spread over
// `plan.threads` threads. Metadata cycles through categories, urgencies,
// organisation types and age groups.
absl::StatusOr<std::vector<PreparedThread>> SealConsultations(const Route& route,
                                                              const SealPlan& plan);

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_RELAY_SESSION_H_
