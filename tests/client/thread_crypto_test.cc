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

  // Appends a sealed message to the view, chained to the one before, sealed
  // for `unit` (a referral note: for the unit it refers to).
  void Add(v1::SenderRole role, const std::string& text, const Ed25519PrivateKey& signer,
           std::vector<crypto::X25519PublicKey> recipients, bool thread_keys = false,
           const std::string& unit = "rc-kronoberg", const std::string& referred_to = "") {
    crypto::EnvelopeContext context;
    context.thread_id = thread_id_;
    context.message_id = crypto::RandomId();
    context.sequence = static_cast<uint64_t>(view_.messages_size()) + 1;
    context.sender_role = role;
    context.unit = referred_to.empty() ? unit : referred_to;
    context.directory_epoch = 3;
    context.previous_envelope_hash = last_hash_;
    v1::EnvelopeBody body;
    body.set_text(text);
    body.set_referred_to_unit(referred_to);
    if (thread_keys) {
      body.set_thread_reply_public_key(reply_.public_key().bytes());
      body.set_thread_signing_public_key(thread_key_.public_key().bytes());
    }
    auto sealed = crypto::SealEnvelope(context, body, recipients, signer);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    last_hash_ = crypto::EnvelopeChainHash(*crypto::ParseEnvelope(*sealed));
    view_.mutable_summary()->set_message_count(context.sequence);
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

  OpenedThread ReadAsProfessional(ThreadChainState* state = nullptr) {
    ReaderKeys keys;
    keys.reply_key = &reply_;
    keys.thread_signing_key = thread_key_.public_key();
    return OpenThread(view_, directory_, keystore_, keys, state);
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
  std::string last_hash_;  // chain hash of the last message added
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
  EXPECT_TRUE(t.problems.empty());
}

TEST_F(ThreadCryptoTest, ChainStateGivesTheNextLinkAndTheSignedUnit) {
  Story();
  ThreadChainState state;
  OpenedThread t = ReadAsProfessional(&state);
  EXPECT_EQ(state.last_sequence, 3u);
  EXPECT_EQ(state.last_chain_hash, last_hash_);
  EXPECT_EQ(state.units, std::vector<std::string>{"rc-kronoberg"});
  EXPECT_TRUE(state.units_complete);
}

TEST_F(ThreadCryptoTest, AnyAdviserOfTheUnitOpensTheThreadFromTheFirstMessage) {
  Story();
  ThreadChainState state;
  ReaderKeys keys;
  keys.adviser_keys = {&a2_.enc};
  OpenedThread t = OpenThread(view_, directory_, keystore_, keys, &state);
  ASSERT_EQ(t.messages.size(), 3u);
  for (const auto& m : t.messages) EXPECT_TRUE(m.status.ok()) << m.sequence << m.status;
  EXPECT_EQ(t.thread_reply_public_key, reply_.public_key().bytes());
  ASSERT_TRUE(state.thread_signing_key.has_value());
  EXPECT_EQ(state.thread_signing_key->bytes(), thread_key_.public_key().bytes());
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

TEST_F(ThreadCryptoTest, KeyNoDirectoryEverListedIsUnknown) {
  Story();
  // a-1's key is replaced in the directory and this keystore never saw the
  // old one: the answer cannot be attributed.
  directory_.mutable_units(0)->mutable_advisers(0)->set_signing_public_key(
      Ed25519PrivateKey::Generate().public_key().bytes());
  OpenedThread before = ReadAsProfessional();
  ASSERT_EQ(before.messages.size(), 3u);
  EXPECT_EQ(before.messages[1].status.code(), absl::StatusCode::kNotFound);
}

TEST_F(ThreadCryptoTest, KeyOfARotatedAdviserVerifiesButOfARemovedOneDoesNot) {
  Story();
  const std::string old_key = directory_.units(0).advisers(0).signing_public_key();
  v1::KnownSigner* known = keystore_.add_known_signers();
  known->set_adviser_id("a-1");
  known->set_unit("rc-kronoberg");
  known->set_signing_public_key(old_key);
  // Rotation: a-1 is still listed, with a new key.
  directory_.mutable_units(0)->mutable_advisers(0)->set_signing_public_key(
      Ed25519PrivateKey::Generate().public_key().bytes());
  OpenedThread rotated = ReadAsProfessional();
  ASSERT_EQ(rotated.messages.size(), 3u);
  EXPECT_TRUE(rotated.messages[1].status.ok()) << rotated.messages[1].status;
  EXPECT_EQ(rotated.messages[1].adviser_id, "a-1");

  // Removal: a-1 is in no unit of the current directory any more.
  directory_.mutable_units(0)->mutable_advisers()->DeleteSubrange(0, 1);
  OpenedThread removed = ReadAsProfessional();
  EXPECT_EQ(removed.messages[1].status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(removed.messages[1].status.message(), "no longer in the directory"))
      << removed.messages[1].status;
  EXPECT_TRUE(removed.messages[1].body.text().empty());
  EXPECT_TRUE(IsIntegrityFailure(removed.messages[1].status));

  // Revocation: refused even while still listed.
  directory_.add_revoked_signing_keys(old_key);
  OpenedThread revoked = ReadAsProfessional();
  EXPECT_EQ(revoked.messages[1].status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(revoked.messages[1].status.message(), "revoked"));
}

TEST_F(ThreadCryptoTest, AdviserOfAUnitTheCaseWasNeverWithIsNotTrusted) {
  Add(v1::SENDER_ROLE_PROFESSIONAL, "q", thread_key_, Recipients({&a1_}), true);
  // n-1 of nkt (listed in the current directory) answers a Kronoberg case.
  Add(v1::SENDER_ROLE_ADVISER, "answer from elsewhere", n1_.sig, Recipients({&a1_}));
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.messages.size(), 2u);
  EXPECT_EQ(t.messages[1].status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(t.messages[1].status.message(), "never with"));
}

TEST_F(ThreadCryptoTest, SignedReferralMovesTheUnitAndLetsItsAdvisersSign) {
  Add(v1::SENDER_ROLE_PROFESSIONAL, "q", thread_key_, Recipients({&a1_}), true);
  Add(v1::SENDER_ROLE_ADVISER, "referred", a1_.sig, Recipients({&n1_}), false, "rc-kronoberg",
      "nkt");
  Add(v1::SENDER_ROLE_ADVISER, "answer from nkt", n1_.sig, Recipients({&n1_}), false, "nkt");
  Add(v1::SENDER_ROLE_PROFESSIONAL, "thanks", thread_key_, Recipients({&n1_}), false, "nkt");
  ThreadChainState state;
  OpenedThread t = ReadAsProfessional(&state);
  ASSERT_EQ(t.messages.size(), 4u);
  for (const auto& m : t.messages) EXPECT_TRUE(m.status.ok()) << m.sequence << m.status;
  EXPECT_EQ(state.units, (std::vector<std::string>{"rc-kronoberg", "nkt"}));
}

TEST_F(ThreadCryptoTest, MessageSealedForAnotherUnitThanTheSignedOneIsRefused) {
  Add(v1::SENDER_ROLE_PROFESSIONAL, "q", thread_key_, Recipients({&a1_}), true);
  // A follow-up sealed for nkt without any referral (a relay that lied about
  // the unit to an old client).
  Add(v1::SENDER_ROLE_PROFESSIONAL, "follow-up", thread_key_, Recipients({&n1_}), false, "nkt");
  // A referral signed by an adviser of a unit the case is not with.
  Add(v1::SENDER_ROLE_ADVISER, "referred", n1_.sig, Recipients({&n1_}), false, "nkt", "nkt");
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.messages.size(), 3u);
  EXPECT_EQ(t.messages[1].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(t.messages[1].status.message(), "sealed for unit nkt"));
  EXPECT_FALSE(t.messages[2].status.ok());
}

