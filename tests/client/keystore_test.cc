// The sealed keystore: round trip, wrong passphrase, damaged and truncated
// files refused, atomic replacement that keeps the old file on failure,
// file mode 0600, rollback guard, key pruning.
#include "client/keystore.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/sealed_file.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace samrad::client {
namespace {

using crypto::SecretBytes;
using testing::TempDir;

// Cheap Argon2 for tests; the format records whatever was used.
constexpr Argon2Params kFast{.time_cost = 1, .memory_kib = 256, .parallelism = 1};

SecretBytes Pass(absl::string_view s) {
  return SecretBytes::FromString(std::string_view(s.data(), s.size()));
}

TEST(SealedFileTest, RoundTripAndHeaderRecordsParams) {
  auto sealed = SealWithPassphrase("SAMRADKS", "secret contents", Pass("pw"), kFast);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->size(), kSealedHeaderLen + 15 + 16);
  auto params = ReadSealedParams("SAMRADKS", *sealed);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->memory_kib, 256u);
  auto opened = OpenWithPassphrase("SAMRADKS", *sealed, Pass("pw"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->view(), "secret contents");
}

TEST(SealedFileTest, WrongPassphraseIsUnauthenticated) {
  auto sealed = SealWithPassphrase("SAMRADKS", "x", Pass("right"), kFast);
  ASSERT_TRUE(sealed.ok());
  auto opened = OpenWithPassphrase("SAMRADKS", *sealed, Pass("wrong"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(SealedFileTest, EveryTruncationAndExtensionIsDataLoss) {
  auto sealed = SealWithPassphrase("SAMRADKS", "contents of some length", Pass("pw"), kFast);
  ASSERT_TRUE(sealed.ok());
  for (size_t len = 0; len < sealed->size(); ++len) {
    auto opened = OpenWithPassphrase("SAMRADKS", sealed->substr(0, len), Pass("pw"));
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << len;
  }
  auto extended = OpenWithPassphrase("SAMRADKS", *sealed + "x", Pass("pw"));
  EXPECT_EQ(extended.status().code(), absl::StatusCode::kDataLoss);
}

TEST(SealedFileTest, EveryBitFlipIsRefused) {
  auto sealed = SealWithPassphrase("SAMRADKS", "abc", Pass("pw"), kFast);
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string damaged = *sealed;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      auto opened = OpenWithPassphrase("SAMRADKS", damaged, Pass("pw"));
      // Damage anywhere is DATA_LOSS, never mistaken for a wrong passphrase.
      EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(SealedFileTest, WrongMagicAndAbsurdParamsAreRefused) {
  auto sealed = SealWithPassphrase("SAMRADKS", "abc", Pass("pw"), kFast);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(OpenWithPassphrase("SAMRADDK", *sealed, Pass("pw")).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(SealWithPassphrase("SAMRADKS", "x", Pass(""), kFast).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SealWithPassphrase("SAMRADKS", "x", Pass("p"), {.time_cost = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeystoreTest, RoundTripKeepsEveryKind) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  auto x = crypto::X25519PrivateKey::Generate();
  auto ed = crypto::Ed25519PrivateKey::Generate();
  {
    auto ks = Keystore::Create(path, Pass("correct horse"), kFast);
    ASSERT_TRUE(ks.ok()) << ks.status();
    (*ks)->AddAdviserKeyPair(x, ed, 1000);
    v1::ThreadKeys* thread = (*ks)->mutable_contents().add_threads();
    thread->set_thread_id("0123456789abcdef0123456789abcdef");
    thread->set_unit("rc-kronoberg");
    thread->mutable_metadata()->set_county("07");
    ASSERT_TRUE((*ks)->ObserveDirectoryEpoch(7).ok());
    (*ks)->RememberSigner("a-1", "rc-kronoberg", ed.public_key().bytes(), 7);
    (*ks)->RememberSigner("a-1", "rc-kronoberg", ed.public_key().bytes(), 8);  // deduplicated
    ASSERT_TRUE((*ks)->Save().ok());
  }
  auto ks = Keystore::Open(path, Pass("correct horse"));
  ASSERT_TRUE(ks.ok()) << ks.status();
  const v1::KeystoreContents& c = (*ks)->contents();
  EXPECT_EQ(c.highest_directory_epoch(), 7u);
  ASSERT_EQ(c.adviser_keys_size(), 1);
  auto current = (*ks)->CurrentAdviserKeys();
  ASSERT_TRUE(current.ok());
  auto restored =
      crypto::X25519PrivateKey::Deserialize(crypto::AsBytes((*current)->encryption_private_key()));
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->public_key(), x.public_key());
  ASSERT_EQ(c.threads_size(), 1);
  EXPECT_EQ(c.threads(0).metadata().county(), "07");
  EXPECT_EQ(c.known_signers_size(), 1);
}

TEST(KeystoreTest, FileIsMode0600AndNeverOverwrittenByCreate) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  ASSERT_TRUE(Keystore::Create(path, Pass("pw"), kFast).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Keystore::Create(path, Pass("other"), kFast).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Keystore::Open(path, Pass("pw")).ok());
}

TEST(KeystoreTest, WrongPassphraseIsAClearKeystoreError) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  ASSERT_TRUE(Keystore::Create(path, Pass("pw"), kFast).ok());
  auto ks = Keystore::Open(path, Pass("pW"));
  ASSERT_FALSE(ks.ok());
  EXPECT_EQ(ks.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ExitCodeOf(ks.status()), ExitCode::kKeystore);
  EXPECT_TRUE(absl::StrContains(ks.status().message(), "passphrase")) << ks.status();
}

TEST(KeystoreTest, DamagedOrTruncatedFileIsRefusedWhole) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  {
    auto ks = Keystore::Create(path, Pass("pw"), kFast);
    ASSERT_TRUE(ks.ok());
    (*ks)->mutable_contents().add_threads()->set_thread_id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    ASSERT_TRUE((*ks)->Save().ok());
  }
  auto good = ReadFileToString(path);
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(WriteFileAtomically(path, good->substr(0, good->size() - 1)).ok());
  auto truncated = Keystore::Open(path, Pass("pw"));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ExitCodeOf(truncated.status()), ExitCode::kKeystore);
  std::string flipped = *good;
  flipped[flipped.size() - 20] ^= 0x10;
  ASSERT_TRUE(WriteFileAtomically(path, flipped).ok());
  auto damaged = Keystore::Open(path, Pass("pw"));
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(damaged.status().message(), "damaged")) << damaged.status();
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(Keystore::Open(path, Pass("pw")).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Keystore::Open(dir.File("absent"), Pass("pw")).status().code(),
            absl::StatusCode::kNotFound);
}

// A real failure in the middle of writing (the file-size limit) must leave
// the old keystore intact and no temporary file behind.
TEST(KeystoreTest, FailedSaveLeavesTheOldFileAndNoTemporary) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  auto ks = Keystore::Create(path, Pass("pw"), kFast);
  ASSERT_TRUE(ks.ok());
  auto before = ReadFileToString(path);
  ASSERT_TRUE(before.ok());
  for (int i = 0; i < 200; ++i) {
    (*ks)->mutable_contents().add_threads()->set_thread_id(std::string(32, 'b'));
  }
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = before->size() + 100;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  absl::Status saved = (*ks)->Save();
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(saved.code(), absl::StatusCode::kResourceExhausted) << saved;
  auto after = ReadFileToString(path);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  std::vector<std::string> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    entries.push_back(entry.path().filename().string());
  }
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"keystore", "keystore.lock"}));
  EXPECT_TRUE(Keystore::Open(path, Pass("pw")).ok());
}

