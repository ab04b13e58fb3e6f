// Every public vector file in SAMRAD_VECTORS_DIR, run through the vector
// runner (RFC 9180 HPKE; Wycheproof X25519, Ed25519, HKDF-SHA256, AES-GCM,
// ChaCha20-Poly1305). A test fails when any vector fails. The counts pin
// that every case of the shared files actually ran.
#include <string>

#include "absl/strings/str_join.h"
#include "crypto/hpke.h"
#include "crypto/keys.h"
#include "crypto/vectors/vector_runner.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/vectors.pb.h"
#include "tests/crypto/test_util.h"

namespace samrad::crypto::vectors {
namespace {

using testing::Unhex;

std::string VectorPath(const std::string& name) {
  return std::string(SAMRAD_VECTORS_DIR) + "/" + name;
}

std::string Load(const std::string& name) {
  auto json = ReadVectorFile(VectorPath(name));
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? *json : "";
}

testvectors::WycheproofFile ParseWycheproof(const std::string& json) {
  testvectors::WycheproofFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &file, options).ok());
  return file;
}

VectorReport RunWycheproof(const std::string& name) {
  auto report = RunWycheproofVectors(Load(name));
  EXPECT_TRUE(report.ok()) << report.status();
  if (!report.ok()) return {};
  EXPECT_EQ(report->failed, 0u) << absl::StrJoin(report->failures, "\n");
  return *report;
}

TEST(HpkeRfc9180VectorsTest, EveryEncryptionExportAndKeyScheduleValueMatches) {
  auto report = RunHpkeVectors(Load("hpke_rfc9180.json"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->failed, 0u) << absl::StrJoin(report->failures, "\n");
  // 11 entries: one setup case each (DeriveKeyPair, Encap/Decap, key
  // schedule), 257 encryptions for each of the 8 non-export-only entries,
  // 3 exports each.
  EXPECT_EQ(report->passed, 11u + 8u * 257u + 11u * 3u);
  EXPECT_EQ(report->skipped, 0u);
}

TEST(HpkeRfc9180VectorsTest, RunnerDetectsACorruptedValue) {
  std::string json = Load("hpke_rfc9180.json");
  const size_t pos = json.find("\"exported_value\": \"");
  ASSERT_NE(pos, std::string::npos);
  char& digit = json[pos + 19];
  digit = digit == '0' ? '1' : '0';
  auto report = RunHpkeVectors(json);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->failed, 1u);
}

TEST(WycheproofVectorsTest, X25519AllCasesFollowResultSemantics) {
  VectorReport report = RunWycheproof("wycheproof/x25519_test.json");
  EXPECT_EQ(report.passed, 518u);
  EXPECT_EQ(report.skipped, 0u);
}

// Independently of the runner: every ZeroSharedSecret case is refused by
// Agree and by HPKE (Decap and a full single-shot Open), while the runner
// counts them as passing raw X25519 "acceptable" cases.
TEST(WycheproofVectorsTest, X25519ZeroSharedSecretIsRejectedInAgreeAndHpke) {
  testvectors::WycheproofFile file = ParseWycheproof(Load("wycheproof/x25519_test.json"));
  size_t zero_cases = 0;
  for (const auto& group : file.testgroups()) {
    for (const auto& test : group.tests()) {
      bool zero = false;
      for (const std::string& flag : test.flags()) zero |= flag == "ZeroSharedSecret";
      if (!zero) continue;
      ++zero_cases;
      EXPECT_EQ(test.shared(), std::string(64, '0')) << test.tcid();
      auto key = X25519PrivateKey::FromRaw(AsBytes(Unhex(test.private_value())));
      auto peer = X25519PublicKey::FromBytes(Unhex(test.public_value()));
      ASSERT_TRUE(key.ok() && peer.ok());
      EXPECT_EQ(key->Agree(*peer).status().code(), absl::StatusCode::kInvalidArgument)
          << test.tcid();
      EXPECT_EQ(hpke::Decap(peer->bytes(), *key, nullptr).status().code(),
                absl::StatusCode::kInvalidArgument)
          << test.tcid();
      EXPECT_EQ(hpke::Open(hpke::ReceiverOptions{}, *key, peer->bytes(), "", std::string(48, 'c'))
                    .status()
                    .code(),
                absl::StatusCode::kInvalidArgument)
          << test.tcid();
      EXPECT_EQ(hpke::Seal(hpke::SenderOptions{}, *peer, "", "pt").status().code(),
                absl::StatusCode::kInvalidArgument)
          << test.tcid();
    }
  }
  EXPECT_EQ(zero_cases, 31u);
}

