#include "storage/sealing.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "storage/schema.h"

namespace samrad::storage {
namespace {

using crypto::AeadAlgorithm;
using crypto::AsBytes;
using crypto::SecretBytes;

constexpr size_t kNonceLen = crypto::kAeadNonceLen;

// Writes the AAD of a value at (cf, key) sealed under `generation` to `aad`.
void SetValueAad(std::string_view cf, std::string_view key, uint32_t generation, std::string& aad) {
  aad.assign("samrad-at-rest-v1");
  aad.push_back('\0');
  aad.append(cf);
  aad.push_back('\0');
  schema::AppendU32(&aad, generation);
  aad.append(key);
}

std::string ValueAad(std::string_view cf, std::string_view key, uint32_t generation) {
  std::string aad;
  SetValueAad(cf, key, generation, aad);
  return aad;
}

absl::Status MalformedHeader(std::string_view cf) {
  return absl::DataLossError(
      absl::StrCat("a stored value in column family '", ToAbsl(cf), "' has a malformed header"));
}

absl::Status UnknownGeneration(std::string_view cf, uint32_t generation) {
  return absl::DataLossError(absl::StrCat("a stored value in column family '", ToAbsl(cf),
                                          "' names unknown data key generation ", generation));
}

absl::Status FailedAuthentication(std::string_view cf) {
  return absl::DataLossError(absl::StrCat("a stored value in column family '", ToAbsl(cf),
                                          "' failed authentication: the store was "
                                          "corrupted or tampered with; run fsck"));
}

std::string WrapAad(uint32_t generation) {
  std::string aad = "samrad-dek-wrap-v1";
  aad.push_back('\0');
  aad.append("meta");
  aad.push_back('\0');
  aad.append(schema::DekKey(generation));
  return aad;
}

}  // namespace

std::optional<uint32_t> SealedGeneration(std::string_view sealed) {
  if (sealed.size() < kSealedHeaderLen + crypto::kAeadTagLen) return std::nullopt;
  if (static_cast<uint8_t>(sealed[0]) != kSealedFormatVersion) return std::nullopt;
  return schema::ReadU32(sealed.substr(1, 4));
}

absl::StatusOr<std::string> WrapDek(const SecretBytes& kek, uint32_t generation,
                                    const SecretBytes& dek) {
  std::string nonce = crypto::RandomString(kNonceLen);
  std::string aad = WrapAad(generation);
  absl::StatusOr<std::string> ciphertext = crypto::AeadSeal(
      AeadAlgorithm::kAes256Gcm, kek.span(), AsBytes(nonce), dek.span(), AsBytes(aad));
  if (!ciphertext.ok()) return ciphertext.status();
  std::string out(1, static_cast<char>(kSealedFormatVersion));
  out += nonce;
  out += *ciphertext;
  return out;
}

absl::StatusOr<SecretBytes> UnwrapDek(const SecretBytes& kek, uint32_t generation,
                                      std::string_view wrapped) {
  if (wrapped.size() != 1 + kNonceLen + kDekLen + crypto::kAeadTagLen ||
      static_cast<uint8_t>(wrapped[0]) != kSealedFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("the wrapped data key of generation ", generation, " is malformed"));
  }
  std::string aad = WrapAad(generation);
  absl::StatusOr<std::string> dek =
      crypto::AeadOpen(AeadAlgorithm::kAes256Gcm, kek.span(), AsBytes(wrapped.substr(1, kNonceLen)),
                       AsBytes(wrapped.substr(1 + kNonceLen)), AsBytes(aad));
  if (!dek.ok()) {
    return absl::FailedPreconditionError(
        "wrong KEK: the key-encryption key does not unwrap this store's data key; use the KEK "
        "the store was created (or last rotated) with");
  }
  SecretBytes out = SecretBytes::FromString(*dek);
  std::fill(dek->begin(), dek->end(), '\0');
  return out;
}

void Keyring::Add(uint32_t generation, SecretBytes dek) {
  WriterLock lock(mu_);
  deks_[generation] = std::move(dek);
  sealers_.erase(generation);  // a replaced DEK gets a new sealer
  if (generation > current_) current_ = generation;
}

uint32_t Keyring::current_generation() const {
  ReaderLock lock(mu_);
  return current_;
}

std::vector<uint32_t> Keyring::generations() const {
  ReaderLock lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [generation, dek] : deks_) out.push_back(generation);
  return out;
}

absl::StatusOr<std::string> Keyring::Seal(std::string_view cf, std::string_view key,
                                          std::string_view plaintext) const {
  return SealWith(current_generation(), cf, key, plaintext);
}

