// The admin's directory workspace: init from the routing table, edits,
// signing (epochs rise), verification under the pinned key, and the
// client's refusal of a forged or rolled-back directory.
#include "client/directory_admin.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "client/config.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/keystore.h"
#include "client/session.h"
#include "crypto/directory.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace samrad::client {
namespace {

using crypto::SecretBytes;
using testing::TempDir;

constexpr Argon2Params kFast{.time_cost = 1, .memory_kib = 256, .parallelism = 1};
const std::string kRouting = std::string(SAMRAD_SOURCE_DIR) + "/client/testdata/routing.textproto";
// A client clock inside the validity of the directories signed below.
constexpr int64_t kNow = 5000;
const Messages kEnglish(Language::kEnglish);
constexpr int64_t kDay = int64_t{24} * 3600 * 1000;

SecretBytes Pass(const char* s) { return SecretBytes::FromString(s); }

v1::AdviserKeys NewAdviser(const std::string& id) {
  v1::AdviserKeys adviser;
  adviser.set_adviser_id(id);
  adviser.set_encryption_public_key(crypto::X25519PrivateKey::Generate().public_key().bytes());
  adviser.set_signing_public_key(crypto::Ed25519PrivateKey::Generate().public_key().bytes());
  return adviser;
}

class DirectoryAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    workspace_ = dir_.File("directory");
    DirectoryInitOptions options{
        .out_dir = workspace_, .routing_path = kRouting, .argon2 = kFast, .now_unix_ms = 1000};
    auto pub = InitDirectoryWorkspace(options, Pass("dir-pass"));
    ASSERT_TRUE(pub.ok()) << pub.status();
    pub_hex_ = *pub;
  }
  crypto::Ed25519PublicKey Pinned() {
    return *crypto::Ed25519PublicKey::FromBytes(*FromHex(pub_hex_));
  }

  TempDir dir_;
  std::string workspace_;
  std::string pub_hex_;
};

