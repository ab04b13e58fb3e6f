// The envelope: round trips, the documented format, and every check Open
// reports, in order; tampering with any byte; malformed input.
#include "crypto/envelope.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "crypto/aead.h"
#include "crypto/hpke.h"
#include "crypto/serialize.h"
#include "gtest/gtest.h"
#include "tests/crypto/gcm_multikey.h"
#include "tests/crypto/test_util.h"

namespace samrad::crypto {
namespace {

using testing::FakeRandom;
using testing::Unhex;

EnvelopeContext TestContext() {
  EnvelopeContext context;
  context.thread_id = "0123456789abcdef0123456789abcdef";
  context.message_id = "fedcba9876543210fedcba9876543210";
  context.sequence = 1;
  context.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
  context.unit = "rc-kronoberg";
  context.directory_epoch = 7;
  return context;
}

// HMAC-SHA256 through OpenSSL's one-shot HMAC(), pinned by RFC 4231 below.
std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

v1::EnvelopeBody TextBody(std::string text) {
  v1::EnvelopeBody body;
  body.set_text(std::move(text));
  return body;
}

class EnvelopeTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::string> SealTo(const std::vector<const X25519PrivateKey*>& keys,
                                     const v1::EnvelopeBody& body,
                                     const EnvelopeContext& context = TestContext()) {
    std::vector<X25519PublicKey> recipients;
    for (const X25519PrivateKey* key : keys) recipients.push_back(key->public_key());
    return SealEnvelope(context, body, recipients, signer_);
  }

  absl::StatusOr<v1::EnvelopeBody> ParseAndOpen(std::string_view bytes,
                                                const X25519PrivateKey& recipient,
                                                const EnvelopeContext& expected = TestContext()) {
    auto parsed = ParseEnvelope(bytes);
    if (!parsed.ok()) return parsed.status();
    return OpenEnvelope(*parsed, expected, signer_.public_key(), recipient);
  }

  // Re-signs `sealed` after the caller changed it, so that only the later
  // checks can catch the change.
  std::string Resign(v1::SealedEnvelope sealed) {
    std::string signed_bytes = "samrad-envelope-v2";
    const uint32_t len = static_cast<uint32_t>(sealed.header().size());
    for (int shift = 24; shift >= 0; shift -= 8) {
      signed_bytes.push_back(static_cast<char>(len >> shift));
    }
    signed_bytes += sealed.header() + sealed.ciphertext();
    sealed.set_signature(signer_.Sign(signed_bytes));
    return sealed.SerializeAsString();
  }

  Ed25519PrivateKey signer_ = Ed25519PrivateKey::Generate();
  X25519PrivateKey adviser_a_ = X25519PrivateKey::Generate();
  X25519PrivateKey adviser_b_ = X25519PrivateKey::Generate();
};

TEST_F(EnvelopeTest, OpensForEachRecipient) {
  auto sealed = SealTo({&adviser_a_, &adviser_b_}, TextBody("a question"));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  for (const X25519PrivateKey* key : {&adviser_a_, &adviser_b_}) {
    auto opened = ParseAndOpen(*sealed, *key);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->text(), "a question");
  }
}

TEST_F(EnvelopeTest, AllBodyFieldsRoundTrip) {
  v1::EnvelopeBody body;
  body.set_text("first message");
  body.set_thread_reply_public_key(std::string(32, 'r'));
  body.set_thread_signing_public_key(std::string(32, 's'));
  body.set_referred_to_unit("nkt");
  auto sealed = SealTo({&adviser_a_}, body);
  ASSERT_TRUE(sealed.ok());
  auto opened = ParseAndOpen(*sealed, adviser_a_);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->SerializeAsString(), body.SerializeAsString());
}

TEST_F(EnvelopeTest, EmptyBodyRoundTrips) {
  auto sealed = SealTo({&adviser_a_}, v1::EnvelopeBody());
  ASSERT_TRUE(sealed.ok());
  auto opened = ParseAndOpen(*sealed, adviser_a_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->text(), "");
}

