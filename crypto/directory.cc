#include "crypto/directory.h"

#include <algorithm>
#include <array>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "crypto/serialize.h"

namespace samrad::crypto {
namespace {

constexpr std::string_view kDirectoryLabel = "samrad-directory-v2";
constexpr uint32_t kDirectoryVersion = 2;
constexpr size_t kMaxAdviserIdLen = 128;

std::string SignedBytes(std::string_view directory) {
  std::string out(kDirectoryLabel);
  out.append(directory);
  return out;
}

absl::Status ValidateAdviser(const v1::UnitEntry& unit, const v1::AdviserKeys& adviser) {
  if (adviser.adviser_id().empty() || adviser.adviser_id().size() > kMaxAdviserIdLen) {
    return absl::InvalidArgumentError(absl::StrCat("unit ", unit.unit_id(),
                                                   " has an adviser id that is empty or longer "
                                                   "than ",
                                                   kMaxAdviserIdLen, " bytes"));
  }
  if (adviser.encryption_public_key().size() != kX25519KeyLen ||
      adviser.signing_public_key().size() != kEd25519KeyLen) {
    return absl::InvalidArgumentError(absl::StrCat("adviser ", adviser.adviser_id(), " of unit ",
                                                   unit.unit_id(),
                                                   " has a public key that is not 32 bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDirectory(const v1::KeyDirectory& directory) {
  if (directory.epoch() < 1) return absl::InvalidArgumentError("directory epoch must be >= 1");
  std::set<std::string> unit_ids;
  std::set<std::string> counties;
  for (const v1::UnitEntry& unit : directory.units()) {
    if (!ids::IsUnitId(unit.unit_id())) {
      return absl::InvalidArgumentError(
          absl::StrCat("directory unit id \"", unit.unit_id(), "\" must match [a-z0-9-]{1,64}"));
    }
    if (!unit_ids.insert(unit.unit_id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("directory lists unit ", unit.unit_id(), " twice"));
    }
    for (const std::string& county : unit.counties()) {
      if (!ids::IsCountyCode(county)) {
        return absl::InvalidArgumentError(absl::StrCat("unit ", unit.unit_id(), " lists \"", county,
                                                       "\", which is not a two-digit län code"));
      }
      if (!counties.insert(county).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("county ", county, " belongs to more than one unit"));
      }
    }
    std::set<std::string> adviser_ids;
    for (const v1::AdviserKeys& adviser : unit.advisers()) {
      SAMRAD_RETURN_IF_ERROR(ValidateAdviser(unit, adviser));
      if (!adviser_ids.insert(adviser.adviser_id()).second) {
        return absl::InvalidArgumentError(absl::StrCat("unit ", unit.unit_id(), " lists adviser ",
                                                       adviser.adviser_id(), " twice"));
      }
    }
  }
  if (unit_ids.count(directory.fallback_unit_id()) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "directory fallback unit \"", directory.fallback_unit_id(), "\" is not one of its units"));
  }
  if (directory.issued_at_unix_ms() <= 0) {
    return absl::InvalidArgumentError("directory issued_at_unix_ms must be set");
  }
  const int64_t validity = directory.not_after_unix_ms() - directory.issued_at_unix_ms();
  if (validity <= 0 || validity > kMaxDirectoryValidityMs) {
    return absl::InvalidArgumentError(
        "directory not_after_unix_ms must be after issued_at_unix_ms and at most 90 days later");
  }
  std::set<std::string> revoked;
  for (const std::string& key : directory.revoked_signing_keys()) {
    if (key.size() != kEd25519KeyLen) {
      return absl::InvalidArgumentError("a revoked signing key in the directory is not 32 bytes");
    }
    revoked.insert(key);
  }
  for (const v1::UnitEntry& unit : directory.units()) {
    for (const v1::AdviserKeys& adviser : unit.advisers()) {
      if (revoked.count(adviser.signing_public_key()) != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("adviser ", adviser.adviser_id(), " of unit ", unit.unit_id(),
                         " is listed with a signing key the directory also revokes"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDirectoryFresh(const v1::KeyDirectory& directory, int64_t now_unix_ms) {
  if (now_unix_ms <= directory.not_after_unix_ms()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("key directory epoch ", directory.epoch(), " expired ",
                   (now_unix_ms - directory.not_after_unix_ms()) / (3600 * 1000), " hours ago"));
}

bool IsRevokedSigningKey(const v1::KeyDirectory& directory, std::string_view signing_public_key) {
  return std::any_of(directory.revoked_signing_keys().begin(),
                     directory.revoked_signing_keys().end(),
                     [&](const std::string& key) { return key == signing_public_key; });
}

absl::StatusOr<v1::SignedDirectory> SignDirectory(const v1::KeyDirectory& directory,
                                                  const Ed25519PrivateKey& directory_key) {
  SAMRAD_RETURN_IF_ERROR(ValidateDirectory(directory));
  v1::SignedDirectory out;
  out.set_directory(SerializeDeterministically(directory));
  out.set_signature(directory_key.Sign(SignedBytes(out.directory())));
  out.set_version(kDirectoryVersion);
  return out;
}

absl::StatusOr<v1::KeyDirectory> VerifyDirectory(const v1::SignedDirectory& signed_directory,
                                                 const Ed25519PublicKey& directory_public_key) {
  if (signed_directory.version() < kDirectoryVersion) {
    return absl::InvalidArgumentError(
        "the key directory is in format 1 (signed by an older samrad, without an expiry date); "
        "the administrator must sign it again with `samrad admin directory refresh`");
  }
  if (signed_directory.version() != kDirectoryVersion) {
    return absl::InvalidArgumentError(absl::StrCat("the key directory is in format ",
                                                   signed_directory.version(),
                                                   ", which this samrad cannot read (it reads 2); "
                                                   "update samrad"));
  }
  if (!directory_public_key
           .Verify(SignedBytes(signed_directory.directory()), signed_directory.signature())
           .ok()) {
    return absl::PermissionDeniedError(
        "key directory signature does not verify under the pinned directory key");
  }
  v1::KeyDirectory directory;
  if (!directory.ParseFromString(signed_directory.directory())) {
    return absl::InvalidArgumentError("signed key directory bytes are not a KeyDirectory");
  }
  SAMRAD_RETURN_IF_ERROR(ValidateDirectory(directory));
  return directory;
}

absl::StatusOr<const v1::UnitEntry*> RouteCounty(const v1::KeyDirectory& directory,
                                                 std::string_view county) {
  for (const v1::UnitEntry& unit : directory.units()) {
    for (const std::string& listed : unit.counties()) {
      if (listed == county) return &unit;
    }
  }
  for (const v1::UnitEntry& unit : directory.units()) {
    if (unit.unit_id() == directory.fallback_unit_id()) return &unit;
  }
  return absl::NotFoundError(absl::StrCat("no unit serves county \"", std::string(county),
                                          "\" and the directory has no fallback unit"));
}

absl::StatusOr<const v1::UnitEntry*> RouteNewCase(const v1::KeyDirectory& directory,
                                                  std::string_view county) {
  absl::StatusOr<const v1::UnitEntry*> unit = RouteCounty(directory, county);
  if (!unit.ok() || !(*unit)->advisers().empty()) return unit;
  absl::StatusOr<const v1::UnitEntry*> fallback = FindUnit(directory, directory.fallback_unit_id());
  return fallback.ok() ? fallback : unit;
}

absl::StatusOr<const v1::UnitEntry*> FindUnit(const v1::KeyDirectory& directory,
                                              std::string_view unit_id) {
  for (const v1::UnitEntry& unit : directory.units()) {
    if (unit.unit_id() == unit_id) return &unit;
  }
  return absl::NotFoundError(
      absl::StrCat("the key directory has no unit \"", std::string(unit_id), "\""));
}

}  // namespace samrad::crypto