absl::StatusOr<std::shared_ptr<Keyring::Sealer>> Keyring::SealerFor(uint32_t generation) const {
  {
    ReaderLock lock(mu_);
    auto it = sealers_.find(generation);
    if (it != sealers_.end()) return it->second;
  }
  WriterLock lock(mu_);
  auto dek = deks_.find(generation);
  if (dek == deks_.end()) {
    return absl::InternalError(absl::StrCat("no data key of generation ", generation));
  }
  std::shared_ptr<Sealer>& sealer = sealers_[generation];
  if (sealer == nullptr) {
    auto aead = crypto::AeadSealer::Create(AeadAlgorithm::kAes256Gcm, dek->second.span());
    if (!aead.ok()) {
      sealers_.erase(generation);
      return aead.status();
    }
    sealer = std::make_shared<Sealer>();
    MutexLock sealer_lock(sealer->mu);  // not yet shared; for the analysis
    sealer->aead = *std::move(aead);
    sealer->counter = uint64_t{1} << 32;  // draws the fixed field on first use
  }
  return sealer;
}

absl::StatusOr<std::string> Keyring::SealWith(uint32_t generation, std::string_view cf,
                                              std::string_view key,
                                              std::string_view plaintext) const {
  absl::StatusOr<std::shared_ptr<Sealer>> sealer = SealerFor(generation);
  if (!sealer.ok()) return sealer.status();
  std::string aad = ValueAad(cf, key, generation);
  std::string out(1, static_cast<char>(kSealedFormatVersion));
  schema::AppendU32(&out, generation);
  Sealer& s = **sealer;
  MutexLock lock(s.mu);
  if (s.counter >= (uint64_t{1} << 32)) {
    const std::string fresh = crypto::RandomString(sizeof(s.fixed_field));
    std::memcpy(&s.fixed_field, fresh.data(), sizeof(s.fixed_field));
    s.counter = 0;
  }
  const size_t nonce_at = out.size();
  schema::AppendU32(&out, static_cast<uint32_t>(s.fixed_field >> 32));
  schema::AppendU32(&out, static_cast<uint32_t>(s.fixed_field));
  schema::AppendU32(&out, static_cast<uint32_t>(s.counter++));
  absl::StatusOr<std::string> ciphertext = s.aead->Seal(
      AsBytes(std::string_view(out).substr(nonce_at, kNonceLen)), AsBytes(plaintext), AsBytes(aad));
  if (!ciphertext.ok()) return ciphertext.status();
  out += *ciphertext;
  return out;
}

absl::StatusOr<SecretBytes> Keyring::CloneDek(uint32_t generation) const {
  ReaderLock lock(mu_);
  auto it = deks_.find(generation);
  if (it == deks_.end()) {
    return absl::InternalError(absl::StrCat("no data key of generation ", generation));
  }
  return it->second.Clone();
}

absl::StatusOr<std::string> Keyring::Open(std::string_view cf, std::string_view key,
                                          std::string_view sealed) const {
  std::optional<uint32_t> generation = SealedGeneration(sealed);
  if (!generation) return MalformedHeader(cf);
  std::string aad = ValueAad(cf, key, *generation);
  absl::StatusOr<std::string> plaintext;
  {
    ReaderLock lock(mu_);
    auto it = deks_.find(*generation);
    if (it == deks_.end()) return UnknownGeneration(cf, *generation);
    plaintext = crypto::AeadOpen(AeadAlgorithm::kAes256Gcm, it->second.span(),
                                 AsBytes(sealed.substr(5, kNonceLen)),
                                 AsBytes(sealed.substr(kSealedHeaderLen)), AsBytes(aad));
  }
  if (!plaintext.ok()) return FailedAuthentication(cf);
  return plaintext;
}

absl::StatusOr<std::string_view> ValueOpener::Open(std::string_view cf, std::string_view key,
                                                   std::string_view sealed) {
  std::optional<uint32_t> generation = SealedGeneration(sealed);
  if (!generation) return MalformedHeader(cf);
  std::unique_ptr<crypto::AeadOpener>& opener = openers_[*generation];
  if (opener == nullptr) {
    absl::StatusOr<SecretBytes> dek = keyring_.CloneDek(*generation);
    if (!dek.ok()) {
      openers_.erase(*generation);
      return UnknownGeneration(cf, *generation);
    }
    absl::StatusOr<std::unique_ptr<crypto::AeadOpener>> made =
        crypto::AeadOpener::Create(AeadAlgorithm::kAes256Gcm, dek->span());
    if (!made.ok()) {
      openers_.erase(*generation);
      return made.status();
    }
    opener = *std::move(made);
  }
  SetValueAad(cf, key, *generation, aad_);
  if (!opener
           ->Open(AsBytes(sealed.substr(5, kNonceLen)), AsBytes(sealed.substr(kSealedHeaderLen)),
                  AsBytes(aad_), plaintext_)
           .ok()) {
    return FailedAuthentication(cf);
  }
  return std::string_view(plaintext_);
}

}  // namespace samrad::storage
