// Tests of storage/sealing.cc: values authenticate only at their own
// (column family, key, generation); every bit flip is detected; a DEK wrap
// opens only under its KEK; ValueOpener answers as Keyring::Open.
#include "storage/sealing.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/test_util.h"

namespace samrad::storage {
namespace {

using ::testing::HasSubstr;

crypto::SecretBytes Key(char fill) {
  return crypto::SecretBytes::FromString(std::string(32, fill));
}

TEST(SealingTest, RoundTripsAndNamesItsGeneration) {
  Keyring keyring;
  keyring.Add(3, Key('a'));
  absl::StatusOr<std::string> sealed = keyring.Seal("threads", "t1", "record");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(SealedGeneration(*sealed), 3u);
  EXPECT_EQ(sealed->size(), kSealedHeaderLen + 6 + 16);
  absl::StatusOr<std::string> opened = keyring.Open("threads", "t1", *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "record");
}

// The nonce is a per-keyring random 64-bit field and a counter: seals under
// one keyring never repeat a nonce, and a new keyring (a restart) draws a
// new field, so a restarted relay does not reuse its predecessor's nonces.
TEST(SealingTest, NoncesAreAFixedFieldAndACounterAndNeverRepeat) {
  auto nonce_of = [](const std::string& sealed) { return sealed.substr(1 + 4, 12); };
  Keyring keyring;
  keyring.Add(1, Key('a'));
  std::set<std::string> nonces;
  std::string first;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::string> sealed = keyring.Seal("messages", "k", "same plaintext");
    ASSERT_TRUE(sealed.ok());
    const std::string nonce = nonce_of(*sealed);
    if (i == 0) first = nonce;
    EXPECT_EQ(nonce.substr(0, 8), first.substr(0, 8)) << "fixed field changed at seal " << i;
    const std::string counter = nonce.substr(8);
    const uint32_t value = (uint8_t(counter[0]) << 24) | (uint8_t(counter[1]) << 16) |
                           (uint8_t(counter[2]) << 8) | uint8_t(counter[3]);
    EXPECT_EQ(value, static_cast<uint32_t>(i));
    EXPECT_TRUE(nonces.insert(nonce).second) << "nonce repeated at seal " << i;
  }
  Keyring restarted;
  restarted.Add(1, Key('a'));
  absl::StatusOr<std::string> sealed = restarted.Seal("messages", "k", "same plaintext");
  ASSERT_TRUE(sealed.ok());
  EXPECT_NE(nonce_of(*sealed).substr(0, 8), first.substr(0, 8));
  absl::StatusOr<std::string> opened = keyring.Open("messages", "k", *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "same plaintext");
}

TEST(SealingTest, EveryBitFlipIsDataLoss) {
  Keyring keyring;
  keyring.Add(1, Key('a'));
  absl::StatusOr<std::string> sealed = keyring.Seal("messages", "k", "payload");
  ASSERT_TRUE(sealed.ok());
  for (size_t byte = 0; byte < sealed->size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string tampered = *sealed;
      tampered[byte] ^= static_cast<char>(1 << bit);
      EXPECT_EQ(keyring.Open("messages", "k", tampered).status().code(),
                absl::StatusCode::kDataLoss)
          << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(SealingTest, ValueBoundToColumnFamilyKeyAndGeneration) {
  Keyring keyring;
  keyring.Add(1, Key('a'));
  keyring.Add(2, Key('a'));  // same key bytes: only the AAD tells them apart
  absl::StatusOr<std::string> sealed = keyring.SealWith(1, "threads", "t1", "x");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(keyring.Open("threads", "t2", *sealed).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(keyring.Open("messages", "t1", *sealed).status().code(), absl::StatusCode::kDataLoss);
  std::string relabelled = *sealed;
  relabelled[4] = 2;  // claim generation 2
  EXPECT_EQ(keyring.Open("threads", "t1", relabelled).status().code(), absl::StatusCode::kDataLoss);
  relabelled[4] = 9;  // unknown generation
  absl::Status unknown = keyring.Open("threads", "t1", relabelled).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(unknown.message(), HasSubstr("unknown data key generation 9"));
}

TEST(SealingTest, DekWrapOpensOnlyUnderItsKekAndGeneration) {
  crypto::SecretBytes kek = Key('k');
  crypto::SecretBytes dek = Key('d');
  absl::StatusOr<std::string> wrapped = WrapDek(kek, 1, dek);
  ASSERT_TRUE(wrapped.ok());
  absl::StatusOr<crypto::SecretBytes> unwrapped = UnwrapDek(kek, 1, *wrapped);
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_TRUE(unwrapped->ConstantTimeEquals(dek));
  absl::Status wrong = UnwrapDek(Key('x'), 1, *wrapped).status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.message(), HasSubstr("wrong KEK"));
  EXPECT_EQ(UnwrapDek(kek, 2, *wrapped).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(UnwrapDek(kek, 1, "short").status().code(), absl::StatusCode::kDataLoss);
}

// ValueOpener (fsck's scans) keeps one keyed context per generation and
// reuses its buffers; it must answer exactly as Keyring::Open, value after
// value, across generations, for every bit flip and every misplaced value.
TEST(SealingTest, ValueOpenerAgreesWithKeyringOpen) {
  Keyring keyring;
  keyring.Add(1, Key('a'));
  keyring.Add(2, Key('b'));
  ValueOpener opener(keyring);
  for (int i = 0; i < 6; ++i) {
    const uint32_t generation = 1 + i % 2;
    const std::string key = "t" + std::to_string(i);
    const std::string plain(static_cast<size_t>(i * 7), static_cast<char>('p' + i));
    absl::StatusOr<std::string> sealed = keyring.SealWith(generation, "threads", key, plain);
    ASSERT_TRUE(sealed.ok());
    absl::StatusOr<std::string_view> opened = opener.Open("threads", key, *sealed);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(*opened, plain);
    EXPECT_EQ(opener.Open("threads", "other", *sealed).status(),
              keyring.Open("threads", "other", *sealed).status());
    EXPECT_EQ(opener.Open("messages", key, *sealed).status(),
              keyring.Open("messages", key, *sealed).status());
  }
  absl::StatusOr<std::string> sealed = keyring.Seal("messages", "k", "payload");
  ASSERT_TRUE(sealed.ok());
  for (size_t byte = 0; byte < sealed->size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string tampered = *sealed;
      tampered[byte] ^= static_cast<char>(1 << bit);
      EXPECT_EQ(opener.Open("messages", "k", tampered).status(),
                keyring.Open("messages", "k", tampered).status())
          << "byte " << byte << " bit " << bit;
    }
  }
  absl::StatusOr<std::string_view> again = opener.Open("messages", "k", *sealed);
  ASSERT_TRUE(again.ok());  // a failure leaves the opener usable
  EXPECT_EQ(*again, "payload");
}

}  // namespace
}  // namespace samrad::storage
