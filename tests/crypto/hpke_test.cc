// HPKE behaviour beyond the RFC vectors: round trips in every mode and AEAD,
// and the failures the RFC requires.
#include "crypto/hpke.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/crypto/test_util.h"

namespace samrad::crypto::hpke {
namespace {

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

SenderOptions AuthPskSender(const X25519PrivateKey& sender_key) {
  return SenderOptions{AeadId::kAes256Gcm, Mode::kAuthPsk, "info", kPsk, kPskId, &sender_key};
}
ReceiverOptions AuthPskReceiver(const X25519PublicKey& sender_public) {
  return ReceiverOptions{AeadId::kAes256Gcm, Mode::kAuthPsk, "info", kPsk, kPskId, &sender_public};
}

TEST(HpkeTest, AuthModeRejectsAnotherSenderKey) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  X25519PrivateKey sender = X25519PrivateKey::Generate();
  X25519PrivateKey impostor = X25519PrivateKey::Generate();
  auto sealed = Seal(AuthPskSender(impostor), recipient.public_key(), "", "pt");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(
      Open(AuthPskReceiver(sender.public_key()), recipient, sealed->enc, "", sealed->ciphertext)
          .status()
          .code(),
      absl::StatusCode::kDataLoss);
  EXPECT_TRUE(
      Open(AuthPskReceiver(impostor.public_key()), recipient, sealed->enc, "", sealed->ciphertext)
          .ok());
}

TEST(HpkeTest, PskModeRejectsAnotherPskOrPskId) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  SenderOptions s{AeadId::kChaCha20Poly1305, Mode::kPsk, "", kPsk, kPskId, nullptr};
  auto sealed = Seal(s, recipient.public_key(), "", "pt");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  const std::string other_psk = "1123456789abcdef0123456789abcdef";
  ReceiverOptions r{AeadId::kChaCha20Poly1305, Mode::kPsk, "", other_psk, kPskId, nullptr};
  EXPECT_EQ(Open(r, recipient, sealed->enc, "", sealed->ciphertext).status().code(),
            absl::StatusCode::kDataLoss);
  r.psk = kPsk;
  r.psk_id = "other id";
  EXPECT_EQ(Open(r, recipient, sealed->enc, "", sealed->ciphertext).status().code(),
            absl::StatusCode::kDataLoss);
  r.psk_id = kPskId;
  EXPECT_TRUE(Open(r, recipient, sealed->enc, "", sealed->ciphertext).ok());
}

TEST(HpkeTest, ModeInputsThatBreakRfc9180RulesAreInvalidArgument) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  X25519PrivateKey sender = X25519PrivateKey::Generate();
  const X25519PublicKey& r = recipient.public_key();
  auto code = [&](SenderOptions o) { return Seal(o, r, "", "pt").status().code(); };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  // A PSK in a mode without one, a psk without psk_id and the reverse.
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kBase, "", kPsk, kPskId, nullptr}), kInvalid);
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kPsk, "", kPsk, "", nullptr}), kInvalid);
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kPsk, "", "", kPskId, nullptr}), kInvalid);
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kPsk, "", "", "", nullptr}), kInvalid);
  // A PSK shorter than 32 bytes.
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kPsk, "", kPsk.substr(1), kPskId, nullptr}), kInvalid);
  // Auth without a sender key, a sender key without auth.
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kAuth, "", "", "", nullptr}), kInvalid);
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kBase, "", "", "", &sender}), kInvalid);
  // Unknown AEAD and mode identifiers.
  EXPECT_EQ(code({static_cast<AeadId>(4), Mode::kBase, "", "", "", nullptr}), kInvalid);
  EXPECT_EQ(code({AeadId::kAes128Gcm, static_cast<Mode>(4), "", "", "", nullptr}), kInvalid);
  // Oversized info.
  const std::string huge(kMaxInputLen + 1, 'i');
  EXPECT_EQ(code({AeadId::kAes128Gcm, Mode::kBase, huge, "", "", nullptr}), kInvalid);
  EXPECT_EQ(ModeFromId(4).status().code(), kInvalid);
  EXPECT_EQ(AeadIdFromId(0).status().code(), kInvalid);
  EXPECT_EQ(AeadIdFromId(0x10000 + 1).status().code(), kInvalid);
}

TEST(HpkeTest, MalformedEncIsInvalidArgument) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  auto sealed = Seal(SenderOptions{}, recipient.public_key(), "", "pt");
  ASSERT_TRUE(sealed.ok());
  for (const std::string& enc :
       {std::string(), sealed->enc.substr(0, 31), sealed->enc + "x", std::string(32, '\0')}) {
    EXPECT_EQ(Open(ReceiverOptions{}, recipient, enc, "", sealed->ciphertext).status().code(),
              absl::StatusCode::kInvalidArgument)
        << enc.size();
  }
}

