// Key types: known answers (RFC 7748, RFC 8032, FIPS 180), versioned
// serialisation, and every malformed length.
#include "crypto/keys.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/crypto/test_util.h"

namespace samrad::crypto {
namespace {

using testing::FakeRandom;
using testing::Hex;
using testing::Unhex;

TEST(Sha256Test, MatchesFips180KnownAnswer) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(X25519Test, Rfc7748KeyAgreement) {
  auto alice = X25519PrivateKey::FromRaw(
      AsBytes(Unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")));
  auto bob = X25519PrivateKey::FromRaw(
      AsBytes(Unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")));
  ASSERT_TRUE(alice.ok() && bob.ok());
  EXPECT_EQ(Hex(alice->public_key().bytes()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(Hex(bob->public_key().bytes()),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto ab = alice->Agree(bob->public_key());
  auto ba = bob->Agree(alice->public_key());
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(Hex(ab->view()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_TRUE(ab->ConstantTimeEquals(*ba));
}

TEST(X25519Test, AgreeRejectsLowOrderPeerWithInvalidArgument) {
  X25519PrivateKey key = X25519PrivateKey::Generate();
  for (const std::string& low_order :
       {std::string(32, '\0'),
        Unhex("0100000000000000000000000000000000000000000000000000000000000000"),
        Unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")}) {
    auto peer = X25519PublicKey::FromBytes(low_order);
    ASSERT_TRUE(peer.ok());
    EXPECT_EQ(key.Agree(*peer).status().code(), absl::StatusCode::kInvalidArgument)
        << Hex(low_order);
  }
}

TEST(X25519Test, WrongLengthsAreInvalidArgument) {
  for (size_t len : {0, 1, 31, 33, 64}) {
    EXPECT_EQ(X25519PublicKey::FromBytes(std::string(len, 'k')).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(X25519PrivateKey::FromRaw(AsBytes(std::string(len, 'k'))).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Ed25519PublicKey::FromBytes(std::string(len, 'k')).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Ed25519PrivateKey::FromSeed(AsBytes(std::string(len, 'k'))).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(X25519Test, SerializeRoundTripsAndIsVersioned) {
  X25519PrivateKey key = X25519PrivateKey::Generate();
  SecretBytes bytes = key.Serialize();
  ASSERT_EQ(bytes.size(), 34u);
  EXPECT_EQ(bytes.data()[0], 1);
  EXPECT_EQ(bytes.data()[1], 1);
  auto back = X25519PrivateKey::Deserialize(bytes.span());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->raw().ConstantTimeEquals(key.raw()));
  EXPECT_EQ(back->public_key(), key.public_key());
}

TEST(X25519Test, DeserializeRejectsUnknownVersionOtherTypeAndBadLength) {
  X25519PrivateKey key = X25519PrivateKey::Generate();
  SecretBytes good = key.Serialize();
  SecretBytes version2 = good.Clone();
  version2.data()[0] = 2;
  EXPECT_EQ(X25519PrivateKey::Deserialize(version2.span()).status().code(),
            absl::StatusCode::kUnimplemented);
  SecretBytes ed_type = good.Clone();
  ed_type.data()[1] = 2;
  EXPECT_EQ(X25519PrivateKey::Deserialize(ed_type.span()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PrivateKey::Deserialize(good.span()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(X25519PrivateKey::Deserialize({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(X25519PrivateKey::Deserialize(good.span().subspan(0, 33)).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string longer(good.view());
  longer.push_back('x');
  EXPECT_EQ(X25519PrivateKey::Deserialize(AsBytes(longer)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(X25519Test, GenerateDrawsFromTheRandomSource) {
  FakeRandom rng1(7), rng2(7), rng3(8);
  X25519PrivateKey a = X25519PrivateKey::Generate(rng1);
  X25519PrivateKey b = X25519PrivateKey::Generate(rng2);
  X25519PrivateKey c = X25519PrivateKey::Generate(rng3);
  EXPECT_EQ(a.public_key(), b.public_key());
  EXPECT_FALSE(a.public_key() == c.public_key());
}

TEST(X25519Test, CloneIsEqualAndUsable) {
  X25519PrivateKey key = X25519PrivateKey::Generate();
  X25519PrivateKey copy = key.Clone();
  X25519PrivateKey peer = X25519PrivateKey::Generate();
  auto a = key.Agree(peer.public_key());
  auto b = copy.Agree(peer.public_key());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->ConstantTimeEquals(*b));
}

// A key's OpenSSL state is shared by its clones and used from many threads
// (each Agree duplicates it; peers go through a per-thread object).
TEST(X25519Test, ConcurrentAgreeWithSharedKeysGivesTheSameSecrets) {
  const X25519PrivateKey key = X25519PrivateKey::Generate();
  const X25519PrivateKey clone = key.Clone();
  std::vector<X25519PrivateKey> peers;
  std::vector<std::string> expected;
  for (int i = 0; i < 8; ++i) {
    peers.push_back(X25519PrivateKey::Generate());
    auto shared = peers.back().Agree(key.public_key());
    ASSERT_TRUE(shared.ok());
    expected.emplace_back(shared->view());
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const X25519PrivateKey& mine = t % 2 == 0 ? key : clone;
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < peers.size(); ++i) {
          auto shared = mine.Agree(peers[i].public_key());
          if (!shared.ok() || shared->view() != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(X25519Test, MovedFromKeyFailsCleanly) {
  X25519PrivateKey key = X25519PrivateKey::Generate();
  X25519PrivateKey moved = std::move(key);
  X25519PrivateKey peer = X25519PrivateKey::Generate();
  // NOLINTNEXTLINE(bugprone-use-after-move): the contract under test.
  EXPECT_EQ(key.Agree(peer.public_key()).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(moved.Agree(peer.public_key()).ok());
}

TEST(KeyIdTest, IsTheFirst16BytesOfSha256) {
  X25519PrivateKey x = X25519PrivateKey::Generate();
  EXPECT_EQ(x.public_key().KeyId(), Sha256(x.public_key().bytes()).substr(0, 16));
  Ed25519PrivateKey e = Ed25519PrivateKey::Generate();
  EXPECT_EQ(e.public_key().KeyId(), Sha256(e.public_key().bytes()).substr(0, 16));
}

TEST(Ed25519Test, Rfc8032TestVector1) {
  auto key = Ed25519PrivateKey::FromSeed(
      AsBytes(Unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(Hex(key->public_key().bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const std::string signature = key->Sign("");
  EXPECT_EQ(Hex(signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
            "39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(key->public_key().Verify("", signature).ok());
}

TEST(Ed25519Test, VerifyFailsWithPermissionDeniedOnAnyChange) {
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  Ed25519PrivateKey other = Ed25519PrivateKey::Generate();
  const std::string sig = key.Sign("message");
  EXPECT_TRUE(key.public_key().Verify("message", sig).ok());
  EXPECT_EQ(key.public_key().Verify("messagE", sig).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.public_key().Verify("message", sig).code(), absl::StatusCode::kPermissionDenied);
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] ^= 0x01;
    EXPECT_EQ(key.public_key().Verify("message", bad).code(), absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(key.public_key().Verify("message", sig.substr(0, 63)).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(key.public_key().Verify("message", sig + "x").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(key.public_key().Verify("message", "").code(), absl::StatusCode::kPermissionDenied);
}

TEST(Ed25519Test, GarbagePublicKeyNeverVerifies) {
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const std::string sig = key.Sign("m");
  auto garbage = Ed25519PublicKey::FromBytes(std::string(32, '\xff'));
  ASSERT_TRUE(garbage.ok());
  EXPECT_EQ(garbage->Verify("m", sig).code(), absl::StatusCode::kPermissionDenied);
}

TEST(Ed25519Test, SerializeRoundTripsAndIsVersioned) {
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  SecretBytes bytes = key.Serialize();
  ASSERT_EQ(bytes.size(), 34u);
  EXPECT_EQ(bytes.data()[0], 1);
  EXPECT_EQ(bytes.data()[1], 2);
  auto back = Ed25519PrivateKey::Deserialize(bytes.span());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->public_key(), key.public_key());
  EXPECT_EQ(back->Sign("x"), key.Sign("x"));  // Ed25519 is deterministic
  SecretBytes version9 = bytes.Clone();
  version9.data()[0] = 9;
  EXPECT_EQ(Ed25519PrivateKey::Deserialize(version9.span()).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Ed25519PrivateKey::Deserialize(bytes.span().subspan(0, 2)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, CloneSignsIdentically) {
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  Ed25519PrivateKey copy = key.Clone();
  EXPECT_EQ(copy.Sign("abc"), key.Sign("abc"));
  EXPECT_EQ(copy.public_key(), key.public_key());
}

}  // namespace
}  // namespace samrad::crypto
