// The signed key directory: signing, verification, validation rules and
// routing.
#include "crypto/directory.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace samrad::crypto {
namespace {

v1::AdviserKeys Adviser(std::string id) {
  v1::AdviserKeys adviser;
  adviser.set_adviser_id(std::move(id));
  adviser.set_encryption_public_key(X25519PrivateKey::Generate().public_key().bytes());
  adviser.set_signing_public_key(Ed25519PrivateKey::Generate().public_key().bytes());
  return adviser;
}

v1::KeyDirectory TestDirectory() {
  v1::KeyDirectory directory;
  directory.set_epoch(3);
  directory.set_issued_at_unix_ms(1700000000000);
  directory.set_not_after_unix_ms(1700000000000 + kDefaultDirectoryValidityMs);
  v1::UnitEntry* kronoberg = directory.add_units();
  kronoberg->set_unit_id("rc-kronoberg");
  kronoberg->set_display_name("Resurscentrum Kronoberg");
  kronoberg->add_counties("07");
  *kronoberg->add_advisers() = Adviser("a-1");
  *kronoberg->add_advisers() = Adviser("a-2");
  v1::UnitEntry* skane = directory.add_units();
  skane->set_unit_id("rc-skane");
  skane->add_counties("12");
  *skane->add_advisers() = Adviser("a-1");  // ids are unique per unit only
  v1::UnitEntry* nkt = directory.add_units();
  nkt->set_unit_id("nkt");
  nkt->add_counties("05");
  directory.set_fallback_unit_id("nkt");
  return directory;
}

class DirectoryTest : public ::testing::Test {
 protected:
  Ed25519PrivateKey key_ = Ed25519PrivateKey::Generate();
};

TEST_F(DirectoryTest, SignedDirectoryVerifiesAndParsesBack) {
  const v1::KeyDirectory directory = TestDirectory();
  auto signed_directory = SignDirectory(directory, key_);
  ASSERT_TRUE(signed_directory.ok()) << signed_directory.status();
  auto verified = VerifyDirectory(*signed_directory, key_.public_key());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->SerializeAsString(), directory.SerializeAsString());
  // The signature is over the label and the exact directory bytes.
  EXPECT_TRUE(key_.public_key()
                  .Verify(absl::StrCat("samrad-directory-v2", signed_directory->directory()),
                          signed_directory->signature())
                  .ok());
}

TEST_F(DirectoryTest, SigningIsDeterministic) {
  v1::KeyDirectory directory = TestDirectory();
  auto a = SignDirectory(directory, key_);
  auto b = SignDirectory(directory, key_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString());
}

