// Envelope seal/open: round trips and the checks Open reports.
#include "crypto/envelope.h"

#include <string>

#include "gtest/gtest.h"

namespace samrad::crypto {
namespace {

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

TEST(EnvelopeTest, SealedEnvelopeOpensForEachRecipient) {
  Ed25519PrivateKey signer = Ed25519PrivateKey::Generate();
  X25519PrivateKey a = X25519PrivateKey::Generate();
  X25519PrivateKey b = X25519PrivateKey::Generate();
  v1::EnvelopeBody body;
  body.set_text("a question");
  std::vector<X25519PublicKey> recipients = {a.public_key(), b.public_key()};
  auto sealed = SealEnvelope(TestContext(), body, recipients, signer);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  auto parsed = ParseEnvelope(*sealed);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  for (const X25519PrivateKey* key : {&a, &b}) {
    auto opened = OpenEnvelope(*parsed, TestContext(), signer.public_key(), *key);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->text(), "a question");
  }
  X25519PrivateKey stranger = X25519PrivateKey::Generate();
  EXPECT_EQ(OpenEnvelope(*parsed, TestContext(), signer.public_key(), stranger).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad::crypto
