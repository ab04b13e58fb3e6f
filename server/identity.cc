#include "server/identity.h"

#include <sys/stat.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "crypto/x509.h"
#include "server/config.h"

namespace samrad::server {
namespace {

using crypto::x509::Certificate;
using crypto::x509::ChainCheck;
using crypto::x509::ChainProblem;
using crypto::x509::TrustStore;

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// The CA in use: its trust store (shared, immutable) and a generation that
// changes whenever it is reloaded (cache entries of older ones are stale).
struct CaSnapshot {
  std::optional<TrustStore> store;
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
    SAMRAD_ASSIGN_OR_RETURN(TrustStore store, LoadStore());
    MutexLock lock(mu_);
    ca_ = CaSnapshot{std::move(store), 1};
    ca_mtime_ns_ = MtimeNs(st);
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
      MutexLock lock(mu_);
      auto it = cache_.find(leaf_pem);
      if (it != cache_.end() && it->second.generation == ca.generation &&
          now_ms >= it->second.not_before_ms && now_ms < it->second.not_after_ms) {
        return it->second.identity;
      }
    }
    SAMRAD_ASSIGN_OR_RETURN(Verified verified, VerifyUncached(leaf_pem, chain_pem, ca, now_ms));
    MutexLock lock(mu_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_[std::string(leaf_pem)] = verified;
    return verified.identity;
  }

 private:
  static constexpr size_t kMaxCacheEntries = 20000;

  struct Verified {
    Identity identity;
    int64_t not_before_ms = 0;
    int64_t not_after_ms = 0;
    uint64_t generation = 0;
  };

  absl::StatusOr<TrustStore> LoadStore() {
    auto contents = ReadFileToString(ca_file_);
    if (!contents.ok()) {
      return absl::Status(contents.status().code(),
                          absl::StrCat("client CA file: ", contents.status().message()));
    }
    absl::StatusOr<TrustStore> store = TrustStore::FromPem(*contents);
    if (!store.ok()) {
      return absl::Status(store.status().code(),
                          absl::StrCat("client CA file ", ca_file_, " ", store.status().message()));
    }
    return store;
  }

  // Re-reads the CA file when its mtime changed (checked at most every
  // reload_interval_ms). A file that fails to load keeps the previous CA.
  CaSnapshot CurrentCa(int64_t now_ms) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(mu_);
    if (now_ms - last_check_ms_ < reload_interval_ms_) return ca_;
    last_check_ms_ = now_ms;
    struct stat st = {};
    if (stat(ca_file_.c_str(), &st) != 0) return ca_;
    if (MtimeNs(st) == ca_mtime_ns_) return ca_;
    auto store = LoadStore();
    if (store.ok()) {
      ca_ = CaSnapshot{*std::move(store), ca_.generation + 1};
      ca_mtime_ns_ = MtimeNs(st);
      cache_.clear();
    }
    return ca_;
  }

  absl::Status ReloadNow() override {
    struct stat st = {};
    const bool have_stat = stat(ca_file_.c_str(), &st) == 0;
    SAMRAD_ASSIGN_OR_RETURN(TrustStore store, LoadStore());
    MutexLock lock(mu_);
    ca_ = CaSnapshot{std::move(store), ca_.generation + 1};
    if (have_stat) ca_mtime_ns_ = MtimeNs(st);
    cache_.clear();
    return absl::OkStatus();
  }

  absl::Status VerifyAtHandshake(absl::string_view leaf_pem, absl::string_view chain_pem) override {
    std::vector<Certificate> leaf = Certificate::AllFromPem(leaf_pem);
    if (leaf.size() != 1) {
      return absl::UnauthenticatedError("no client certificate, or one that cannot be parsed");
    }
    return VerifyChain(leaf[0], chain_pem, CurrentCa(clock_()), std::nullopt);
  }

