// HPKE behaviour beyond the RFC vectors: round trips in every mode and AEAD,
// and the failures the RFC requires.
#include "crypto/hpke.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace samrad::crypto::hpke {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPsk = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kPskId = "psk-id";

TEST(HpkeTest, BaseModeRoundTrips) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  SenderOptions sender;
  sender.info = "info";
  auto sealed = Seal(sender, recipient.public_key(), "aad", "hello");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->enc.size(), kEncLen);
  ReceiverOptions receiver;
  receiver.info = "info";
  auto opened = Open(receiver, recipient, sealed->enc, "aad", sealed->ciphertext);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "hello");
}

TEST(HpkeTest, OpenFailsWithWrongAadInfoOrKey) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  X25519PrivateKey other = X25519PrivateKey::Generate();
  SenderOptions sender;
  sender.info = "info";
  auto sealed = Seal(sender, recipient.public_key(), "aad", "hello");
  ASSERT_TRUE(sealed.ok());
  ReceiverOptions receiver;
  receiver.info = "info";
  EXPECT_EQ(Open(receiver, recipient, sealed->enc, "AAD", sealed->ciphertext).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Open(receiver, other, sealed->enc, "aad", sealed->ciphertext).status().code(),
            absl::StatusCode::kDataLoss);
  receiver.info = "other";
  EXPECT_EQ(Open(receiver, recipient, sealed->enc, "aad", sealed->ciphertext).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(HpkeTest, EveryModeAndAeadRoundTripsThroughContexts) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  X25519PrivateKey sender_key = X25519PrivateKey::Generate();
  for (AeadId aead : {AeadId::kAes128Gcm, AeadId::kAes256Gcm, AeadId::kChaCha20Poly1305}) {
    for (Mode mode : {Mode::kBase, Mode::kPsk, Mode::kAuth, Mode::kAuthPsk}) {
      const bool psk = mode == Mode::kPsk || mode == Mode::kAuthPsk;
      const bool auth = mode == Mode::kAuth || mode == Mode::kAuthPsk;
      SenderOptions s{
          aead, mode, "info", psk ? kPsk : "", psk ? kPskId : "", auth ? &sender_key : nullptr};
      ReceiverOptions r{aead,
                        mode,
                        "info",
                        psk ? kPsk : "",
                        psk ? kPskId : "",
                        auth ? &sender_key.public_key() : nullptr};
      auto setup = SetupSender(s, recipient.public_key());
      ASSERT_TRUE(setup.ok()) << setup.status();
      auto receiver = SetupReceiver(r, setup->enc, recipient);
      ASSERT_TRUE(receiver.ok()) << receiver.status();
      for (int i = 0; i < 3; ++i) {
        const std::string pt = "message " + std::to_string(i);
        auto ct = setup->context.Seal("aad", pt);
        ASSERT_TRUE(ct.ok()) << ct.status();
        auto opened = receiver->Open("aad", *ct);
        ASSERT_TRUE(opened.ok()) << opened.status();
        EXPECT_EQ(*opened, pt);
      }
      EXPECT_EQ(receiver->sequence(), 3u);
      auto e1 = setup->context.Export("ctx", 42);
      auto e2 = receiver->Export("ctx", 42);
      ASSERT_TRUE(e1.ok() && e2.ok());
      EXPECT_TRUE(e1->ConstantTimeEquals(*e2));
    }
  }
}

}  // namespace
}  // namespace samrad::crypto::hpke
