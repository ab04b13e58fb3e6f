// Reading threads as each role, without a relay: the professional reads
// their own question and the adviser's answer; the adviser opens the first
// message (thread keys inside) and verifies follow-ups; forged signatures,
// moved ciphertext and strangers' keys are refused per message; referral
// re-wraps and rotated keys still open.
#include "client/thread_crypto.h"

#include "absl/strings/match.h"
#include "crypto/random.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

using crypto::Ed25519PrivateKey;
using crypto::X25519PrivateKey;

struct Adviser {
  std::string id;
  X25519PrivateKey enc = X25519PrivateKey::Generate();
  Ed25519PrivateKey sig = Ed25519PrivateKey::Generate();
};

class ThreadCryptoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_.set_epoch(3);
    directory_.set_fallback_unit_id("nkt");
    AddUnit("rc-kronoberg", {&a1_, &a2_});
    AddUnit("nkt", {&n1_});
    thread_id_ = crypto::RandomId();
    view_.mutable_summary()->set_thread_id(thread_id_);
    view_.mutable_summary()->set_unit("rc-kronoberg");
  }

  void AddUnit(const std::string& id, std::vector<Adviser*> advisers) {
    v1::UnitEntry* unit = directory_.add_units();
    unit->set_unit_id(id);
    for (Adviser* a : advisers) {
      v1::AdviserKeys* keys = unit->add_advisers();
      keys->set_adviser_id(a->id);
      keys->set_encryption_public_key(a->enc.public_key().bytes());
      keys->set_signing_public_key(a->sig.public_key().bytes());
    }
  }

  std::vector<crypto::X25519PublicKey> Recipients(std::vector<Adviser*> advisers) {
    std::vector<crypto::X25519PublicKey> out;
    for (Adviser* a : advisers) out.push_back(a->enc.public_key());
    out.push_back(reply_.public_key());
    return out;
  }

  // Appends a sealed message to the view.
  void Add(v1::SenderRole role, const std::string& text, const Ed25519PrivateKey& signer,
           std::vector<crypto::X25519PublicKey> recipients, bool thread_keys = false) {
    crypto::EnvelopeContext context;
    context.thread_id = thread_id_;
    context.message_id = crypto::RandomId();
    context.sequence = static_cast<uint64_t>(view_.messages_size()) + 1;
    context.sender_role = role;
    context.unit = "rc-kronoberg";
    context.directory_epoch = 3;
    v1::EnvelopeBody body;
    body.set_text(text);
    if (thread_keys) {
      body.set_thread_reply_public_key(reply_.public_key().bytes());
      body.set_thread_signing_public_key(thread_key_.public_key().bytes());
    }
    auto sealed = crypto::SealEnvelope(context, body, recipients, signer);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    v1::StoredMessage* stored = view_.add_messages();
    stored->set_thread_id(thread_id_);
    stored->set_message_id(context.message_id);
    stored->set_sequence(context.sequence);
    stored->set_sender_role(role);
    stored->set_envelope(*sealed);
  }

  void Story() {
    Add(v1::SENDER_ROLE_PROFESSIONAL, "Fråga: flicka 15 år, hot om giftermål.", thread_key_,
        Recipients({&a1_, &a2_}), /*thread_keys=*/true);
    Add(v1::SENDER_ROLE_ADVISER, "Svar: gör en orosanmälan.", a1_.sig, Recipients({&a1_, &a2_}));
    Add(v1::SENDER_ROLE_PROFESSIONAL, "Följdfråga: vad händer sedan?", thread_key_,
        Recipients({&a1_, &a2_}));
  }

  OpenedThread ReadAsProfessional() {
    ReaderKeys keys;
    keys.reply_key = &reply_;
    keys.thread_signing_key = thread_key_.public_key();
    return OpenThread(view_, directory_, keystore_, keys);
  }
  OpenedThread ReadAsAdviser(const Adviser& adviser) {
    ReaderKeys keys;
    keys.adviser_keys = {&adviser.enc};
    return OpenThread(view_, directory_, keystore_, keys);
  }

  Adviser a1_{"a-1"}, a2_{"a-2"}, n1_{"n-1"};
  X25519PrivateKey reply_ = X25519PrivateKey::Generate();
  Ed25519PrivateKey thread_key_ = Ed25519PrivateKey::Generate();
  v1::KeyDirectory directory_;
  v1::KeystoreContents keystore_;
  v1::ThreadView view_;
  std::string thread_id_;
};

TEST_F(ThreadCryptoTest, ProfessionalReadsEveryMessageWithAuthors) {
  Story();
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.messages.size(), 3u);
  for (const auto& m : t.messages) EXPECT_TRUE(m.status.ok()) << m.sequence << m.status;
  EXPECT_EQ(t.messages[0].body.text(), "Fråga: flicka 15 år, hot om giftermål.");
  EXPECT_EQ(t.messages[1].role, v1::SENDER_ROLE_ADVISER);
  EXPECT_EQ(t.messages[1].adviser_id, "a-1");
  EXPECT_EQ(t.messages[1].unit, "rc-kronoberg");
  EXPECT_EQ(t.messages[1].body.text(), "Svar: gör en orosanmälan.");
  EXPECT_EQ(NextSequence(view_), 4u);
}

TEST_F(ThreadCryptoTest, AnyAdviserOfTheUnitOpensTheThreadFromTheFirstMessage) {
  Story();
  OpenedThread t = ReadAsAdviser(a2_);
  ASSERT_EQ(t.messages.size(), 3u);
  for (const auto& m : t.messages) EXPECT_TRUE(m.status.ok()) << m.sequence << m.status;
  EXPECT_EQ(t.thread_reply_public_key, reply_.public_key().bytes());
  EXPECT_EQ(t.thread_signing_public_key, thread_key_.public_key().bytes());
  EXPECT_EQ(t.messages[2].body.text(), "Följdfråga: vad händer sedan?");
}