  absl::StatusOr<Identity> VerifyIssued(absl::string_view pem) override {
    std::vector<Certificate> certs = Certificate::AllFromPem(pem);
    if (certs.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate_pem must hold exactly one PEM certificate; it holds ", certs.size()));
    }
    if (absl::Status s = VerifyChain(certs[0], "", CurrentCa(clock_()), std::nullopt); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("certificate_pem: ", s.message()));
    }
    std::vector<std::string> uris = certs[0].SamradUris();
    if (uris.size() != 1) {
      return absl::InvalidArgumentError(
          "certificate_pem must carry exactly one SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID");
    }
    auto identity = ParseSamradUri(uris[0]);
    if (!identity.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate_pem: ", identity.status().message()));
    }
    identity->serial_hex = certs[0].SerialHex();
    identity->not_after_unix_ms = certs[0].not_after_unix_ms();
    return identity;
  }

  // `leaf` against the CA. `now_ms` set: dates and the clientAuth purpose are
  // checked too; unset: the chain only. UNAUTHENTICATED saying why.
  static absl::Status VerifyChain(const Certificate& leaf, absl::string_view chain_pem,
                                  const CaSnapshot& ca, std::optional<int64_t> now_ms) {
    if (!ca.store.has_value()) return absl::InternalError("no client CA is loaded");
    const ChainCheck check = ca.store->Verify(leaf, Certificate::AllFromPem(chain_pem), now_ms);
    if (check.ok()) return absl::OkStatus();
    return absl::UnauthenticatedError(VerifyErrorMessage(check, leaf));
  }

  absl::StatusOr<Verified> VerifyUncached(absl::string_view leaf_pem, absl::string_view chain_pem,
                                          const CaSnapshot& ca, int64_t now_ms) {
    std::vector<Certificate> leaf = Certificate::AllFromPem(leaf_pem);
    if (leaf.size() != 1) {
      return absl::UnauthenticatedError("the client certificate could not be parsed");
    }
    SAMRAD_RETURN_IF_ERROR(VerifyChain(leaf[0], chain_pem, ca, now_ms));
    std::vector<std::string> uris = leaf[0].SamradUris();
    if (uris.size() != 1) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the client certificate must carry exactly one SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID; "
          "it carries ",
          uris.size()));
    }
    SAMRAD_ASSIGN_OR_RETURN(Identity identity, ParseSamradUri(uris[0]));
    identity.serial_hex = leaf[0].SerialHex();
    Verified out;
    out.identity = std::move(identity);
    out.not_before_ms = leaf[0].not_before_unix_ms();
    out.not_after_ms = leaf[0].not_after_unix_ms();
    out.identity.not_after_unix_ms = out.not_after_ms;
    out.generation = ca.generation;
    return out;
  }

  static std::string VerifyErrorMessage(const ChainCheck& check, const Certificate& leaf) {
    switch (check.problem) {
      case ChainProblem::kExpired:
        return absl::StrCat("the client certificate (serial ", leaf.SerialHex(),
                            ") has expired; ask your administrator to renew it");
      case ChainProblem::kNotYetValid:
        return absl::StrCat("the client certificate (serial ", leaf.SerialHex(),
                            ") is not valid yet; check the clocks");
      case ChainProblem::kUntrustedIssuer:
        return "the client certificate was not issued by a CA this relay trusts";
      case ChainProblem::kNotClientAuth:
        return "the client certificate is not for client authentication (extendedKeyUsage "
               "clientAuth is missing)";
      case ChainProblem::kNone:
      case ChainProblem::kOther:
        break;
    }
    return absl::StrCat("the client certificate does not verify: ", check.reason);
  }

  const std::string ca_file_;
  const int64_t reload_interval_ms_;
  const std::function<int64_t()> clock_;

  Mutex mu_;
  CaSnapshot ca_ ABSL_GUARDED_BY(mu_);
  int64_t ca_mtime_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_check_ms_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, Verified> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<Identity> ParseSamradUri(absl::string_view uri) {
  absl::StatusOr<crypto::x509::SamradName> name = crypto::x509::ParseSamradUri(uri);
  if (!name.ok()) return absl::UnauthenticatedError(name.status().message());
  Identity identity;
  identity.role = name->role;
  identity.scope = std::move(name->scope);
  identity.id = std::move(name->id);
  identity.uri = std::move(name->uri);
  return identity;
}

absl::StatusOr<std::unique_ptr<PeerVerifier>> PeerVerifier::New(std::string ca_file,
                                                                int64_t reload_interval_ms,
                                                                std::function<int64_t()> clock) {
  auto verifier =
      std::make_unique<PeerVerifierImpl>(std::move(ca_file), reload_interval_ms, std::move(clock));
  SAMRAD_RETURN_IF_ERROR(verifier->LoadInitial());
  return verifier;
}

}  // namespace samrad::server