TEST(KeystoreTest, ConcurrentWriterIsRefusedInsteadOfLosingKeys) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  ASSERT_TRUE(Keystore::Create(path, Pass("pw"), kFast).ok());
  auto first = Keystore::Open(path, Pass("pw"));
  auto second = Keystore::Open(path, Pass("pw"));
  ASSERT_TRUE(first.ok() && second.ok());
  (*first)->mutable_contents().add_threads()->set_thread_id(std::string(32, 'a'));
  ASSERT_TRUE((*first)->Save().ok());
  ASSERT_TRUE((*first)->Save().ok());  // its own earlier save is no conflict
  (*second)->mutable_contents().add_threads()->set_thread_id(std::string(32, 'b'));
  absl::Status lost = (*second)->Save();
  EXPECT_EQ(lost.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ExitCodeOf(lost), ExitCode::kConflict);
  auto reread = Keystore::Open(path, Pass("pw"));
  ASSERT_TRUE(reread.ok());
  ASSERT_EQ((*reread)->contents().threads_size(), 1);
  EXPECT_EQ((*reread)->contents().threads(0).thread_id(), std::string(32, 'a'));
}

TEST(KeystoreTest, LowerDirectoryEpochIsRefused) {
  TempDir dir;
  auto ks = Keystore::Create(dir.File("ks"), Pass("pw"), kFast);
  ASSERT_TRUE(ks.ok());
  ASSERT_TRUE((*ks)->ObserveDirectoryEpoch(5).ok());
  ASSERT_TRUE((*ks)->ObserveDirectoryEpoch(5).ok());  // same epoch again is fine
  absl::Status rolled_back = (*ks)->ObserveDirectoryEpoch(4);
  EXPECT_EQ(rolled_back.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeOf(rolled_back), ExitCode::kDirectory);
  EXPECT_EQ((*ks)->contents().highest_directory_epoch(), 5u);
}

