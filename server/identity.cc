#include "server/identity.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "server/config.h"

namespace samrad::server {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

std::vector<X509Ptr> ReadPemCertificates(absl::string_view pem) {
  std::vector<X509Ptr> out;
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return out;
}

int64_t Asn1TimeToUnixMs(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string SerialHex(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const int len = ASN1_STRING_length(serial);
  if (len <= 0) return "00";
  return ids::CanonicalSerialFromBytes(std::string_view(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)), static_cast<size_t>(len)));
}

// The samrad:// URIs among the certificate's SANs.
std::vector<std::string> SamradUris(X509* cert) {
  std::vector<std::string> uris;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
    if (absl::StartsWith(value, "samrad://")) uris.push_back(std::move(value));
  }
  GENERAL_NAMES_free(names);
  return uris;
}

struct CaSnapshot {
  std::shared_ptr<X509_STORE> store;
  uint64_t generation = 0;
};

class PeerVerifierImpl final : public PeerVerifier {
 public:
  PeerVerifierImpl(std::string ca_file, int64_t reload_interval_ms, std::function<int64_t()> clock)
      : ca_file_(std::move(ca_file)),
        reload_interval_ms_(reload_interval_ms),
        clock_(std::move(clock)) {}

  absl::Status LoadInitial() {
    struct stat st = {};
    if (stat(ca_file_.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("client CA file ", ca_file_, " does not exist"));
    }
    auto store = LoadStore();
    if (!store.ok()) return store.status();
    std::lock_guard<std::mutex> lock(mu_);
    ca_ = CaSnapshot{*std::move(store), 1};
    ca_mtime_ns_ = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    last_check_ms_ = clock_();
    return absl::OkStatus();
  }