TEST_F(EnvelopeTest, OneMebibyteBodyRoundTrips) {
  std::string text(1 << 20, '\0');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
  auto sealed = SealTo({&adviser_a_, &adviser_b_}, TextBody(text));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  auto opened = ParseAndOpen(*sealed, adviser_b_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->text(), text);
}

TEST_F(EnvelopeTest, BodyTooLargeForTheEnvelopeLimitIsInvalidArgument) {
  auto sealed = SealTo({&adviser_a_}, TextBody(std::string(kMaxEnvelopeBytes, 'x')));
  EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EnvelopeTest, FlippingAnyByteMakesOpenFail) {
  auto sealed = SealTo({&adviser_a_, &adviser_b_}, TextBody("short"));
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(ParseAndOpen(*sealed, adviser_a_).ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = *sealed;
      bad[i] ^= static_cast<char>(mask);
      auto opened = ParseAndOpen(bad, adviser_a_);
      EXPECT_FALSE(opened.ok()) << "byte " << i << " mask " << int{mask};
    }
  }
}

TEST_F(EnvelopeTest, RecipientNotListedGetsNotFound) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(ParseAndOpen(*sealed, adviser_b_).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EnvelopeTest, MovedEnvelopeGetsFailedPrecondition) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  std::vector<EnvelopeContext> moved(6, TestContext());
  moved[0].thread_id = "11111111111111111111111111111111";
  moved[1].message_id = "22222222222222222222222222222222";
  moved[2].sequence = 2;
  moved[3].sender_role = v1::SENDER_ROLE_ADVISER;
  moved[4].unit = "rc-skane";
  moved[5].directory_epoch = 8;
  for (const EnvelopeContext& expected : moved) {
    EXPECT_EQ(ParseAndOpen(*sealed, adviser_a_, expected).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST_F(EnvelopeTest, EmptyUnitAndZeroEpochInExpectedContextAcceptTheHeader) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  EnvelopeContext expected = TestContext();
  expected.unit.clear();
  expected.directory_epoch = 0;
  EXPECT_TRUE(ParseAndOpen(*sealed, adviser_a_, expected).ok());
}

TEST_F(EnvelopeTest, WrongSignerGetsPermissionDeniedBeforeAnyOtherCheck) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  auto parsed = ParseEnvelope(*sealed);
  ASSERT_TRUE(parsed.ok());
  Ed25519PrivateKey other = Ed25519PrivateKey::Generate();
  EnvelopeContext moved = TestContext();
  moved.thread_id = "11111111111111111111111111111111";
  EXPECT_EQ(OpenEnvelope(*parsed, TestContext(), other.public_key(), adviser_a_).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Signature first, even when the context and the recipient are wrong too.
  EXPECT_EQ(OpenEnvelope(*parsed, moved, other.public_key(), adviser_b_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyEnvelopeSignature(*parsed, other.public_key()).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(VerifyEnvelopeSignature(*parsed, signer_.public_key()).ok());
}

TEST_F(EnvelopeTest, ContextIsCheckedBeforeTheRecipient) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  EnvelopeContext moved = TestContext();
  moved.sequence = 9;
  EXPECT_EQ(ParseAndOpen(*sealed, adviser_b_, moved).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(EnvelopeTest, ResignedTamperedKeyWrapOrBodyGetsDataLoss) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  v1::SealedEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(*sealed));
  {
    v1::EnvelopeHeader header;
    ASSERT_TRUE(header.ParseFromString(envelope.header()));
    std::string* ct = header.mutable_recipients(0)->mutable_ciphertext();
    (*ct)[3] ^= 1;
    v1::SealedEnvelope changed = envelope;
    changed.set_header(header.SerializeAsString());
    EXPECT_EQ(ParseAndOpen(Resign(changed), adviser_a_).status().code(),
              absl::StatusCode::kDataLoss);
  }
  {
    v1::SealedEnvelope changed = envelope;
    (*changed.mutable_ciphertext())[0] ^= 1;
    EXPECT_EQ(ParseAndOpen(Resign(changed), adviser_a_).status().code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_TRUE(ParseAndOpen(Resign(envelope), adviser_a_).ok());
}

TEST_F(EnvelopeTest, FollowsTheDocumentedFormat) {
  FakeRandom rng(1);
  auto sealed =
      SealEnvelope(TestContext(), TextBody("format"), {adviser_a_.public_key()}, signer_, rng);
  ASSERT_TRUE(sealed.ok());
  v1::SealedEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(*sealed));
  v1::EnvelopeHeader header;
  ASSERT_TRUE(header.ParseFromString(envelope.header()));
  EXPECT_EQ(header.version(), 2u);
  EXPECT_TRUE(header.previous_envelope_hash().empty());  // sequence 1
  EXPECT_EQ(header.sender_key_id(), signer_.public_key().KeyId());
  ASSERT_EQ(header.recipients_size(), 1);
  const v1::WrappedKey& wrap = header.recipients(0);
  EXPECT_EQ(wrap.key_id(), adviser_a_.public_key().KeyId());
  EXPECT_EQ(wrap.enc().size(), 32u);
  EXPECT_EQ(wrap.ciphertext().size(), 48u);
  // The wrap is HPKE base mode, AES-256-GCM, info "samrad-wrap-v2", aad
  // SHA-256(EnvelopeAad(context)).
  hpke::ReceiverOptions options;
  options.aead = hpke::AeadId::kAes256Gcm;
  options.info = "samrad-wrap-v2";
  auto content_key = hpke::Open(options, adviser_a_, wrap.enc(), Sha256(EnvelopeAad(TestContext())),
                                wrap.ciphertext());
  ASSERT_TRUE(content_key.ok()) << content_key.status();
  ASSERT_EQ(content_key->size(), 32u);
  // The header commits to the content key: HMAC-SHA256(key, label).
  EXPECT_EQ(header.key_commitment(), HmacSha256(*content_key, "samrad-key-commitment-v2"));
  // The body is AES-256-GCM under the content key with aad EnvelopeAad.
  auto body =
      AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(*content_key), AsBytes(header.body_nonce()),
               AsBytes(envelope.ciphertext()), AsBytes(EnvelopeAad(TestContext())));
  ASSERT_TRUE(body.ok());
  v1::EnvelopeBody parsed;
  ASSERT_TRUE(parsed.ParseFromString(*body));
  EXPECT_EQ(parsed.text(), "format");
  // The signature covers label || u32be(len(header)) || header || ciphertext.
  std::string signed_bytes = "samrad-envelope-v2";
  const uint32_t len = static_cast<uint32_t>(envelope.header().size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    signed_bytes.push_back(static_cast<char>(len >> shift));
  }
  signed_bytes += envelope.header() + envelope.ciphertext();
  EXPECT_TRUE(signer_.public_key().Verify(signed_bytes, envelope.signature()).ok());
  // Sealing is a function of the random source.
  FakeRandom rng_again(1);
  auto again = SealEnvelope(TestContext(), TextBody("format"), {adviser_a_.public_key()}, signer_,
                            rng_again);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *sealed);
}

TEST(EnvelopeAadTest, IsLengthPrefixedAndBindsEveryField) {
  EnvelopeContext c;
  c.thread_id = "t";
  c.message_id = "m";
  c.sequence = 2;
  c.sender_role = v1::SENDER_ROLE_ADVISER;
  c.unit = "u";
  c.directory_epoch = 3;
  c.previous_envelope_hash = "h";
  EXPECT_EQ(EnvelopeAad(c), std::string("samrad-aad-v2") + Unhex("0000000174") +
                                Unhex("000000016d") + Unhex("0000000000000002") +
                                Unhex("00000002") + Unhex("0000000175") +
                                Unhex("0000000000000003") + Unhex("0000000168"));
  EnvelopeContext shifted = c;
  shifted.thread_id = "tm";
  shifted.message_id = "";
  EXPECT_NE(EnvelopeAad(shifted), EnvelopeAad(c));
}

TEST_F(EnvelopeTest, RewrapAfterReferralOpensForTheNewRecipient) {
  auto sealed = SealTo({&adviser_a_}, TextBody("referred case"));
  ASSERT_TRUE(sealed.ok());
  auto parsed = ParseEnvelope(*sealed);
  ASSERT_TRUE(parsed.ok());
  X25519PrivateKey new_unit = X25519PrivateKey::Generate();
  auto wraps = RewrapContentKey(*parsed, adviser_a_, {}, {new_unit.public_key()});
  ASSERT_TRUE(wraps.ok()) << wraps.status();
  ASSERT_EQ(wraps->size(), 1u);
  EXPECT_EQ(OpenEnvelope(*parsed, TestContext(), signer_.public_key(), new_unit).status().code(),
            absl::StatusCode::kNotFound);
  auto opened = OpenEnvelope(*parsed, TestContext(), signer_.public_key(), new_unit, *wraps);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->text(), "referred case");
  // A second referral: the new unit re-wraps from its own extra wrap.
  X25519PrivateKey third_unit = X25519PrivateKey::Generate();
  auto wraps2 = RewrapContentKey(*parsed, new_unit, *wraps, {third_unit.public_key()});
  ASSERT_TRUE(wraps2.ok()) << wraps2.status();
  EXPECT_TRUE(OpenEnvelope(*parsed, TestContext(), signer_.public_key(), third_unit, *wraps2).ok());
}