TEST(HpkeTest, LowOrderRecipientKeyIsRejectedWhenSealing) {
  auto low_order = X25519PublicKey::FromBytes(std::string(32, '\0'));
  ASSERT_TRUE(low_order.ok());
  EXPECT_EQ(Seal(SenderOptions{}, *low_order, "", "pt").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HpkeTest, TamperedOrTruncatedCiphertextNeverOpens) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  auto sealed = Seal(SenderOptions{}, recipient.public_key(), "aad", "plaintext");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->ciphertext.size(); ++i) {
    std::string bad = sealed->ciphertext;
    bad[i] ^= 0x80;
    EXPECT_EQ(Open(ReceiverOptions{}, recipient, sealed->enc, "aad", bad).status().code(),
              absl::StatusCode::kDataLoss);
  }
  for (size_t i = 0; i < sealed->enc.size(); ++i) {
    std::string bad = sealed->enc;
    bad[i] ^= 0x01;
    EXPECT_FALSE(Open(ReceiverOptions{}, recipient, bad, "aad", sealed->ciphertext).ok());
  }
  for (size_t len = 0; len < 16; ++len) {
    EXPECT_EQ(
        Open(ReceiverOptions{}, recipient, sealed->enc, "aad", sealed->ciphertext.substr(0, len))
            .status()
            .code(),
        absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(Open(ReceiverOptions{}, recipient, sealed->enc, "aad",
                 sealed->ciphertext.substr(0, sealed->ciphertext.size() - 1))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(HpkeTest, ExportOnlyContextExportsButCannotSeal) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  SenderOptions s;
  s.aead = AeadId::kExportOnly;
  ReceiverOptions r;
  r.aead = AeadId::kExportOnly;
  auto sent = SendExport(s, recipient.public_key(), "label", 64);
  ASSERT_TRUE(sent.ok()) << sent.status();
  auto received = ReceiveExport(r, recipient, sent->enc, "label", 64);
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(sent->secret.size(), 64u);
  EXPECT_TRUE(sent->secret.ConstantTimeEquals(*received));
  EXPECT_EQ(Seal(s, recipient.public_key(), "", "pt").status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto context = SetupReceiver(r, sent->enc, recipient);
  ASSERT_TRUE(context.ok());
  EXPECT_EQ(context->Open("", std::string(32, 'c')).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(HpkeTest, ExportLengthIsBounded) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  auto setup = SetupSender(SenderOptions{}, recipient.public_key());
  ASSERT_TRUE(setup.ok());
  EXPECT_EQ(setup->context.Export("", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(setup->context.Export("", 255 * 32 + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto longest = setup->context.Export("", 255 * 32);
  ASSERT_TRUE(longest.ok()) << longest.status();
  EXPECT_EQ(longest->size(), 255u * 32);
  EXPECT_EQ(setup->context.Export(std::string(kMaxInputLen + 1, 'c'), 32).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HpkeTest, SequenceNumberOverflowIsResourceExhaustedNotWrapped) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  auto setup = SetupSender(SenderOptions{}, recipient.public_key());
  ASSERT_TRUE(setup.ok());
  auto receiver = SetupReceiver(ReceiverOptions{}, setup->enc, recipient);
  ASSERT_TRUE(receiver.ok());
  const uint64_t last = std::numeric_limits<uint64_t>::max() - 1;
  setup->context.SetSequenceForTesting(last);
  receiver->SetSequenceForTesting(last);
  auto ct = setup->context.Seal("", "last message");
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto pt = receiver->Open("", *ct);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(*pt, "last message");
  EXPECT_EQ(setup->context.Seal("", "one too many").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(receiver->Open("", *ct).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(HpkeTest, FailedOpenDoesNotAdvanceTheSequence) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  auto setup = SetupSender(SenderOptions{}, recipient.public_key());
  ASSERT_TRUE(setup.ok());
  auto receiver = SetupReceiver(ReceiverOptions{}, setup->enc, recipient);
  ASSERT_TRUE(receiver.ok());
  auto ct = setup->context.Seal("", "first");
  ASSERT_TRUE(ct.ok());
  std::string bad = *ct;
  bad[0] ^= 1;
  EXPECT_EQ(receiver->Open("", bad).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(receiver->sequence(), 0u);
  EXPECT_TRUE(receiver->Open("", *ct).ok());
  EXPECT_EQ(receiver->sequence(), 1u);
  // Messages opened out of order fail: the nonce is bound to the position.
  auto second = setup->context.Seal("", "second");
  auto third = setup->context.Seal("", "third");
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_EQ(receiver->Open("", *third).status().code(), absl::StatusCode::kDataLoss);
}

TEST(HpkeTest, SenderIsDeterministicGivenTheRandomSource) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  testing::FakeRandom rng1(42), rng2(42);
  auto a = Seal(SenderOptions{}, recipient.public_key(), "", "pt", rng1);
  auto b = Seal(SenderOptions{}, recipient.public_key(), "", "pt", rng2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->enc, b->enc);
  EXPECT_EQ(a->ciphertext, b->ciphertext);
  auto c = Seal(SenderOptions{}, recipient.public_key(), "", "pt");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->enc, c->enc);
}

TEST(HpkeTest, DeriveKeyPairIsDeterministicAndNeedsEnoughIkm) {
  const std::string ikm(32, 'k');
  auto a = DeriveKeyPair(ikm);
  auto b = DeriveKeyPair(ikm);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->public_key(), b->public_key());
  EXPECT_EQ(DeriveKeyPair(std::string(31, 'k')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveKeyPair(std::string(kMaxInputLen + 1, 'k')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HpkeTest, GarbageEncAndCiphertextGiveAStatusNeverPlaintext) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  testing::FakeRandom rng(11);
  for (int round = 0; round < 200; ++round) {
    const std::string enc = RandomString(round % 40, rng);
    const std::string ct = RandomString(round % 70, rng);
    auto opened = Open(ReceiverOptions{}, recipient, enc, "", ct);
    ASSERT_FALSE(opened.ok());
    if (enc.size() != kEncLen || ct.size() < kAeadTagLen) {
      EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(HpkeTest, EmptyPlaintextAndAadRoundTrip) {
  X25519PrivateKey recipient = X25519PrivateKey::Generate();
  auto sealed = Seal(SenderOptions{}, recipient.public_key(), "", "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->ciphertext.size(), kAeadTagLen);
  auto opened = Open(ReceiverOptions{}, recipient, sealed->enc, "", sealed->ciphertext);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "");
}

}  // namespace
}  // namespace samrad::crypto::hpke
