// The profile: where it lives, what makes it valid, how it round-trips.
#include "client/config.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace samrad::client {
namespace {

v1::ClientProfile ValidProfile() {
  v1::ClientProfile p;
  p.set_relay_address("relay.example.se:7443");
  p.set_client_cert_path("/c.pem");
  p.set_client_key_path("/k.pem");
  p.set_ca_cert_path("/ca.pem");
  p.set_directory_public_key_hex(std::string(64, 'a'));
  p.set_keystore_path("/ks");
  return p;
}

TEST(ConfigTest, ProfilePathPrecedence) {
  EXPECT_EQ(ResolveProfilePath("/flag", "/env", "/xdg", "/home").value(), "/flag");
  EXPECT_EQ(ResolveProfilePath("", "/env", "/xdg", "/home").value(), "/env");
  EXPECT_EQ(ResolveProfilePath("", "", "/xdg", "/home").value(), "/xdg/samrad/config");
  EXPECT_EQ(ResolveProfilePath("", "", "", "/home").value(), "/home/.config/samrad/config");
  auto none = ResolveProfilePath("", "", "", "");
  EXPECT_EQ(ExitCodeOf(none.status()), ExitCode::kConfig);
}

TEST(ConfigTest, ValidationNamesTheField) {
  EXPECT_TRUE(ValidateProfile(ValidProfile()).ok());
  for (const char* address : {"relay", ":7443", "relay:0", "relay:99999", "relay:x"}) {
    v1::ClientProfile p = ValidProfile();
    p.set_relay_address(address);
    absl::Status s = ValidateProfile(p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_TRUE(absl::StrContains(s.message(), "relay_address")) << s;
  }
  v1::ClientProfile p = ValidProfile();
  p.set_directory_public_key_hex(std::string(63, 'a'));
  EXPECT_TRUE(absl::StrContains(ValidateProfile(p).message(), "directory_public_key_hex"));
  p = ValidProfile();
  p.clear_keystore_path();
  EXPECT_TRUE(absl::StrContains(ValidateProfile(p).message(), "keystore_path"));
}

TEST(ConfigTest, SaveLoadRoundTripMode0600AndRefusals) {
  testing::TempDir dir;
  const std::string path = dir.File("sub/dir/config");
  ASSERT_TRUE(SaveProfile(path, ValidProfile()).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = LoadProfile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->SerializeAsString(), ValidProfile().SerializeAsString());

  EXPECT_EQ(ExitCodeOf(LoadProfile(dir.File("none")).status()), ExitCode::kConfig);
  ASSERT_TRUE(WriteFileAtomically(dir.File("garbage"), "relay_address: {").ok());
  auto garbage = LoadProfile(dir.File("garbage"));
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExitCodeOf(garbage.status()), ExitCode::kConfig);
  EXPECT_TRUE(absl::StrContains(garbage.status().message(), "line 1 column 16"))
      << garbage.status();
}

TEST(ConfigTest, HexAndDirectoryKeyArgument) {
  EXPECT_EQ(ToHex("\x01\xab"), "01ab");
  EXPECT_EQ(FromHex("01AB").value(), "\x01\xab");
  EXPECT_FALSE(FromHex("0").ok());
  EXPECT_FALSE(FromHex("zz").ok());
  const std::string upper(64, 'A');
  EXPECT_EQ(ReadDirectoryPublicKeyArgument(upper).value(), std::string(64, 'a'));
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("directory.pub"), std::string(64, 'b') + "\n").ok());
  EXPECT_EQ(ReadDirectoryPublicKeyArgument(dir.File("directory.pub")).value(),
            std::string(64, 'b'));
  EXPECT_EQ(ReadDirectoryPublicKeyArgument("abcd").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace samrad::client
