// Ownership proofs: the signed layout, the window and tampering.
#include "crypto/ownership_proof.h"

#include <limits>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "proto/directory.pb.h"
#include "tests/crypto/test_util.h"

namespace samrad::crypto {
namespace {

using testing::FakeRandom;
using testing::Unhex;

constexpr std::string_view kMethod = "/samrad.v1.Relay/GetThread";
constexpr std::string_view kThread = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1700000000000;
constexpr int64_t kWindow = 120000;

class OwnershipProofTest : public ::testing::Test {
 protected:
  absl::Status Verify(const v1::OwnershipProof& proof, int64_t now = kNow,
                      std::string_view method = kMethod, std::string_view thread = kThread) {
    return VerifyOwnershipProof(proof, method, thread, digest_, now, kWindow, key_.public_key());
  }
  Ed25519PrivateKey key_ = Ed25519PrivateKey::Generate();
  std::string digest_ = Sha256("request");
};

TEST_F(OwnershipProofTest, FreshProofVerifies) {
  v1::OwnershipProof proof = MakeOwnershipProof(kMethod, kThread, digest_, kNow, key_);
  EXPECT_EQ(proof.nonce().size(), 16u);
  EXPECT_EQ(proof.signature().size(), 64u);
  EXPECT_TRUE(Verify(proof).ok());
}

TEST_F(OwnershipProofTest, WindowIsInclusiveAndBothWays) {
  v1::OwnershipProof proof = MakeOwnershipProof(kMethod, kThread, digest_, kNow, key_);
  EXPECT_TRUE(Verify(proof, kNow + kWindow).ok());
  EXPECT_TRUE(Verify(proof, kNow - kWindow).ok());
  EXPECT_EQ(Verify(proof, kNow + kWindow + 1).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Verify(proof, kNow - kWindow - 1).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(OwnershipProofTest, ExtremeTimestampsDoNotOverflow) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (auto [ts, now] : {std::pair{kMin, kMax}, std::pair{kMax, kMin}, std::pair{kMin, kNow}}) {
    v1::OwnershipProof proof = MakeOwnershipProof(kMethod, kThread, digest_, ts, key_);
    EXPECT_EQ(Verify(proof, now).code(), absl::StatusCode::kUnauthenticated) << ts << " " << now;
  }
  v1::OwnershipProof proof = MakeOwnershipProof(kMethod, kThread, digest_, kNow, key_);
  EXPECT_EQ(VerifyOwnershipProof(proof, kMethod, kThread, digest_, kNow,
                                 std::numeric_limits<int64_t>::max(), key_.public_key())
                .code(),
            absl::StatusCode::kOk);
  EXPECT_EQ(
      VerifyOwnershipProof(proof, kMethod, kThread, digest_, kNow, -1, key_.public_key()).code(),
      absl::StatusCode::kUnauthenticated);
}

TEST_F(OwnershipProofTest, AnyTamperIsUnauthenticated) {
  v1::OwnershipProof proof = MakeOwnershipProof(kMethod, kThread, digest_, kNow, key_);
  EXPECT_EQ(Verify(proof, kNow, "/samrad.v1.Relay/CloseThread").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Verify(proof, kNow, kMethod, "11111111111111111111111111111111").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyOwnershipProof(proof, kMethod, kThread, Sha256("other request"), kNow, kWindow,
                                 key_.public_key())
                .code(),
            absl::StatusCode::kUnauthenticated);
  v1::OwnershipProof t = proof;
  t.set_timestamp_unix_ms(kNow + 1);
  EXPECT_EQ(Verify(t).code(), absl::StatusCode::kUnauthenticated);
  for (size_t i = 0; i < 16; ++i) {
    v1::OwnershipProof n = proof;
    (*n.mutable_nonce())[i] ^= 1;
    EXPECT_EQ(Verify(n).code(), absl::StatusCode::kUnauthenticated);
  }
  for (size_t i = 0; i < 64; ++i) {
    v1::OwnershipProof s = proof;
    (*s.mutable_signature())[i] ^= 1;
    EXPECT_EQ(Verify(s).code(), absl::StatusCode::kUnauthenticated);
  }
  Ed25519PrivateKey other = Ed25519PrivateKey::Generate();
  EXPECT_EQ(
      VerifyOwnershipProof(proof, kMethod, kThread, digest_, kNow, kWindow, other.public_key())
          .code(),
      absl::StatusCode::kUnauthenticated);
}

TEST_F(OwnershipProofTest, MissingOrMalformedProofIsUnauthenticated) {
  EXPECT_EQ(Verify(v1::OwnershipProof()).code(), absl::StatusCode::kUnauthenticated);
  v1::OwnershipProof proof = MakeOwnershipProof(kMethod, kThread, digest_, kNow, key_);
  v1::OwnershipProof short_nonce = proof;
  short_nonce.mutable_nonce()->resize(15);
  EXPECT_EQ(Verify(short_nonce).code(), absl::StatusCode::kUnauthenticated);
  v1::OwnershipProof long_sig = proof;
  long_sig.mutable_signature()->push_back('x');
  EXPECT_EQ(Verify(long_sig).code(), absl::StatusCode::kUnauthenticated);
}

TEST(OwnershipProofInputTest, MatchesTheDocumentedLayout) {
  const std::string digest(32, 'd');
  const std::string nonce(16, 'n');
  EXPECT_EQ(OwnershipProofInput("m", "tt", digest, 258, nonce),
            "samrad-proof-v1" + Unhex("000000016d") + Unhex("000000027474") + digest +
                Unhex("0000000000000102") + nonce);
  EXPECT_EQ(OwnershipProofInput("m", "t", digest, -1, nonce).substr(15 + 5 + 5 + 32, 8),
            std::string(8, '\xff'));
}

TEST(OwnershipProofTest2, ProofUsesTheRandomSourceForItsNonce) {
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  FakeRandom a(5), b(5);
  const std::string digest = Sha256("r");
  EXPECT_EQ(MakeOwnershipProof(kMethod, kThread, digest, kNow, key, a).nonce(),
            MakeOwnershipProof(kMethod, kThread, digest, kNow, key, b).nonce());
}

TEST(RequestDigestTest, IsSha256OfTheDeterministicSerialisation) {
  v1::UnitEntry request;
  request.set_unit_id("rc-kronoberg");
  request.add_counties("07");
  EXPECT_EQ(RequestDigest(request), Sha256(request.SerializeAsString()));
  v1::UnitEntry changed = request;
  changed.add_counties("12");
  EXPECT_NE(RequestDigest(changed), RequestDigest(request));
  EXPECT_EQ(RequestDigest(request).size(), 32u);
}

}  // namespace
}  // namespace samrad::crypto