TEST_F(EnvelopeTest, RewrapNeedsToBeARecipientAndANewRecipient) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  auto parsed = ParseEnvelope(*sealed);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(RewrapContentKey(*parsed, adviser_b_, {}, {adviser_b_.public_key()}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RewrapContentKey(*parsed, adviser_a_, {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EnvelopeTest, TamperedExtraRecipientGetsDataLoss) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  auto parsed = ParseEnvelope(*sealed);
  ASSERT_TRUE(parsed.ok());
  auto wraps = RewrapContentKey(*parsed, adviser_a_, {}, {adviser_b_.public_key()});
  ASSERT_TRUE(wraps.ok());
  (*(*wraps)[0].mutable_ciphertext())[0] ^= 1;
  EXPECT_EQ(OpenEnvelope(*parsed, TestContext(), signer_.public_key(), adviser_b_, *wraps)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(EnvelopeTest, DuplicateRecipientsAreWrappedOnce) {
  auto sealed = SealTo({&adviser_a_, &adviser_a_, &adviser_b_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  auto parsed = ParseEnvelope(*sealed);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header.recipients_size(), 2);
}

TEST_F(EnvelopeTest, SealRejectsBadRecipientListsAndContexts) {
  EXPECT_EQ(SealTo({}, TextBody("x")).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<X25519PrivateKey> many;
  std::vector<const X25519PrivateKey*> pointers;
  for (size_t i = 0; i <= kMaxRecipients; ++i) many.push_back(X25519PrivateKey::Generate());
  for (const X25519PrivateKey& key : many) pointers.push_back(&key);
  EXPECT_EQ(SealTo(pointers, TextBody("x")).status().code(), absl::StatusCode::kInvalidArgument);
  pointers.pop_back();
  EXPECT_TRUE(SealTo(pointers, TextBody("x")).ok());

  std::vector<EnvelopeContext> bad(6, TestContext());
  bad[0].thread_id = "0123456789ABCDEF0123456789ABCDEF";
  bad[1].message_id = "short";
  bad[2].sequence = 0;
  bad[3].sender_role = v1::SENDER_ROLE_UNSPECIFIED;
  bad[4].unit = "";
  bad[5].unit = "Not A Unit";
  for (const EnvelopeContext& context : bad) {
    EXPECT_EQ(SealTo({&adviser_a_}, TextBody("x"), context).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(EnvelopeTest, LowOrderRecipientKeyIsInvalidArgument) {
  auto low_order = X25519PublicKey::FromBytes(std::string(32, '\0'));
  ASSERT_TRUE(low_order.ok());
  auto sealed =
      SealEnvelope(TestContext(), TextBody("x"), {adviser_a_.public_key(), *low_order}, signer_);
  EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EnvelopeTest, TruncatedEnvelopesGiveAClearStatus) {
  auto sealed = SealTo({&adviser_a_}, TextBody("truncate me"));
  ASSERT_TRUE(sealed.ok());
  for (size_t len = 0; len < sealed->size(); ++len) {
    auto parsed = ParseEnvelope(std::string_view(*sealed).substr(0, len));
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << len;
      EXPECT_FALSE(parsed.status().message().empty());
      continue;
    }
    EXPECT_FALSE(OpenEnvelope(*parsed, TestContext(), signer_.public_key(), adviser_a_).ok())
        << len;
  }
}

TEST_F(EnvelopeTest, GarbageAndOversizedInputAreInvalidArgument) {
  FakeRandom rng(3);
  for (size_t len : {1, 7, 64, 500, 4096}) {
    for (int round = 0; round < 20; ++round) {
      const std::string garbage = RandomString(len, rng);
      auto parsed = ParseEnvelope(garbage);
      if (parsed.ok()) {
        EXPECT_FALSE(OpenEnvelope(*parsed, TestContext(), signer_.public_key(), adviser_a_).ok());
      } else {
        EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
      }
    }
  }
  EXPECT_EQ(ParseEnvelope(std::string(kMaxEnvelopeBytes + 1, '\0')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEnvelope("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EnvelopeTest, HeaderWithUnknownVersionOrBadFieldsIsInvalidArgument) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  v1::SealedEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(*sealed));
  v1::EnvelopeHeader header;
  ASSERT_TRUE(header.ParseFromString(envelope.header()));
  std::vector<v1::EnvelopeHeader> bad(10, header);
  bad[0].set_version(3);
  bad[1].set_body_nonce("short");
  bad[2].clear_recipients();
  bad[3].mutable_recipients(0)->set_enc("short");
  bad[4].set_sender_key_id("");
  bad[5].set_thread_id("not hex");
  bad[6].set_key_commitment("short");
  bad[7].set_previous_envelope_hash(std::string(32, 'h'));  // sequence 1 has none
  bad[8].set_sequence(2);                                   // and later ones need one
  bad[9].set_sequence(0);
  for (const v1::EnvelopeHeader& h : bad) {
    v1::SealedEnvelope changed = envelope;
    changed.set_header(h.SerializeAsString());
    EXPECT_EQ(ParseEnvelope(Resign(changed)).status().code(), absl::StatusCode::kInvalidArgument)
        << h.ShortDebugString();
  }
}

TEST(KeyCommitmentTest, HmacMatchesRfc4231AndAPinnedCommitment) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256("Jefe", "what do ya want for nothing?"),
            Unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  // The commitment of the key 00 01 .. 1f (computed with Python's hmac).
  std::string key;
  for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>(i));
  EXPECT_EQ(HmacSha256(key, "samrad-key-commitment-v2"),
            Unhex("f271af39689054d63de19c672321ce1ffdb6d690390cf2c17012999a2a9d6739"));
}

TEST_F(EnvelopeTest, VersionOneIsRefusedWithAMessageThatNamesIt) {
  auto sealed = SealTo({&adviser_a_}, TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  v1::SealedEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(*sealed));
  v1::EnvelopeHeader header;
  ASSERT_TRUE(header.ParseFromString(envelope.header()));
  header.set_version(1);
  envelope.set_header(header.SerializeAsString());
  auto parsed = ParseEnvelope(Resign(envelope));
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), "version 1")) << parsed.status();
}

TEST_F(EnvelopeTest, ChainHashNamesThePreviousMessageAndIsChecked) {
  auto first = SealTo({&adviser_a_}, TextBody("one"));
  ASSERT_TRUE(first.ok());
  auto parsed_first = ParseEnvelope(*first);
  ASSERT_TRUE(parsed_first.ok());
  const std::string link = EnvelopeChainHash(*parsed_first);
  EXPECT_EQ(link.size(), kEnvelopeHashLen);
  // SHA-256("samrad-chain-v2" || signed bytes): independent of re-encoding.
  EXPECT_EQ(link, Sha256(std::string("samrad-chain-v2") +
                         EnvelopeSignedBytes(parsed_first->sealed.header(),
                                             parsed_first->sealed.ciphertext())));
  EnvelopeContext second = TestContext();
  second.message_id = "00000000000000000000000000000002";
  second.sequence = 2;
  EXPECT_EQ(SealTo({&adviser_a_}, TextBody("two"), second).status().code(),
            absl::StatusCode::kInvalidArgument);  // no link
  second.previous_envelope_hash = link;
  auto sealed = SealTo({&adviser_a_}, TextBody("two"), second);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_TRUE(ParseAndOpen(*sealed, adviser_a_, second).ok());
  EnvelopeContext other_link = second;
  other_link.previous_envelope_hash = std::string(kEnvelopeHashLen, 'x');
  EXPECT_EQ(ParseAndOpen(*sealed, adviser_a_, other_link).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A malicious sender crafts one body that AES-GCM opens under two content
// keys (tests/crypto/gcm_multikey.h), wraps one key to each adviser and signs
// the lot: without key commitment each adviser would read another text.
TEST_F(EnvelopeTest, BodyCraftedForTwoKeysIsRefusedByTheKeyCommitment) {
  std::string k1(32, '\0'), k2(32, '\0');
  for (int i = 0; i < 32; ++i) {
    k1[i] = static_cast<char>(i + 1);
    k2[i] = static_cast<char>(0xa0 + i);
  }
  const EnvelopeContext context = TestContext();
  const std::string aad = EnvelopeAad(context);
  v1::EnvelopeBody for_a = TextBody("Råd: kontakta socialtjänsten i dag.");
  v1::EnvelopeBody for_b = TextBody("Råd: gör ingenting, vänta och se.");
  auto crafted = testing::CraftTwoKeyProtobufBody(
      AsBytes(k1), AsBytes(k2), AsBytes(std::string(12, '\0')), AsBytes(aad),
      AsBytes(for_a.SerializeAsString()), AsBytes(for_b.SerializeAsString()));
  ASSERT_TRUE(crafted.ok()) << crafted.status();

  // The attack is real: AES-GCM opens the one ciphertext under both keys.
  for (const std::string* key : {&k1, &k2}) {
    auto opened = AeadOpen(AeadAlgorithm::kAes256Gcm, AsBytes(*key), AsBytes(crafted->nonce),
                           AsBytes(crafted->ciphertext), AsBytes(aad));
    ASSERT_TRUE(opened.ok()) << opened.status();
    v1::EnvelopeBody body;
    ASSERT_TRUE(body.ParseFromString(*opened));
  }

  hpke::SenderOptions options;
  options.aead = hpke::AeadId::kAes256Gcm;
  options.info = "samrad-wrap-v2";
  v1::EnvelopeHeader header;
  header.set_version(2);
  header.set_thread_id(context.thread_id);
  header.set_message_id(context.message_id);
  header.set_sequence(context.sequence);
  header.set_sender_role(context.sender_role);
  header.set_unit(context.unit);
  header.set_directory_epoch(context.directory_epoch);
  header.set_body_nonce(crafted->nonce);
  header.set_sender_key_id(signer_.public_key().KeyId());
  header.set_key_commitment(HmacSha256(k1, "samrad-key-commitment-v2"));
  for (auto [recipient, key] : {std::pair{&adviser_a_, &k1}, std::pair{&adviser_b_, &k2}}) {
    auto wrapped = hpke::Seal(options, recipient->public_key(), Sha256(aad), *key, SystemRandom());
    ASSERT_TRUE(wrapped.ok()) << wrapped.status();
    v1::WrappedKey* wrap = header.add_recipients();
    wrap->set_key_id(recipient->public_key().KeyId());
    wrap->set_enc(wrapped->enc);
    wrap->set_ciphertext(wrapped->ciphertext);
  }
  v1::SealedEnvelope envelope;
  envelope.set_header(SerializeDeterministically(header));
  envelope.set_ciphertext(crafted->ciphertext);
  const std::string bytes = Resign(envelope);

  auto for_a_opened = ParseAndOpen(bytes, adviser_a_);
  ASSERT_TRUE(for_a_opened.ok()) << for_a_opened.status();
  EXPECT_EQ(for_a_opened->text(), for_a.text());
  auto for_b_opened = ParseAndOpen(bytes, adviser_b_);
  EXPECT_EQ(for_b_opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(for_b_opened.status().message(), "committed"))
      << for_b_opened.status();
}

}  // namespace
}  // namespace samrad::crypto
