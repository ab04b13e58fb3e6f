// The test-only two-key AES-256-GCM construction: its GF(2^128) and GHASH
// against the GCM specification's vectors, its tag and keystream against
// crypto::AeadSeal, and crafted ciphertexts that crypto::AeadOpen accepts under
// two keys, including bodies that parse as EnvelopeBody under both.
#include "tests/crypto/gcm_multikey.h"

#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/secret_bytes.h"
#include "gtest/gtest.h"
#include "proto/envelope.pb.h"
#include "tests/crypto/test_util.h"

namespace samrad::crypto {
namespace {

using testing::Aes256GcmKeystream;
using testing::Aes256GcmTag;
using testing::CraftTwoKeyGcmCiphertext;
using testing::CraftTwoKeyProtobufBody;
using testing::FakeRandom;
using testing::GfBlock;
using testing::GfInverse;
using testing::GfMul;
using testing::Ghash;
using testing::Hex;
using testing::kGfOne;
using testing::Unhex;

GfBlock BlockFromHex(std::string_view hex) {
  const std::string bytes = Unhex(hex);
  GfBlock out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::string HexOf(const GfBlock& block) {
  return Hex(std::string_view(reinterpret_cast<const char*>(block.data()), block.size()));
}

std::string RandomBytes(FakeRandom& rng, size_t n) {
  std::string out(n, '\0');
  rng.Fill(absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

GfBlock RandomBlock(FakeRandom& rng) {
  GfBlock out;
  rng.Fill(absl::MakeSpan(out));
  return out;
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B:
// test case 2 (AES-128, zero key, one zero plaintext block).
constexpr std::string_view kH2 = "66e94bd4ef8a2c3b884cfa59ca342b2e";
constexpr std::string_view kC2 = "0388dace60b6a392f328c2b971b2fe78";
// Test cases 3 and 4 share H; case 4 has 20 bytes of AAD and drops the last
// 4 ciphertext bytes, so both paddings are exercised.
constexpr std::string_view kH3 = "b83b533708bf535d0aa6e52980d53b78";
constexpr std::string_view kC3 =
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
constexpr std::string_view kA4 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

TEST(GcmMultikeyTest, GfMulMatchesGcmSpecTestCase2) {
  // X1 = C1 * H.
  EXPECT_EQ(HexOf(GfMul(BlockFromHex(kC2), BlockFromHex(kH2))), "5e2ec746917062882c85b0685353deb7");
  EXPECT_EQ(HexOf(GfMul(BlockFromHex(kH2), BlockFromHex(kC2))), "5e2ec746917062882c85b0685353deb7");
  EXPECT_EQ(GfMul(BlockFromHex(kH2), kGfOne), BlockFromHex(kH2));
}

TEST(GcmMultikeyTest, GhashMatchesGcmSpecTestCases2To4) {
  const std::string c2 = Unhex(kC2);
  const std::string c3 = Unhex(kC3);
  EXPECT_EQ(HexOf(Ghash(BlockFromHex(kH2), {}, AsBytes(""))), "00000000000000000000000000000000");
  EXPECT_EQ(HexOf(Ghash(BlockFromHex(kH2), {}, AsBytes(c2))), "f38cbb1ad69223dcc3457ae5b6b0f885");
  EXPECT_EQ(HexOf(Ghash(BlockFromHex(kH3), {}, AsBytes(c3))), "7f1b32b81b820d02614f8895ac1d4eac");
  const std::string a4 = Unhex(kA4);
  EXPECT_EQ(
      HexOf(Ghash(BlockFromHex(kH3), AsBytes(a4), AsBytes(std::string_view(c3).substr(0, 60)))),
      "698e57f70e6ecc7fd9463b7260a9ae5f");
}

TEST(GcmMultikeyTest, GfInverseInvertsNonZeroElements) {
  EXPECT_EQ(GfInverse(kGfOne), kGfOne);
  EXPECT_EQ(GfInverse(GfBlock{}), GfBlock{});
  FakeRandom rng(14);
  for (int i = 0; i < 8; ++i) {
    const GfBlock x = RandomBlock(rng);
    EXPECT_EQ(GfMul(x, GfInverse(x)), kGfOne) << HexOf(x);
  }
  // x^127 (the last bit): reduction is exercised too.
  GfBlock top{};
  top[15] = 1;
  EXPECT_EQ(GfMul(GfInverse(top), top), kGfOne);
}

TEST(GcmMultikeyTest, TagAndKeystreamMatchGcmSpecTestCase14AndAeadSeal) {
  // Test case 14: AES-256, zero key, zero nonce, one zero plaintext block.
  const std::string zero_key(32, '\0');
  const std::string zero_nonce(12, '\0');
  auto stream = Aes256GcmKeystream(AsBytes(zero_key), AsBytes(zero_nonce), 16);
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ(Hex(*stream), "cea7403d4d606b6e074ec5d3baf39d18");
  auto tag = Aes256GcmTag(AsBytes(zero_key), AsBytes(zero_nonce), {}, AsBytes(*stream));
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(HexOf(*tag), "d0d1c8a799996bf0265b98b5d48ab919");

  // And the project's AeadSeal agrees on assorted lengths.
  FakeRandom rng(5);
  for (size_t length : {0, 1, 15, 16, 17, 100}) {
    for (size_t aad_length : {0, 5, 16, 33}) {
      const std::string key = RandomBytes(rng, 32);
      const std::string nonce = RandomBytes(rng, 12);
      const std::string aad = RandomBytes(rng, aad_length);
      const std::string zeros(length, '\0');
      auto sealed = AeadSeal(AeadAlgorithm::kAes256Gcm, AsBytes(key), AsBytes(nonce),
                             AsBytes(zeros), AsBytes(aad));
      ASSERT_TRUE(sealed.ok()) << sealed.status();
      auto keystream = Aes256GcmKeystream(AsBytes(key), AsBytes(nonce), length);
      ASSERT_TRUE(keystream.ok()) << keystream.status();
      EXPECT_EQ(*keystream, sealed->substr(0, length));
      auto our_tag = Aes256GcmTag(AsBytes(key), AsBytes(nonce), AsBytes(aad),
                                  AsBytes(std::string_view(*sealed).substr(0, length)));
      ASSERT_TRUE(our_tag.ok()) << our_tag.status();
      EXPECT_EQ(HexOf(*our_tag), Hex(sealed->substr(length))) << length << " " << aad_length;
    }
  }
}

TEST(GcmMultikeyTest, CraftedCiphertextOpensUnderBothKeysToDifferentPlaintexts) {
  FakeRandom rng(2017);
  for (size_t prefix_blocks : {0, 1, 3}) {
    for (size_t aad_length : {0, 13, 32}) {
      const std::string key1 = RandomBytes(rng, 32);
      const std::string key2 = RandomBytes(rng, 32);
      const std::string key3 = RandomBytes(rng, 32);
      const std::string nonce = RandomBytes(rng, 12);
      const std::string aad = RandomBytes(rng, aad_length);
      const std::string prefix = RandomBytes(rng, 16 * prefix_blocks);
      auto crafted = CraftTwoKeyGcmCiphertext(AsBytes(key1), AsBytes(key2), AsBytes(nonce),
                                              AsBytes(aad), AsBytes(prefix));
      ASSERT_TRUE(crafted.ok()) << crafted.status();
      ASSERT_EQ(crafted->size(), prefix.size() + 16 + kAeadTagLen);
      EXPECT_EQ(crafted->substr(0, prefix.size()), prefix);

      auto opened1 = AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(key1), AsBytes(nonce),
                              AsBytes(*crafted), AsBytes(aad));
      auto opened2 = AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(key2), AsBytes(nonce),
                              AsBytes(*crafted), AsBytes(aad));
      ASSERT_TRUE(opened1.ok()) << opened1.status();
      ASSERT_TRUE(opened2.ok()) << opened2.status();
      EXPECT_EQ(opened1->size(), prefix.size() + 16);
      EXPECT_NE(*opened1, *opened2);

      // Only those two keys: a third key, another AAD or a flipped bit fail.
      EXPECT_EQ(AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(key3), AsBytes(nonce),
                         AsBytes(*crafted), AsBytes(aad))
                    .status()
                    .code(),
                absl::StatusCode::kDataLoss);
      EXPECT_FALSE(AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(key1), AsBytes(nonce),
                            AsBytes(*crafted), AsBytes(aad + "x"))
                       .ok());
      std::string flipped = *crafted;
      flipped[prefix.size()] ^= 1;
      EXPECT_FALSE(AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(key2), AsBytes(nonce),
                            AsBytes(flipped), AsBytes(aad))
                       .ok());
    }
  }
}

TEST(GcmMultikeyTest, CraftRefusesBadInput) {
  const std::string key1(32, 'a');
  const std::string key2(32, 'b');
  const std::string nonce(12, 'n');
  auto craft = [&](std::string_view k1, std::string_view k2, std::string_view n,
                   std::string_view prefix) {
    return CraftTwoKeyGcmCiphertext(AsBytes(k1), AsBytes(k2), AsBytes(n), {}, AsBytes(prefix))
        .status()
        .code();
  };
  EXPECT_EQ(craft(key1, key1, nonce, ""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(craft(key1, key2, nonce, std::string(15, 'p')), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(craft(key1, key2.substr(16), nonce, ""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(craft(key1, key2, nonce.substr(1), ""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(craft(key1, key2, nonce, std::string(32, 'p')), absl::StatusCode::kOk);
  EXPECT_EQ(CraftTwoKeyProtobufBody(AsBytes(key1), AsBytes(key2), AsBytes(nonce), {}, {},
                                    AsBytes(std::string(16001, 'm')))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

v1::EnvelopeBody Body(std::string text, FakeRandom& rng, bool first_message) {
  v1::EnvelopeBody body;
  body.set_text(std::move(text));
  if (first_message) {
    body.set_thread_reply_public_key(RandomBytes(rng, 32));
    body.set_thread_signing_public_key(RandomBytes(rng, 32));
  } else {
    body.set_referred_to_unit("rc-skane");
  }
  return body;
}

TEST(GcmMultikeyTest, ProtobufBodyParsesAsEnvelopeBodyUnderBothKeys) {
  EnvelopeContext context;
  context.thread_id = "0123456789abcdef0123456789abcdef";
  context.message_id = "fedcba9876543210fedcba9876543210";
  context.sequence = 1;
  context.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
  context.unit = "rc-kronoberg";
  context.directory_epoch = 7;
  const std::string aad = EnvelopeAad(context);

  FakeRandom rng(2021);
  // Many key pairs (each a different keystream difference and field-number
  // pair), and texts short and long enough for two-byte lengths.
  for (int round = 0; round < 24; ++round) {
    const std::string long_text(round % 3 == 0 ? 300 : round % 3 == 1 ? 2 : 5000, 'x');
    const v1::EnvelopeBody body1 = Body("Ge patienten 5 mg. " + long_text, rng, round % 2 == 0);
    const v1::EnvelopeBody body2 = Body("Ge patienten 50 mg.", rng, round % 2 == 1);
    const std::string message1 = body1.SerializeAsString();
    const std::string message2 = body2.SerializeAsString();
    const std::string key1 = RandomBytes(rng, 32);
    const std::string key2 = RandomBytes(rng, 32);
    const std::string first_nonce = RandomBytes(rng, 12);

    auto crafted = CraftTwoKeyProtobufBody(AsBytes(key1), AsBytes(key2), AsBytes(first_nonce),
                                           AsBytes(aad), AsBytes(message1), AsBytes(message2));
    ASSERT_TRUE(crafted.ok()) << crafted.status();
    ASSERT_EQ(crafted->nonce.size(), kAeadNonceLen);

    const std::vector<std::pair<const std::string*, const v1::EnvelopeBody*>> cases = {
        {&key1, &body1}, {&key2, &body2}};
    for (const auto& [key, expected] : cases) {
      auto plaintext = AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(*key), AsBytes(crafted->nonce),
                                AsBytes(crafted->ciphertext), AsBytes(aad));
      ASSERT_TRUE(plaintext.ok()) << plaintext.status() << " round " << round;
      v1::EnvelopeBody parsed;
      ASSERT_TRUE(parsed.ParseFromString(*plaintext)) << "round " << round;
      EXPECT_EQ(parsed.text(), expected->text());
      EXPECT_EQ(parsed.thread_reply_public_key(), expected->thread_reply_public_key());
      EXPECT_EQ(parsed.thread_signing_public_key(), expected->thread_signing_public_key());
      EXPECT_EQ(parsed.referred_to_unit(), expected->referred_to_unit());
      // Re-serialised without the filler (unknown) fields: exactly the message given.
      parsed.GetReflection()->MutableUnknownFields(&parsed)->Clear();
      EXPECT_EQ(parsed.SerializeAsString(), expected->SerializeAsString());
    }
  }
}

}  // namespace
}  // namespace samrad::crypto