TEST(KeystoreTest, FindThreadByUniquePrefix) {
  TempDir dir;
  auto ks = Keystore::Create(dir.File("ks"), Pass("pw"), kFast);
  ASSERT_TRUE(ks.ok());
  (*ks)->mutable_contents().add_threads()->set_thread_id("abcdef0000000000000000000000000a");
  (*ks)->mutable_contents().add_threads()->set_thread_id("abcdef1111111111111111111111111b");
  EXPECT_EQ((*ks)->FindThread("abcdef0").value()->thread_id().back(), 'a');
  EXPECT_EQ((*ks)->FindThread("ABCDEF1").value()->thread_id().back(), 'b');
  EXPECT_EQ((*ks)->FindThread("abcdef").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*ks)->FindThread("abc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*ks)->FindThread("ffffff").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*ks)->RemoveThread("abcdef0000000000000000000000000a"));
  EXPECT_FALSE((*ks)->RemoveThread("abcdef0000000000000000000000000a"));
  EXPECT_TRUE((*ks)->FindThread("abcdef").ok());
}

TEST(KeystoreTest, RotationSupersedesAndPruneDeletesOnlyOldSupersededPairs) {
  TempDir dir;
  auto ks = Keystore::Create(dir.File("ks"), Pass("pw"), kFast);
  ASSERT_TRUE(ks.ok());
  EXPECT_EQ((*ks)->CurrentAdviserKeys().status().code(), absl::StatusCode::kNotFound);
  auto x1 = crypto::X25519PrivateKey::Generate();
  auto e1 = crypto::Ed25519PrivateKey::Generate();
  auto x2 = crypto::X25519PrivateKey::Generate();
  auto e2 = crypto::Ed25519PrivateKey::Generate();
  (*ks)->AddAdviserKeyPair(x1, e1, 1000);
  (*ks)->AddAdviserKeyPair(x2, e2, 5000);
  ASSERT_EQ((*ks)->contents().adviser_keys_size(), 2);
  EXPECT_EQ((*ks)->contents().adviser_keys(0).superseded_at_unix_ms(), 5000);
  EXPECT_EQ((*(*ks)->CurrentAdviserKeys())->created_at_unix_ms(), 5000);
  EXPECT_EQ((*ks)->PruneAdviserKeys(5000), 0);  // superseded at, not before, the cutoff
  EXPECT_EQ((*ks)->PruneAdviserKeys(5001), 1);
  ASSERT_EQ((*ks)->contents().adviser_keys_size(), 1);
  EXPECT_EQ((*ks)->contents().adviser_keys(0).created_at_unix_ms(), 5000);
}

}  // namespace
}  // namespace samrad::client
