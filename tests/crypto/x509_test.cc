// crypto/x509: parsing, dates, the samrad:// identity, serial forms, chain
// verification (issued-by, tampered signature, expired, purpose) and TLS key
// pairs, on certificates made here with OpenSSL's API (a CA, leaves signed by
// it, a second CA that is not trusted).
#include "crypto/x509.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "common/ids.h"
#include "gtest/gtest.h"

namespace samrad::crypto::x509 {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15, the tests' "now" (seconds)

Key NewKey() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }

struct CertSpec {
  std::string common_name = "leaf";
  std::vector<std::string> uris;            // SAN URIs
  std::vector<unsigned char> serial = {1};  // big-endian magnitude
  int64_t not_before = kNow - kDay;
  int64_t not_after = kNow + 30 * kDay;
  bool ca = false;
  bool client_auth = true;
};

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` signed by `issuer_key` (self-signed when `issuer`
// is null).
Cert MakeCert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  BIGNUM* bn = BN_bin2bn(spec.serial.data(), static_cast<int>(spec.serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(spec.not_after));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (spec.ca) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert.get(), signer, NID_ext_key_usage,
                 spec.client_auth ? "clientAuth" : "serverAuth");
  }
  std::string san;
  for (const std::string& uri : spec.uris) san += (san.empty() ? "URI:" : ",URI:") + uri;
  if (!san.empty()) AddExtension(cert.get(), signer, NID_subject_alt_name, san);
  EXPECT_GT(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, nullptr), 0);
  return cert;
}

std::string Pem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

class X509Test : public ::testing::Test {
 protected:
  X509Test() {
    CertSpec ca_spec;
    ca_spec.common_name = "Samråd test CA";
    ca_spec.ca = true;
    ca_spec.not_before = kNow - 365 * kDay;
    ca_spec.not_after = kNow + 365 * kDay;
    ca_cert_ = MakeCert(ca_spec, ca_key_.get(), nullptr, nullptr);
    ca_spec.common_name = "Another CA";
    other_ca_cert_ = MakeCert(ca_spec, other_ca_key_.get(), nullptr, nullptr);
  }

  // A leaf for a fresh key signed by the CA (or by the other CA).
  std::string Leaf(const CertSpec& spec, bool by_other_ca = false) {
    Key key = NewKey();
    Cert cert = by_other_ca ? MakeCert(spec, key.get(), other_ca_cert_.get(), other_ca_key_.get())
                            : MakeCert(spec, key.get(), ca_cert_.get(), ca_key_.get());
    return Pem(cert.get());
  }

  TrustStore Trusted() {
    absl::StatusOr<TrustStore> store = TrustStore::FromPem(Pem(ca_cert_.get()));
    EXPECT_TRUE(store.ok()) << store.status();
    return *std::move(store);
  }

  ChainCheck VerifyAt(const std::string& leaf_pem, std::optional<int64_t> at_seconds) {
    absl::StatusOr<Certificate> leaf = Certificate::FromPem(leaf_pem);
    EXPECT_TRUE(leaf.ok()) << leaf.status();
    if (!leaf.ok()) return {ChainProblem::kOther, "unparsable"};
    std::optional<int64_t> at_ms;
    if (at_seconds.has_value()) at_ms = *at_seconds * 1000;
    return Trusted().Verify(*leaf, {}, at_ms);
  }

  Key ca_key_ = NewKey();
  Key other_ca_key_ = NewKey();
  Cert ca_cert_;
  Cert other_ca_cert_;
};

TEST_F(X509Test, ParsesDatesSerialAndTheSamradUri) {
  CertSpec spec;
  spec.uris = {"https://example.org/not-ours", "samrad://adviser/rc-kronoberg/a-1"};
  spec.serial = {0x09, 0xbe, 0x01};
  absl::StatusOr<Certificate> cert = Certificate::FromPem(Leaf(spec));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->not_before_unix_ms(), (kNow - kDay) * 1000);
  EXPECT_EQ(cert->not_after_unix_ms(), (kNow + 30 * kDay) * 1000);
  EXPECT_EQ(cert->SerialHex(), "09BE01");
  EXPECT_EQ(cert->SamradUris(), std::vector<std::string>{"samrad://adviser/rc-kronoberg/a-1"});
  absl::StatusOr<SamradName> name = ParseSamradUri(cert->SamradUris()[0]);
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->role, Role::kAdviser);
  EXPECT_EQ(RoleName(name->role), "adviser");
  EXPECT_EQ(name->scope, "rc-kronoberg");
  EXPECT_EQ(name->id, "a-1");
}

TEST_F(X509Test, NoCertificateIsInvalidArgument) {
  for (const char* pem : {"", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n"}) {
    EXPECT_EQ(Certificate::FromPem(pem).status().code(), absl::StatusCode::kInvalidArgument) << pem;
    EXPECT_TRUE(Certificate::AllFromPem(pem).empty());
  }
  EXPECT_EQ(TrustStore::FromPem("nothing").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(X509Test, AllFromPemReadsEveryCertificateInOrder) {
  CertSpec a, b;
  a.serial = {0x0a};
  b.serial = {0x0b};
  std::vector<Certificate> certs = Certificate::AllFromPem(Leaf(a) + Leaf(b));
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs[0].SerialHex(), "0A");
  EXPECT_EQ(certs[1].SerialHex(), "0B");
  EXPECT_FALSE(certs[0].SameAs(certs[1]));
  EXPECT_TRUE(certs[0].SameAs(certs[0]));
}

// The serial read from a certificate equals what a person types in any of
// the forms tools print, so a revocation by serial matches the certificate.
TEST_F(X509Test, SerialFormsAgreeWithCanonicalSerial) {
  struct Case {
    std::vector<unsigned char> bytes;
    std::string expected;
    std::vector<std::string> typed;
  };
  const std::vector<Case> cases = {
      {{0x00, 0x00, 0x9b, 0xe0}, "9BE0", {"9be0", "00:00:9B:E0", "0x009BE0", "serial=9BE0"}},
      {{0xff, 0x01}, "FF01", {"ff:01", "00FF01", "FF 01"}},
      {{0x7f}, "7F", {"7f", "0x7F"}},
      {{0x00}, "00", {"0", "00", "00:00"}},
  };
  for (const Case& c : cases) {
    CertSpec spec;
    spec.serial = c.bytes;
    absl::StatusOr<Certificate> cert = Certificate::FromPem(Leaf(spec));
    ASSERT_TRUE(cert.ok()) << cert.status();
    EXPECT_EQ(cert->SerialHex(), c.expected);
    for (const std::string& typed : c.typed) {
      absl::StatusOr<std::string> canonical = ids::CanonicalSerial(typed);
      ASSERT_TRUE(canonical.ok()) << typed << ": " << canonical.status();
      EXPECT_EQ(*canonical, cert->SerialHex()) << typed;
    }
  }
}

TEST_F(X509Test, SamradUriRules) {
  auto pro = ParseSamradUri("samrad://professional/07/p-3f9a");
  ASSERT_TRUE(pro.ok()) << pro.status();
  EXPECT_EQ(pro->role, Role::kProfessional);
  EXPECT_EQ(pro->scope, "07");
  auto admin = ParseSamradUri("samrad://admin/national/ops-1");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->role, Role::kAdmin);
  EXPECT_EQ(admin->scope, "national");
  for (const char* bad :
       {"https://professional/07/p", "samrad://professional/07", "samrad://professional/02/p",
        "samrad://professional/26/p", "samrad://root/x/y", "samrad://adviser/RC/a",
        "samrad://adviser/rc/a b", "samrad://adviser/rc/a/extra", "samrad://adviser//a"}) {
    absl::StatusOr<SamradName> name = ParseSamradUri(bad);
    EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(name.status().message().empty()) << bad;
  }
}

TEST_F(X509Test, IssuedByTheTrustedCaVerifies) {
  CertSpec spec;
  spec.uris = {"samrad://professional/07/p-1"};
  const std::string leaf = Leaf(spec);
  EXPECT_TRUE(VerifyAt(leaf, kNow).ok()) << VerifyAt(leaf, kNow).reason;
  EXPECT_TRUE(VerifyAt(leaf, std::nullopt).ok());
}

TEST_F(X509Test, IssuedByAnotherCaIsRefused) {
  CertSpec spec;
  const std::string foreign = Leaf(spec, /*by_other_ca=*/true);
  EXPECT_EQ(VerifyAt(foreign, kNow).problem, ChainProblem::kUntrustedIssuer);
  EXPECT_EQ(VerifyAt(foreign, std::nullopt).problem, ChainProblem::kUntrustedIssuer);
  // A self-signed certificate is not issued by the CA either.
  Key key = NewKey();
  Cert self = MakeCert(spec, key.get(), nullptr, nullptr);
  EXPECT_EQ(VerifyAt(Pem(self.get()), kNow).problem, ChainProblem::kUntrustedIssuer);
}

TEST_F(X509Test, TamperedSignatureIsRefused) {
  CertSpec spec;
  spec.uris = {"samrad://professional/07/p-1"};
  Key key = NewKey();
  Cert cert = MakeCert(spec, key.get(), ca_cert_.get(), ca_key_.get());
  // Flip one bit of the signature.
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, cert.get());
  ASSERT_NE(signature, nullptr);
  const_cast<unsigned char*>(ASN1_STRING_get0_data(signature))[3] ^= 0x01;
  const std::string pem = Pem(cert.get());
  const ChainCheck at_now = VerifyAt(pem, kNow);
  EXPECT_FALSE(at_now.ok());
  EXPECT_NE(at_now.problem, ChainProblem::kNone);
  EXPECT_FALSE(VerifyAt(pem, std::nullopt).ok());
}

TEST_F(X509Test, TamperedContentIsRefused) {
  // The CA's signature over a certificate whose subject was changed after
  // signing ("leaf" -> "lEaf" in the DER encoding).
  CertSpec spec;
  Key key = NewKey();
  Cert cert = MakeCert(spec, key.get(), ca_cert_.get(), ca_key_.get());
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  ASSERT_GT(len, 0);
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  const size_t at = bytes.find("leaf");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = 'E';
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  Cert tampered(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
  ASSERT_NE(tampered, nullptr);
  EXPECT_FALSE(VerifyAt(Pem(tampered.get()), kNow).ok());
  EXPECT_FALSE(VerifyAt(Pem(tampered.get()), std::nullopt).ok());
  EXPECT_TRUE(VerifyAt(Pem(cert.get()), kNow).ok());
}

TEST_F(X509Test, ExpiredAndNotYetValidAreRefusedAtTheCheckTime) {
  CertSpec expired;
  expired.not_before = kNow - 60 * kDay;
  expired.not_after = kNow - kDay;
  const std::string old = Leaf(expired);
  EXPECT_EQ(VerifyAt(old, kNow).problem, ChainProblem::kExpired);
  // Without a check time an expired certificate was still issued by the CA.
  EXPECT_TRUE(VerifyAt(old, std::nullopt).ok());
  EXPECT_TRUE(VerifyAt(old, kNow - 2 * kDay).ok());

  CertSpec future;
  future.not_before = kNow + kDay;
  future.not_after = kNow + 60 * kDay;
  EXPECT_EQ(VerifyAt(Leaf(future), kNow).problem, ChainProblem::kNotYetValid);
}

TEST_F(X509Test, ServerAuthOnlyIsNotForClients) {
  CertSpec spec;
  spec.client_auth = false;
  const std::string leaf = Leaf(spec);
  EXPECT_EQ(VerifyAt(leaf, kNow).problem, ChainProblem::kNotClientAuth);
  EXPECT_TRUE(VerifyAt(leaf, std::nullopt).ok());
}

TEST_F(X509Test, KeyPairs) {
  CertSpec spec;
  Key key = NewKey();
  Key other = NewKey();
  Cert cert = MakeCert(spec, key.get(), ca_cert_.get(), ca_key_.get());
  const std::string cert_pem = Pem(cert.get());
  EXPECT_EQ(CheckKeyPair(cert_pem, KeyPem(key.get())), KeyPairProblem::kNone);
  EXPECT_EQ(CheckKeyPair(cert_pem, KeyPem(other.get())), KeyPairProblem::kMismatch);
  EXPECT_EQ(CheckKeyPair(cert_pem, "no key"), KeyPairProblem::kNoKey);
  EXPECT_EQ(CheckKeyPair("no cert", KeyPem(key.get())), KeyPairProblem::kNoCertificate);
}

}  // namespace
}  // namespace samrad::crypto::x509