TEST_F(DirectoryTest, BadSignatureIsPermissionDenied) {
  auto signed_directory = SignDirectory(TestDirectory(), key_);
  ASSERT_TRUE(signed_directory.ok());
  for (size_t i = 0; i < signed_directory->signature().size(); i += 7) {
    v1::SignedDirectory bad = *signed_directory;
    (*bad.mutable_signature())[i] ^= 1;
    EXPECT_EQ(VerifyDirectory(bad, key_.public_key()).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  for (size_t i = 0; i < signed_directory->directory().size(); ++i) {
    v1::SignedDirectory bad = *signed_directory;
    (*bad.mutable_directory())[i] ^= 1;
    EXPECT_EQ(VerifyDirectory(bad, key_.public_key()).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  v1::SignedDirectory truncated = *signed_directory;
  truncated.mutable_signature()->resize(63);
  EXPECT_EQ(VerifyDirectory(truncated, key_.public_key()).status().code(),
            absl::StatusCode::kPermissionDenied);
  Ed25519PrivateKey relay_key = Ed25519PrivateKey::Generate();
  auto forged = SignDirectory(TestDirectory(), relay_key);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(VerifyDirectory(*forged, key_.public_key()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(DirectoryTest, ValidlySignedButMalformedContentIsInvalidArgument) {
  v1::SignedDirectory garbage;
  garbage.set_directory("\xff\xff\xff");
  garbage.set_signature(key_.Sign(absl::StrCat("samrad-directory-v1", garbage.directory())));
  EXPECT_EQ(VerifyDirectory(garbage, key_.public_key()).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::KeyDirectory invalid = TestDirectory();
  invalid.set_fallback_unit_id("nowhere");
  v1::SignedDirectory signed_invalid;
  signed_invalid.set_directory(invalid.SerializeAsString());
  signed_invalid.set_signature(
      key_.Sign(absl::StrCat("samrad-directory-v1", signed_invalid.directory())));
  EXPECT_EQ(VerifyDirectory(signed_invalid, key_.public_key()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DirectoryTest, LowerEpochIsTheCallersCheck) {
  // VerifyDirectory keeps no state: an older directory still verifies and
  // reports its epoch, which the client compares with the highest it saw.
  v1::KeyDirectory newer = TestDirectory();
  newer.set_epoch(5);
  v1::KeyDirectory older = TestDirectory();
  older.set_epoch(4);
  auto signed_newer = SignDirectory(newer, key_);
  auto signed_older = SignDirectory(older, key_);
  ASSERT_TRUE(signed_newer.ok() && signed_older.ok());
  auto a = VerifyDirectory(*signed_newer, key_.public_key());
  auto b = VerifyDirectory(*signed_older, key_.public_key());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT(b->epoch(), a->epoch());
}

TEST(ValidateDirectoryTest, AcceptsTheTestDirectory) {
  EXPECT_TRUE(ValidateDirectory(TestDirectory()).ok());
}

TEST(ValidateDirectoryTest, RejectsEachBrokenRule) {
  std::vector<v1::KeyDirectory> bad(12, TestDirectory());
  bad[0].set_epoch(0);
  bad[1].mutable_units(0)->set_unit_id("");
  bad[2].mutable_units(0)->set_unit_id("RC Kronoberg");
  bad[3].mutable_units(1)->set_unit_id("rc-kronoberg");        // duplicate
  bad[4].mutable_units(0)->add_counties("11");                 // no such län
  bad[5].mutable_units(0)->add_counties(std::string(1, '7'));  // one digit
  bad[6].mutable_units(1)->add_counties("07");                 // county in two units
  bad[7].mutable_units(0)->mutable_advisers(1)->set_adviser_id("a-1");
  bad[8].mutable_units(0)->mutable_advisers(0)->set_encryption_public_key("short");
  bad[9].mutable_units(0)->mutable_advisers(0)->set_signing_public_key(std::string(33, 'k'));
  bad[10].set_fallback_unit_id("");
  bad[11].mutable_units(0)->mutable_advisers(0)->set_adviser_id("");
  for (size_t i = 0; i < bad.size(); ++i) {
    absl::Status status = ValidateDirectory(bad[i]);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << "case " << i;
    EXPECT_FALSE(status.message().empty());
  }
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  EXPECT_EQ(SignDirectory(bad[0], key).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RouteCountyTest, RoutesByCatchmentElseFallback) {
  v1::KeyDirectory directory = TestDirectory();
  auto kronoberg = RouteCounty(directory, "07");
  ASSERT_TRUE(kronoberg.ok());
  EXPECT_EQ((*kronoberg)->unit_id(), "rc-kronoberg");
  auto skane = RouteCounty(directory, "12");
  ASSERT_TRUE(skane.ok());
  EXPECT_EQ((*skane)->unit_id(), "rc-skane");
  auto fallback = RouteCounty(directory, "25");
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ((*fallback)->unit_id(), "nkt");
  directory.set_fallback_unit_id("gone");
  EXPECT_EQ(RouteCounty(directory, "25").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(RouteCounty(directory, "07").ok());
}

// Issue 15 item 7: a county whose unit lists no adviser goes to the fallback
// unit (NKT); a staffed unit keeps its counties.
TEST(RouteNewCaseTest, UnitWithoutAdvisersFallsBackToTheNationalTeam) {
  v1::KeyDirectory directory = TestDirectory();
  *directory.mutable_units(2)->add_advisers() = Adviser("n-1");  // nkt staffed
  EXPECT_EQ(RouteNewCase(directory, "07").value()->unit_id(), "rc-kronoberg");
  EXPECT_EQ(RouteNewCase(directory, "12").value()->unit_id(), "rc-skane");
  EXPECT_EQ(RouteNewCase(directory, "25").value()->unit_id(), "nkt");
  directory.mutable_units(1)->clear_advisers();  // rc-skane has nobody yet
  EXPECT_EQ(RouteNewCase(directory, "12").value()->unit_id(), "nkt");
  EXPECT_EQ(RouteCounty(directory, "12").value()->unit_id(), "rc-skane");  // the catchment stays
  EXPECT_EQ(RouteNewCase(directory, "07").value()->unit_id(), "rc-kronoberg");
  // Without a fallback unit the unstaffed unit is all there is (the client
  // then refuses to seal: nobody could read it).
  directory.set_fallback_unit_id("gone");
  EXPECT_EQ(RouteNewCase(directory, "12").value()->unit_id(), "rc-skane");
}

TEST(FindUnitTest, FindsByIdOrNotFound) {
  v1::KeyDirectory directory = TestDirectory();
  auto unit = FindUnit(directory, "rc-skane");
  ASSERT_TRUE(unit.ok());
  EXPECT_EQ((*unit)->counties(0), "12");
  EXPECT_EQ(FindUnit(directory, "rc-gotland").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad::crypto