TEST_F(DirectoryAdminTest, InitWritesSealedKeyPublicKeyAndDefaultRouting) {
  struct stat st;
  ASSERT_EQ(::stat((workspace_ + "/" + kDirectoryKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(LoadDirectoryPublicKeyHex(workspace_).value(), pub_hex_);
  auto working = LoadWorkingDirectory(workspace_);
  ASSERT_TRUE(working.ok()) << working.status();
  EXPECT_EQ(working->epoch(), 0u);
  EXPECT_EQ(working->units_size(), 9);
  EXPECT_EQ(working->fallback_unit_id(), "nkt");
  EXPECT_EQ(crypto::RouteCounty(*working, "07").value()->unit_id(), "rc-kronoberg");
  EXPECT_EQ(crypto::RouteCounty(*working, "01").value()->unit_id(), "nkt");
  // Never overwrites a key.
  DirectoryInitOptions again{.out_dir = workspace_, .routing_path = kRouting, .argon2 = kFast};
  EXPECT_EQ(InitDirectoryWorkspace(again, Pass("x")).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(DirectoryAdminTest, EditsKeepTheContentRules) {
  v1::KeyDirectory d = *LoadWorkingDirectory(workspace_);
  EXPECT_EQ(AddUnit(d, "rc-new", "Nytt", {"07"}, false).code(),
            absl::StatusCode::kFailedPrecondition);  // 07 is Kronoberg's
  EXPECT_EQ(AddUnit(d, "Bad Id", "", {}, false).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddUnit(d, "rc-new", "", {"7"}, false).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(AddUnit(d, "rc-stockholm", "Resurscentrum Stockholm", {"01", "03"}, false).ok());
  EXPECT_EQ(crypto::RouteCounty(d, "03").value()->unit_id(), "rc-stockholm");
  EXPECT_EQ(RemoveUnit(d, "nkt").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RemoveUnit(d, "rc-nowhere").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(RemoveUnit(d, "rc-stockholm").ok());

  v1::AdviserKeys a1 = NewAdviser("a-1");
  EXPECT_EQ(AddAdviser(d, "rc-nowhere", a1).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(AddAdviser(d, "rc-kronoberg", a1).ok());
  EXPECT_EQ(AddAdviser(d, "rc-skane", a1).code(), absl::StatusCode::kFailedPrecondition);
  v1::AdviserKeys rotated = NewAdviser("a-1");
  ASSERT_TRUE(AddAdviser(d, "rc-kronoberg", rotated).ok());  // rotation replaces
  const v1::UnitEntry* kronoberg = *crypto::FindUnit(d, "rc-kronoberg");
  ASSERT_EQ(kronoberg->advisers_size(), 1);
  EXPECT_EQ(kronoberg->advisers(0).signing_public_key(), rotated.signing_public_key());
  EXPECT_EQ(RemoveAdviser(d, "rc-kronoberg", "a-9", false).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(RemoveAdviser(d, "rc-kronoberg", "a-1", false).ok());
}

TEST_F(DirectoryAdminTest, BundleRoundTripAndRefusals) {
  v1::AdviserKeys a = NewAdviser("a-12");
  auto parsed = ParseAdviserBundle(FormatAdviserBundle(a));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->SerializeAsString(), a.SerializeAsString());
  EXPECT_EQ(ParseAdviserBundle("{not json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAdviserBundle(R"({"adviserId":"a","signingPublicKey":"AAAA"})").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DirectoryAdminTest, SignRaisesEpochAndVerifiesUnderThePinnedKey) {
  v1::KeyDirectory d = *LoadWorkingDirectory(workspace_);
  ASSERT_TRUE(AddAdviser(d, "rc-kronoberg", NewAdviser("a-1")).ok());
  ASSERT_TRUE(SaveWorkingDirectory(workspace_, d).ok());
  auto first = SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 2000});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 3000});
  ASSERT_TRUE(second.ok()) << second.status();
  auto v1_dir = crypto::VerifyDirectory(*first, Pinned());
  auto v2_dir = crypto::VerifyDirectory(*second, Pinned());
  ASSERT_TRUE(v1_dir.ok() && v2_dir.ok());
  EXPECT_EQ(v1_dir->epoch(), 1u);
  EXPECT_EQ(v2_dir->epoch(), 2u);
  EXPECT_EQ(v2_dir->issued_at_unix_ms(), 3000);
  EXPECT_EQ(LoadWorkingDirectory(workspace_)->epoch(), 2u);
  EXPECT_EQ(LoadSignedDirectory(workspace_)->SerializeAsString(), second->SerializeAsString());

  auto wrong = SignWorkspace(workspace_, Pass("not it"), SignOptions{.now_unix_ms = 4000});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ExitCodeOf(wrong.status()), ExitCode::kKeystore);
  EXPECT_EQ(LoadWorkingDirectory(workspace_)->epoch(), 2u);  // unchanged
}

TEST_F(DirectoryAdminTest, ClientRefusesForgedAndRolledBackDirectories) {
  auto first = SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 2000});
  auto second = SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 3000});
  ASSERT_TRUE(first.ok() && second.ok());
  auto keystore = Keystore::Create(dir_.File("keystore"), Pass("pw"), kFast);
  ASSERT_TRUE(keystore.ok());
  bool changed = false;
  auto accepted = AcceptDirectory(*second, Pinned(), kNow, kEnglish, **keystore, &changed);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(changed);
  EXPECT_EQ((*keystore)->contents().highest_directory_epoch(), 2u);

  // The relay serves the older, validly signed directory: refused.
  auto rolled_back = AcceptDirectory(*first, Pinned(), kNow, kEnglish, **keystore, &changed);
  EXPECT_EQ(rolled_back.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeOf(rolled_back.status()), ExitCode::kDirectory);
  EXPECT_TRUE(absl::StrContains(rolled_back.status().message(), "rollback"));

  // A directory signed by another key (a relay's own): refused.
  TempDir other;
  DirectoryInitOptions options{
      .out_dir = other.File("d"), .routing_path = kRouting, .argon2 = kFast, .now_unix_ms = 1};
  ASSERT_TRUE(InitDirectoryWorkspace(options, Pass("p")).ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(SignWorkspace(other.File("d"), Pass("p"), SignOptions{.now_unix_ms = 5}).ok());
  auto forged = AcceptDirectory(*LoadSignedDirectory(other.File("d")), Pinned(), kNow, kEnglish,
                                **keystore, &changed);
  EXPECT_EQ(forged.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ExitCodeOf(forged.status()), ExitCode::kDirectory);

  // A tampered byte in the signed bytes: refused.
  v1::SignedDirectory tampered = *second;
  tampered.mutable_directory()->back() ^= 1;
  EXPECT_FALSE(AcceptDirectory(tampered, Pinned(), kNow, kEnglish, **keystore, &changed).ok());
  EXPECT_EQ((*keystore)->contents().highest_directory_epoch(), 2u);
}

TEST_F(DirectoryAdminTest, SignedDirectoryExpiresAndRefreshResignsTheSameContent) {
  v1::KeyDirectory d = *LoadWorkingDirectory(workspace_);
  ASSERT_TRUE(AddAdviser(d, "rc-kronoberg", NewAdviser("a-1")).ok());
  ASSERT_TRUE(SaveWorkingDirectory(workspace_, d).ok());
  auto first = SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 2000});
  ASSERT_TRUE(first.ok()) << first.status();
  auto v1_dir = crypto::VerifyDirectory(*first, Pinned());
  ASSERT_TRUE(v1_dir.ok());
  EXPECT_EQ(v1_dir->not_after_unix_ms(), 2000 + 14 * kDay);  // the default

  // An edit not yet signed stays out of a refresh, and stays in the working file.
  v1::KeyDirectory edited = *LoadWorkingDirectory(workspace_);
  ASSERT_TRUE(AddAdviser(edited, "rc-kronoberg", NewAdviser("a-2")).ok());
  ASSERT_TRUE(SaveWorkingDirectory(workspace_, edited).ok());
  auto refreshed = SignWorkspace(
      workspace_, Pass("dir-pass"),
      SignOptions{.now_unix_ms = 20 * kDay, .valid_for_ms = 30 * kDay, .refresh = true});
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  auto v2_dir = crypto::VerifyDirectory(*refreshed, Pinned());
  ASSERT_TRUE(v2_dir.ok());
  EXPECT_EQ(v2_dir->epoch(), 2u);
  EXPECT_EQ(v2_dir->not_after_unix_ms(), 50 * kDay);
  EXPECT_EQ((*crypto::FindUnit(*v2_dir, "rc-kronoberg"))->advisers_size(), 1);
  EXPECT_EQ((*crypto::FindUnit(*LoadWorkingDirectory(workspace_), "rc-kronoberg"))->advisers_size(),
            2);

  // The client refuses the first once it has expired, and names the fix.
  auto keystore = Keystore::Create(dir_.File("keystore"), Pass("pw"), kFast);
  ASSERT_TRUE(keystore.ok());
  bool changed = false;
  auto expired = AcceptDirectory(*first, Pinned(), 15 * kDay, kEnglish, **keystore, &changed);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeOf(expired.status()), ExitCode::kDirectory);
  EXPECT_TRUE(absl::StrContains(expired.status().message(), "expired")) << expired.status();
  EXPECT_TRUE(absl::StrContains(expired.status().message(), "directory refresh"));
  EXPECT_EQ((*keystore)->contents().highest_directory_epoch(), 0u);  // nothing remembered
  EXPECT_TRUE(
      AcceptDirectory(*refreshed, Pinned(), 21 * kDay, kEnglish, **keystore, &changed).ok());

  // Validity out of range is refused before anything is signed.
  for (int64_t valid : {int64_t{0}, 91 * kDay}) {
    auto refused = SignWorkspace(workspace_, Pass("dir-pass"),
                                 SignOptions{.now_unix_ms = 21 * kDay, .valid_for_ms = valid});
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << valid;
  }
  EXPECT_EQ(LoadWorkingDirectory(workspace_)->epoch(), 2u);
}

