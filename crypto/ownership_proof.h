// Ownership proofs: a professional proves, per call, that they hold a
// thread's Ed25519 key, without the relay learning who they are.
//
// Signed bytes: "samrad-proof-v1" || u32be(len(method)) || method ||
//   u32be(len(thread_id)) || thread_id || request_digest (32 bytes) ||
//   i64be(timestamp_unix_ms) || nonce (16 bytes)
// request_digest = SHA-256 of the request serialised deterministically with
// its `proof` field cleared (the caller computes it with RequestDigest).
//
// Thread-safety: pure functions of their arguments; thread-safe. Errors are
// stated per function.
#ifndef SAMRAD_CRYPTO_OWNERSHIP_PROOF_H_
#define SAMRAD_CRYPTO_OWNERSHIP_PROOF_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "google/protobuf/message.h"
#include "proto/relay.pb.h"

namespace samrad::crypto {

// SHA-256 of `request` serialised deterministically. The caller clears the
// proof field first (or passes a copy without it).
std::string RequestDigest(const google::protobuf::Message& request);

// The exact bytes that are signed (exposed for tests and fuzzing).
std::string OwnershipProofInput(std::string_view method, std::string_view thread_id,
                                std::string_view request_digest, int64_t timestamp_unix_ms,
                                std::string_view nonce);

v1::OwnershipProof MakeOwnershipProof(std::string_view method, std::string_view thread_id,
                                      std::string_view request_digest, int64_t now_unix_ms,
                                      const Ed25519PrivateKey& thread_key,
                                      RandomSource& rng = SystemRandom());

// Checks the signature and the timestamp window only (replay tracking is the
// relay's). UNAUTHENTICATED when the proof is missing or malformed, the
// signature fails, or the timestamp is outside now ± window_ms.
[[nodiscard]] absl::Status VerifyOwnershipProof(const v1::OwnershipProof& proof,
                                                std::string_view method, std::string_view thread_id,
                                                std::string_view request_digest,
                                                int64_t now_unix_ms, int64_t window_ms,
                                                const Ed25519PublicKey& thread_key);

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_OWNERSHIP_PROOF_H_
