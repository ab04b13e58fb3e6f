// Directory key files in every accepted form, and refusals.
#include "tests/bench/key_files.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace samrad::bench {
namespace {

// RFC 8032 test 1 key pair, as openssl writes it.
constexpr char kSeedHex[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char kPublicHex[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kPublicPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";
// The same (public, RFC 8032) seed as PKCS#8 PEM, assembled at run time so
// that no private-key file block is committed: DER prefix for Ed25519, then
// the 32-byte seed.
std::string PrivatePem() {
  const std::string der =
      absl::HexStringToBytes("302e020100300506032b657004220420") + absl::HexStringToBytes(kSeedHex);
  return "-----BEGIN " + std::string("PRIVATE KEY-----\n") + absl::Base64Escape(der) +
         "\n-----END " + std::string("PRIVATE KEY-----\n");
}

TEST(KeyFilesTest, RawHexAndPemPublicKeysDecodeToTheSameBytes) {
  const std::string raw = absl::HexStringToBytes(kPublicHex);
  for (const std::string& form : {raw, std::string(kPublicHex) + "\n", std::string(kPublicPem)}) {
    absl::StatusOr<std::string> key =
        DecodeEd25519KeyFile(form, Ed25519KeyFileKind::kPublic, "--directory-key");
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(*key, raw);
  }
}

TEST(KeyFilesTest, Pkcs8PemYieldsTheSeed) {
  absl::StatusOr<std::string> seed =
      DecodeEd25519KeyFile(PrivatePem(), Ed25519KeyFileKind::kPrivateSeed, "seed");
  ASSERT_TRUE(seed.ok()) << seed.status();
  EXPECT_EQ(*seed, absl::HexStringToBytes(kSeedHex));
}

TEST(KeyFilesTest, PublicPemIsNotAcceptedAsASeed) {
  absl::StatusOr<std::string> seed =
      DecodeEd25519KeyFile(kPublicPem, Ed25519KeyFileKind::kPrivateSeed, "--directory-signing-key");
  EXPECT_EQ(seed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(seed.status().message().find("--directory-signing-key"), std::string::npos);
}

TEST(KeyFilesTest, WrongLengthIsRefusedWithTheSize) {
  absl::StatusOr<std::string> key =
      DecodeEd25519KeyFile(std::string(31, 'x'), Ed25519KeyFileKind::kPublic, "k");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find("31 bytes"), std::string::npos);
}

TEST(KeyFilesTest, PemOfAnotherAlgorithmIsRefused) {
  // An X25519 SubjectPublicKeyInfo (OID 1.3.101.110) of the right length.
  const std::string der =
      std::string("\x30\x2a\x30\x05\x06\x03\x2b\x65\x6e\x03\x21\x00", 12) + std::string(32, '\x01');
  const std::string pem =
      "-----BEGIN PUBLIC KEY-----\n" + absl::Base64Escape(der) + "\n-----END PUBLIC KEY-----\n";
  absl::StatusOr<std::string> key = DecodeEd25519KeyFile(pem, Ed25519KeyFileKind::kPublic, "k");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find("not Ed25519"), std::string::npos);
}

}  // namespace
}  // namespace samrad::bench