TEST_F(ThreadCryptoTest, DroppedMessageIsAGapAndItsSuccessorStillNamesIt) {
  Story();
  view_.mutable_messages()->DeleteSubrange(1, 1);  // the relay hides the answer
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_EQ(t.problems[0].kind, ChainProblem::Kind::kMissing);
  EXPECT_EQ(t.problems[0].first, 2u);
  EXPECT_EQ(t.problems[0].last, 2u);
}

TEST_F(ThreadCryptoTest, CutOffEndIsAGapWhenTheSummaryCountsIt) {
  Story();
  view_.mutable_messages()->DeleteSubrange(1, 2);
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_EQ(t.problems[0].first, 2u);
  EXPECT_EQ(t.problems[0].last, 3u);
}

TEST_F(ThreadCryptoTest, ReplacedMessageBreaksTheChain) {
  Story();
  // The relay swaps message 2 for another validly signed answer by a-1 (e.g.
  // from a replay of an earlier draft) with the same sequence.
  v1::ThreadView other = view_;
  std::string saved_hash = last_hash_;
  view_.mutable_messages()->DeleteSubrange(1, 2);
  last_hash_ = crypto::EnvelopeChainHash(*crypto::ParseEnvelope(view_.messages(0).envelope()));
  Add(v1::SENDER_ROLE_ADVISER, "Svar: gör ingenting.", a1_.sig, Recipients({&a1_, &a2_}));
  *view_.add_messages() = other.messages(2);  // the follow-up names the real answer
  OpenedThread t = ReadAsProfessional();
  ASSERT_EQ(t.messages.size(), 3u);
  EXPECT_TRUE(t.messages[1].status.ok());  // on its own, a valid answer
  EXPECT_EQ(t.messages[2].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(t.messages[2].status.message(), "previous message"));
  EXPECT_TRUE(IsIntegrityFailure(t.messages[2].status));
}