TEST(WycheproofVectorsTest, Ed25519VerifyAllCases) {
  VectorReport report = RunWycheproof("wycheproof/ed25519_test.json");
  EXPECT_EQ(report.passed, 151u);
  EXPECT_EQ(report.skipped, 0u);
}

TEST(WycheproofVectorsTest, HkdfSha256AllCases) {
  VectorReport report = RunWycheproof("wycheproof/hkdf_sha256_test.json");
  EXPECT_EQ(report.passed, 86u);
  EXPECT_EQ(report.skipped, 0u);
}

// Groups are selected by keySize/ivSize/tagSize: 128- and 256-bit keys with
// 96-bit IVs and 128-bit tags run in full and are the only cases counted as
// passed. Every case of the other groups is skipped with a reason; the runner
// still fails one if the API accepts its key or nonce, but a refused length
// proves nothing about the cipher, so "invalid" cases there are not passes.
TEST(WycheproofVectorsTest, AesGcmSupportedGroupsRunAndOthersAreSkippedNotPassed) {
  const std::string json = Load("wycheproof/aes_gcm_test.json");
  testvectors::WycheproofFile file = ParseWycheproof(json);
  size_t supported = 0, elsewhere = 0;
  for (const auto& group : file.testgroups()) {
    const bool runs = (group.keysize() == 128 || group.keysize() == 256) && group.ivsize() == 96 &&
                      group.tagsize() == 128;
    (runs ? supported : elsewhere) += group.tests_size();
  }
  EXPECT_EQ(supported, 40u + 27u + 39u + 27u);  // README: 128/96 and 256/96 groups
  VectorReport report = RunWycheproof("wycheproof/aes_gcm_test.json");
  EXPECT_EQ(report.passed, supported);
  EXPECT_EQ(report.skipped, elsewhere);
  EXPECT_EQ(report.passed + report.skipped, 316u);
  for (const auto& [reason, count] : report.skip_reasons) {
    EXPECT_NE(reason.find("not implemented"), std::string::npos) << reason;
    EXPECT_NE(reason.find("rejected"), std::string::npos) << reason;
  }
}

// The 96-bit-nonce group runs in full; the 9 cases with other nonce sizes are
// refused by the API and skipped, as for AES-GCM above.
TEST(WycheproofVectorsTest, ChaCha20Poly1305AllCasesOfThe96BitNonceGroup) {
  VectorReport report = RunWycheproof("wycheproof/chacha20_poly1305_test.json");
  EXPECT_EQ(report.passed, 316u);
  EXPECT_EQ(report.skipped, 9u);
}

TEST(VectorRunnerTest, ReadsTheOlderEddsaLayoutWithKeyInsteadOfPublicKey) {
  std::string json = Load("wycheproof/ed25519_test.json");
  size_t replaced = 0;
  for (size_t pos = json.find("\"publicKey\": {"); pos != std::string::npos;
       pos = json.find("\"publicKey\": {", pos)) {
    json.replace(pos, 12, "\"key\":");
    ++replaced;
  }
  EXPECT_EQ(replaced, 78u);
  auto report = RunWycheproofVectors(json);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->failed, 0u) << absl::StrJoin(report->failures, "\n");
  EXPECT_EQ(report->passed, 151u);
}

TEST(VectorRunnerTest, UnknownOrMalformedFilesAreErrors) {
  EXPECT_EQ(
      RunWycheproofVectors("{\"algorithm\": \"RSASSA-PSS\", \"testGroups\": []}").status().code(),
      absl::StatusCode::kUnimplemented);
  EXPECT_EQ(RunWycheproofVectors("not json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunWycheproofVectors("{\"algorithm\": \"XDH\", \"testGroups\": []}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunHpkeVectors("{}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunHpkeVectors("[]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadVectorFile(VectorPath("missing.json")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadVectorFile(SAMRAD_VECTORS_DIR).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(VectorRunnerTest, ReportEndsWithTheClosingLine) {
  VectorReport report;
  report.kind = "k";
  report.passed = 3;
  report.failed = 1;
  report.failures.push_back("tcId 1: x");
  const std::string text = FormatReport(report);
  EXPECT_EQ(text.substr(text.rfind('\n', text.size() - 2) + 1), "3 passed, 1 failed\n");
}

}  // namespace
}  // namespace samrad::crypto::vectors