  absl::StatusOr<Identity> Verify(absl::string_view leaf_pem,
                                  absl::string_view chain_pem) override {
    if (leaf_pem.empty()) {
      return absl::UnauthenticatedError(
          "no client certificate was presented; connect with the certificate and key that "
          "samrad-pki.sh (or your CA) issued to you");
    }
    const int64_t now_ms = clock_();
    const CaSnapshot ca = CurrentCa(now_ms);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(leaf_pem);
      if (it != cache_.end() && it->second.generation == ca.generation &&
          now_ms >= it->second.not_before_ms && now_ms < it->second.not_after_ms) {
        return it->second.identity;
      }
    }
    auto verified = VerifyUncached(leaf_pem, chain_pem, ca, now_ms);
    if (!verified.ok()) return verified.status();
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_[std::string(leaf_pem)] = *verified;
    return verified->identity;
  }

 private:
  static constexpr size_t kMaxCacheEntries = 20000;

  struct Verified {
    Identity identity;
    int64_t not_before_ms = 0;
    int64_t not_after_ms = 0;
    uint64_t generation = 0;
  };

  absl::StatusOr<std::shared_ptr<X509_STORE>> LoadStore() {
    auto contents = ReadFileToString(ca_file_);
    if (!contents.ok()) {
      return absl::Status(contents.status().code(),
                          absl::StrCat("client CA file: ", contents.status().message()));
    }
    std::vector<X509Ptr> certs = ReadPemCertificates(*contents);
    if (certs.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("client CA file ", ca_file_, " holds no PEM certificate"));
    }
    std::shared_ptr<X509_STORE> store(X509_STORE_new(), StoreDeleter());
    for (const X509Ptr& cert : certs) {
      if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
        ERR_clear_error();  // duplicates are harmless
      }
    }
    return store;
  }

  // Re-reads the CA file when its mtime changed (checked at most every
  // reload_interval_ms). A file that fails to load keeps the previous CA.
  CaSnapshot CurrentCa(int64_t now_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    if (now_ms - last_check_ms_ < reload_interval_ms_) return ca_;
    last_check_ms_ = now_ms;
    struct stat st = {};
    if (stat(ca_file_.c_str(), &st) != 0) return ca_;
    const int64_t mtime_ns =
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (mtime_ns == ca_mtime_ns_) return ca_;
    auto store = LoadStore();
    if (store.ok()) {
      ca_ = CaSnapshot{*std::move(store), ca_.generation + 1};
      ca_mtime_ns_ = mtime_ns;
      cache_.clear();
    }
    return ca_;
  }

  absl::Status ReloadNow() override {
    struct stat st = {};
    const bool have_stat = stat(ca_file_.c_str(), &st) == 0;
    auto store = LoadStore();
    if (!store.ok()) return store.status();
    std::lock_guard<std::mutex> lock(mu_);
    ca_ = CaSnapshot{*std::move(store), ca_.generation + 1};
    if (have_stat) {
      ca_mtime_ns_ = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    }
    cache_.clear();
    return absl::OkStatus();
  }

  absl::Status VerifyAtHandshake(absl::string_view leaf_pem, absl::string_view chain_pem) override {
    std::vector<X509Ptr> leaf = ReadPemCertificates(leaf_pem);
    if (leaf.size() != 1) {
      return absl::UnauthenticatedError("no client certificate, or one that cannot be parsed");
    }
    return VerifyChain(leaf[0].get(), chain_pem, CurrentCa(clock_()), std::nullopt);
  }

  absl::StatusOr<Identity> VerifyIssued(absl::string_view pem) override {
    std::vector<X509Ptr> certs = ReadPemCertificates(pem);
    if (certs.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate_pem must hold exactly one PEM certificate; it holds ", certs.size()));
    }
    if (absl::Status s = VerifyChain(certs[0].get(), "", CurrentCa(clock_()), std::nullopt);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("certificate_pem: ", s.message()));
    }
    std::vector<std::string> uris = SamradUris(certs[0].get());
    if (uris.size() != 1) {
      return absl::InvalidArgumentError(
          "certificate_pem must carry exactly one SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID");
    }
    auto identity = ParseSamradUri(uris[0]);
    if (!identity.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate_pem: ", identity.status().message()));
    }
    identity->serial_hex = SerialHex(certs[0].get());
    identity->not_after_unix_ms = Asn1TimeToUnixMs(X509_get0_notAfter(certs[0].get()));
    return identity;
  }

  // X509_verify_cert of `leaf` against the CA. `now_ms` set: dates and the
  // clientAuth purpose are checked too; unset: the chain only.
  static absl::Status VerifyChain(X509* leaf, absl::string_view chain_pem, const CaSnapshot& ca,
                                  std::optional<int64_t> now_ms) {
    std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
    for (X509Ptr& c : ReadPemCertificates(chain_pem)) {
      if (X509_cmp(c.get(), leaf) == 0) continue;
      sk_X509_push(untrusted.get(), c.release());
    }
    std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
    if (ctx == nullptr ||
        X509_STORE_CTX_init(ctx.get(), ca.store.get(), leaf, untrusted.get()) != 1) {
      ERR_clear_error();
      return absl::InternalError("could not set up certificate verification");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (now_ms.has_value()) {
      X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
      X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*now_ms / 1000));
    } else {
      X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
    }
    if (X509_verify_cert(ctx.get()) != 1) {
      const int err = X509_STORE_CTX_get_error(ctx.get());
      ERR_clear_error();
      return absl::UnauthenticatedError(VerifyErrorMessage(err, leaf));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Verified> VerifyUncached(absl::string_view leaf_pem, absl::string_view chain_pem,
                                          const CaSnapshot& ca, int64_t now_ms) {
    std::vector<X509Ptr> leaf = ReadPemCertificates(leaf_pem);
    if (leaf.size() != 1) {
      return absl::UnauthenticatedError("the client certificate could not be parsed");
    }
    if (absl::Status s = VerifyChain(leaf[0].get(), chain_pem, ca, now_ms); !s.ok()) return s;
    std::vector<std::string> uris = SamradUris(leaf[0].get());
    if (uris.size() != 1) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the client certificate must carry exactly one SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID; "
          "it carries ",
          uris.size()));
    }
    auto identity = ParseSamradUri(uris[0]);
    if (!identity.ok()) return identity.status();
    identity->serial_hex = SerialHex(leaf[0].get());
    Verified out;
    out.identity = *std::move(identity);
    out.not_before_ms = Asn1TimeToUnixMs(X509_get0_notBefore(leaf[0].get()));
    out.not_after_ms = Asn1TimeToUnixMs(X509_get0_notAfter(leaf[0].get()));
    out.identity.not_after_unix_ms = out.not_after_ms;
    out.generation = ca.generation;
    return out;
  }

  static std::string VerifyErrorMessage(int err, X509* leaf) {
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return absl::StrCat("the client certificate (serial ", SerialHex(leaf),
                            ") has expired; ask your administrator to renew it");
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return absl::StrCat("the client certificate (serial ", SerialHex(leaf),
                            ") is not valid yet; check the clocks");
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "the client certificate was not issued by a CA this relay trusts";
      case X509_V_ERR_INVALID_PURPOSE:
        return "the client certificate is not for client authentication (extendedKeyUsage "
               "clientAuth is missing)";
      default:
        return absl::StrCat("the client certificate does not verify: ",
                            X509_verify_cert_error_string(err));
    }
  }

  const std::string ca_file_;
  const int64_t reload_interval_ms_;
  const std::function<int64_t()> clock_;

  std::mutex mu_;
  CaSnapshot ca_;
  int64_t ca_mtime_ns_ = 0;
  int64_t last_check_ms_ = 0;
  absl::flat_hash_map<std::string, Verified> cache_;
};

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kProfessional:
      return "professional";
    case Role::kAdviser:
      return "adviser";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<Identity> ParseSamradUri(absl::string_view uri) {
  constexpr absl::string_view kPrefix = "samrad://";
  if (!absl::StartsWith(uri, kPrefix)) {
    return absl::UnauthenticatedError("the certificate's SAN URI must start with samrad://");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(uri.substr(kPrefix.size()), '/');
  if (parts.size() != 3) {
    return absl::UnauthenticatedError(
        "the certificate's SAN URI must be samrad://ROLE/UNIT-OR-COUNTY/ID");
  }
  Identity identity;
  identity.uri = std::string(uri);
  if (parts[0] == "professional") {
    identity.role = Role::kProfessional;
    if (!ids::IsCountyCode(parts[1])) {
      return absl::UnauthenticatedError(
          "a professional's certificate must name a county 01..25 (samrad://professional/07/ID)");
    }
  } else if (parts[0] == "adviser" || parts[0] == "admin") {
    identity.role = parts[0] == "adviser" ? Role::kAdviser : Role::kAdmin;
    if (!ids::IsUnitId(parts[1])) {
      return absl::UnauthenticatedError(
          "the certificate's unit must match [a-z0-9-]{1,64} (samrad://adviser/rc-kronoberg/ID)");
    }
  } else {
    return absl::UnauthenticatedError(
        "the certificate's role must be professional, adviser or admin");
  }
  if (!ids::IsClientId(parts[2])) {
    return absl::UnauthenticatedError("the certificate's ID must match [A-Za-z0-9._-]{1,64}");
  }
  identity.scope = std::string(parts[1]);
  identity.id = std::string(parts[2]);
  return identity;
}

absl::StatusOr<std::unique_ptr<PeerVerifier>> PeerVerifier::New(std::string ca_file,
                                                                int64_t reload_interval_ms,
                                                                std::function<int64_t()> clock) {
  auto verifier =
      std::make_unique<PeerVerifierImpl>(std::move(ca_file), reload_interval_ms, std::move(clock));
  if (absl::Status s = verifier->LoadInitial(); !s.ok()) return s;
  return verifier;
}

}  // namespace samrad::server