TEST_F(ThreadCryptoTest, WatchContinuesTheChainMessageByMessage) {
  Story();
  ThreadChainState state;
  v1::ThreadView first = view_;
  first.mutable_messages()->DeleteSubrange(1, 2);
  first.mutable_summary()->set_message_count(1);
  ReaderKeys keys;
  keys.reply_key = &reply_;
  keys.thread_signing_key = thread_key_.public_key();
  state.thread_signing_key = keys.thread_signing_key;
  EXPECT_TRUE(OpenThread(first, directory_, keystore_, keys, state).problems.empty());
  // Event for message 3: message 2 never arrived.
  v1::ThreadView event;
  *event.mutable_summary() = view_.summary();
  *event.add_messages() = view_.messages(2);
  OpenedThread t = OpenThread(event, directory_, keystore_, keys, state);
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_EQ(t.problems[0].first, 2u);
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

TEST_F(ThreadCryptoTest, AdviserWhoCannotReadTheQuestionStillReadsLaterAnswers) {
  // a-2 joined after the question: message 1 is not addressed to them, the
  // colleague's answer is.
  Add(v1::SENDER_ROLE_PROFESSIONAL, "q", thread_key_, Recipients({&a1_}), true);
  Add(v1::SENDER_ROLE_ADVISER, "answer", a1_.sig, Recipients({&a1_, &a2_}));
  ThreadChainState state;
  ReaderKeys keys;
  keys.adviser_keys = {&a2_.enc};
  OpenedThread t = OpenThread(view_, directory_, keystore_, keys, &state);
  ASSERT_EQ(t.messages.size(), 2u);
  EXPECT_EQ(t.messages[0].status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(t.messages[1].status.ok()) << t.messages[1].status;
  EXPECT_FALSE(state.units_complete);  // the unit is not proven by signed data
  EXPECT_TRUE(t.problems.empty());
}

}  // namespace
}  // namespace samrad::client
