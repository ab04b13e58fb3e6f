#include "crypto/ownership_proof.h"

#include "absl/status/status.h"
#include "crypto/serialize.h"

namespace samrad::crypto {
namespace {

constexpr std::string_view kProofLabel = "samrad-proof-v1";
constexpr size_t kNonceLen = 16;
constexpr size_t kDigestLen = 32;

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void AppendLengthPrefixed(std::string& out, std::string_view s) {
  AppendU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// |a - b| <= window without signed overflow.
bool WithinWindow(int64_t timestamp, int64_t now, int64_t window) {
  if (window < 0) return false;
  const __int128 diff = static_cast<__int128>(timestamp) - static_cast<__int128>(now);
  return diff <= window && -diff <= window;
}

}  // namespace

std::string RequestDigest(const google::protobuf::Message& request) {
  return Sha256(SerializeDeterministically(request));
}

std::string OwnershipProofInput(std::string_view method, std::string_view thread_id,
                                std::string_view request_digest, int64_t timestamp_unix_ms,
                                std::string_view nonce) {
  std::string out(kProofLabel);
  AppendLengthPrefixed(out, method);
  AppendLengthPrefixed(out, thread_id);
  out.append(request_digest);
  const uint64_t ts = static_cast<uint64_t>(timestamp_unix_ms);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(ts >> shift));
  out.append(nonce);
  return out;
}

v1::OwnershipProof MakeOwnershipProof(std::string_view method, std::string_view thread_id,
                                      std::string_view request_digest, int64_t now_unix_ms,
                                      const Ed25519PrivateKey& thread_key, RandomSource& rng) {
  v1::OwnershipProof proof;
  proof.set_timestamp_unix_ms(now_unix_ms);
  proof.set_nonce(RandomString(kNonceLen, rng));
  proof.set_signature(thread_key.Sign(
      OwnershipProofInput(method, thread_id, request_digest, now_unix_ms, proof.nonce())));
  return proof;
}

absl::Status VerifyOwnershipProof(const v1::OwnershipProof& proof, std::string_view method,
                                  std::string_view thread_id, std::string_view request_digest,
                                  int64_t now_unix_ms, int64_t window_ms,
                                  const Ed25519PublicKey& thread_key) {
  if (proof.nonce().size() != kNonceLen || proof.signature().size() != kEd25519SignatureLen) {
    return absl::UnauthenticatedError(
        "ownership proof is missing or malformed (needs a 16-byte nonce and 64-byte signature)");
  }
  if (request_digest.size() != kDigestLen) {
    return absl::UnauthenticatedError("ownership proof request digest must be 32 bytes");
  }
  if (!WithinWindow(proof.timestamp_unix_ms(), now_unix_ms, window_ms)) {
    return absl::UnauthenticatedError(
        "ownership proof timestamp is outside the accepted window; check the clock");
  }
  if (!thread_key
           .Verify(OwnershipProofInput(method, thread_id, request_digest, proof.timestamp_unix_ms(),
                                       proof.nonce()),
                   proof.signature())
           .ok()) {
    return absl::UnauthenticatedError("ownership proof signature does not verify");
  }
  return absl::OkStatus();
}

}  // namespace samrad::crypto