TEST_F(DirectoryAdminTest, RefreshBeforeTheFirstSignIsRefused) {
  auto refused =
      SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 1, .refresh = true});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeOf(refused.status()), ExitCode::kNotFound);
}

TEST_F(DirectoryAdminTest, RemovingWithRevokeListsTheSigningKeyAsRevoked) {
  v1::KeyDirectory d = *LoadWorkingDirectory(workspace_);
  v1::AdviserKeys lost = NewAdviser("a-1");
  ASSERT_TRUE(AddAdviser(d, "rc-kronoberg", lost).ok());
  ASSERT_TRUE(RemoveAdviser(d, "rc-kronoberg", "a-1", /*revoke_signing_key=*/true).ok());
  ASSERT_EQ(d.revoked_signing_keys_size(), 1);
  EXPECT_EQ(d.revoked_signing_keys(0), lost.signing_public_key());
  EXPECT_TRUE(crypto::IsRevokedSigningKey(d, lost.signing_public_key()));
  // Listing the revoked key again is refused when signing.
  ASSERT_TRUE(AddAdviser(d, "rc-kronoberg", lost).ok());
  ASSERT_TRUE(SaveWorkingDirectory(workspace_, d).ok());
  auto refused = SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 2000});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "revokes")) << refused.status();
}

TEST_F(DirectoryAdminTest, FormatOneDirectoryIsRefusedWithWhatToDo) {
  auto signed_directory =
      SignWorkspace(workspace_, Pass("dir-pass"), SignOptions{.now_unix_ms = 2000});
  ASSERT_TRUE(signed_directory.ok());
  v1::SignedDirectory old = *signed_directory;
  old.clear_version();
  auto refused = crypto::VerifyDirectory(old, Pinned());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "format 1")) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "refresh"));
}

}  // namespace
}  // namespace samrad::client