TEST_F(ThreadCryptoTest, AdviserOfAnotherUnitReadsNothing) {
  Story();
  OpenedThread t = ReadAsAdviser(n1_);
  ASSERT_EQ(t.messages.size(), 3u);  // every message is tried, none opens
  for (const auto& m : t.messages) {
    EXPECT_EQ(m.status.code(), absl::StatusCode::kNotFound) << m.sequence;
    EXPECT_TRUE(m.body.text().empty());
  }
}

TEST_F(ThreadCryptoTest, FirstMessageNotSignedByItsOwnThreadKeyIsRefused) {
  // Signed by a different key than the thread key inside the body.
  Ed25519PrivateKey impostor = Ed25519PrivateKey::Generate();
  Add(v1::SENDER_ROLE_PROFESSIONAL, "x", impostor, Recipients({&a1_}), /*thread_keys=*/true);
  OpenedThread t = ReadAsAdviser(a1_);
  ASSERT_EQ(t.messages.size(), 1u);
  EXPECT_EQ(t.messages[0].status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(t.messages[0].body.text().empty());
}

TEST_F(ThreadCryptoTest, ForgedAdviserSignatureAndUnknownSignerAreRefused) {
  Add(v1::SENDER_ROLE_PROFESSIONAL, "q", thread_key_, Recipients({&a1_}), true);
  Adviser stranger{"x-1"};
  Add(v1::SENDER_ROLE_ADVISER, "fake answer", stranger.sig, Recipients({&a1_}));
  // Flip one signature bit of the otherwise valid third message.
  Add(v1::SENDER_ROLE_ADVISER, "real answer", a1_.sig, Recipients({&a1_}));
  v1::SealedEnvelope sealed;
  ASSERT_TRUE(sealed.ParseFromString(view_.messages(2).envelope()));
  (*sealed.mutable_signature())[5] ^= 1;
  view_.mutable_messages(2)->set_envelope(sealed.SerializeAsString());
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.messages.size(), 3u);
  EXPECT_TRUE(t.messages[0].status.ok());
  EXPECT_EQ(t.messages[1].status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(t.messages[1].status.message(), "no verified directory"));
  EXPECT_EQ(t.messages[2].status.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ThreadCryptoTest, CiphertextMovedToAnotherSequenceIsRefused) {
  Story();
  // The relay swaps the stored sequence numbers of messages 1 and 3.
  view_.mutable_messages(0)->set_sequence(3);
  view_.mutable_messages(2)->set_sequence(1);
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.messages.size(), 3u);
  int moved_refused = 0;
  for (const auto& m : t.messages) {
    if (m.role == v1::SENDER_ROLE_PROFESSIONAL) {
      EXPECT_FALSE(m.status.ok()) << m.sequence;
      if (!m.status.ok()) ++moved_refused;
    }
  }
  EXPECT_EQ(moved_refused, 2) << "both moved messages must be seen and refused";
}

TEST_F(ThreadCryptoTest, RotatedAdviserKeyStillVerifiesFromKeystoreMemory) {
  Story();
  // The directory no longer lists a-1 (rotated away); the keystore remembers.
  directory_.mutable_units(0)->mutable_advisers()->DeleteSubrange(0, 1);
  OpenedThread before = ReadAsProfessional();
  ASSERT_EQ(before.messages.size(), 3u);
  EXPECT_EQ(before.messages[1].status.code(), absl::StatusCode::kNotFound);
  v1::KnownSigner* known = keystore_.add_known_signers();
  known->set_adviser_id("a-1");
  known->set_unit("rc-kronoberg");
  known->set_signing_public_key(a1_.sig.public_key().bytes());
  OpenedThread after = ReadAsProfessional();
  ASSERT_EQ(after.messages.size(), 3u);
  EXPECT_TRUE(after.messages[1].status.ok()) << after.messages[1].status;
  EXPECT_EQ(after.messages[1].adviser_id, "a-1");
}

TEST_F(ThreadCryptoTest, ReferralRewrapsLetTheNewUnitRead) {
  Story();
  std::vector<const X25519PrivateKey*> mine = {&a1_.enc};
  for (auto& stored : *view_.mutable_messages()) {
    auto envelope = crypto::ParseEnvelope(stored.envelope());
    ASSERT_TRUE(envelope.ok());
    const X25519PrivateKey* key = FindRecipientKey(*envelope, stored.extra_recipients(), mine);
    ASSERT_NE(key, nullptr);
    auto wraps = crypto::RewrapContentKey(*envelope, *key, {}, {n1_.enc.public_key()});
    ASSERT_TRUE(wraps.ok()) << wraps.status();
    for (auto& w : *wraps) *stored.add_extra_recipients() = w;
  }
  OpenedThread t = ReadAsAdviser(n1_);
  ASSERT_EQ(t.messages.size(), 3u);
  for (const auto& m : t.messages) EXPECT_TRUE(m.status.ok()) << m.sequence << m.status;
  EXPECT_EQ(t.messages[1].body.text(), "Svar: gör en orosanmälan.");
}

TEST_F(ThreadCryptoTest, UnitWithoutAdvisersCannotBeSealedTo) {
  v1::UnitEntry empty;
  empty.set_unit_id("rc-empty");
  auto recipients = UnitRecipients(empty);
  EXPECT_EQ(recipients.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(UnitRecipients(directory_.units(0))->size(), 2u);
}

}  // namespace
}  // namespace samrad::client
