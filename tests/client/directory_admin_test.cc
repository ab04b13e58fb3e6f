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
  EXPECT_EQ(RemoveAdviser(d, "rc-kronoberg", "a-9").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(RemoveAdviser(d, "rc-kronoberg", "a-1").ok());
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
  auto first = SignWorkspace(workspace_, Pass("dir-pass"), 2000);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = SignWorkspace(workspace_, Pass("dir-pass"), 3000);
  ASSERT_TRUE(second.ok()) << second.status();
  auto v1_dir = crypto::VerifyDirectory(*first, Pinned());
  auto v2_dir = crypto::VerifyDirectory(*second, Pinned());
  ASSERT_TRUE(v1_dir.ok() && v2_dir.ok());
  EXPECT_EQ(v1_dir->epoch(), 1u);
  EXPECT_EQ(v2_dir->epoch(), 2u);
  EXPECT_EQ(v2_dir->issued_at_unix_ms(), 3000);
  EXPECT_EQ(LoadWorkingDirectory(workspace_)->epoch(), 2u);
  EXPECT_EQ(LoadSignedDirectory(workspace_)->SerializeAsString(), second->SerializeAsString());

  auto wrong = SignWorkspace(workspace_, Pass("not it"), 4000);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ExitCodeOf(wrong.status()), ExitCode::kKeystore);
  EXPECT_EQ(LoadWorkingDirectory(workspace_)->epoch(), 2u);  // unchanged
}

TEST_F(DirectoryAdminTest, ClientRefusesForgedAndRolledBackDirectories) {
  auto first = SignWorkspace(workspace_, Pass("dir-pass"), 2000);
  auto second = SignWorkspace(workspace_, Pass("dir-pass"), 3000);
  ASSERT_TRUE(first.ok() && second.ok());
  auto keystore = Keystore::Create(dir_.File("keystore"), Pass("pw"), kFast);
  ASSERT_TRUE(keystore.ok());
  bool changed = false;
  auto accepted = AcceptDirectory(*second, Pinned(), **keystore, &changed);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(changed);
  EXPECT_EQ((*keystore)->contents().highest_directory_epoch(), 2u);

  // The relay serves the older, validly signed directory: refused.
  auto rolled_back = AcceptDirectory(*first, Pinned(), **keystore, &changed);
  EXPECT_EQ(rolled_back.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeOf(rolled_back.status()), ExitCode::kDirectory);
  EXPECT_TRUE(absl::StrContains(rolled_back.status().message(), "rollback"));

  // A directory signed by another key (a relay's own): refused.
  TempDir other;
  DirectoryInitOptions options{
      .out_dir = other.File("d"), .routing_path = kRouting, .argon2 = kFast, .now_unix_ms = 1};
  ASSERT_TRUE(InitDirectoryWorkspace(options, Pass("p")).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(SignWorkspace(other.File("d"), Pass("p"), 5).ok());
  auto forged =
      AcceptDirectory(*LoadSignedDirectory(other.File("d")), Pinned(), **keystore, &changed);
  EXPECT_EQ(forged.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ExitCodeOf(forged.status()), ExitCode::kDirectory);

  // A tampered byte in the signed bytes: refused.
  v1::SignedDirectory tampered = *second;
  tampered.mutable_directory()->back() ^= 1;
  EXPECT_FALSE(AcceptDirectory(tampered, Pinned(), **keystore, &changed).ok());
  EXPECT_EQ((*keystore)->contents().highest_directory_epoch(), 2u);
}

}  // namespace
}  // namespace samrad::client
