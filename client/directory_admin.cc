#include "client/directory_admin.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/config.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "common/ids.h"
#include "crypto/directory.h"
#include "crypto/keys.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "proto/client.pb.h"

namespace samrad::client {
namespace {

std::string PathIn(const std::string& dir, absl::string_view file) {
  return absl::StrCat(dir, "/", file);
}

v1::UnitEntry* FindMutableUnit(v1::KeyDirectory& directory, absl::string_view unit_id) {
  for (auto& unit : *directory.mutable_units()) {
    if (unit.unit_id() == unit_id) return &unit;
  }
  return nullptr;
}

}  // namespace

absl::Status CheckWorkingDirectory(const v1::KeyDirectory& directory) {
  std::set<std::string> unit_ids;
  std::set<std::string> counties;
  for (const auto& unit : directory.units()) {
    if (!ids::IsUnitId(unit.unit_id())) {
      return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzBadUnitId, {unit.unit_id()});
    }
    if (!unit_ids.insert(unit.unit_id()).second) {
      return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzUnitListedTwice,
                       {unit.unit_id()});
    }
    for (const auto& county : unit.counties()) {
      if (!ids::IsCountyCode(county)) {
        return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzUnitBadCounty,
                         {unit.unit_id(), county});
      }
      if (!counties.insert(county).second) {
        return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzCountyInTwoUnits, {county});
      }
    }
    std::set<std::string> advisers;
    for (const auto& adviser : unit.advisers()) {
      if (adviser.adviser_id().empty() || !advisers.insert(adviser.adviser_id()).second) {
        return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzAdviserIdEmptyOrTwice,
                         {unit.unit_id(), adviser.adviser_id()});
      }
      if (adviser.encryption_public_key().size() != crypto::kX25519KeyLen ||
          adviser.signing_public_key().size() != crypto::kEd25519KeyLen) {
        return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzAdviserKeysWrongLength,
                         {unit.unit_id(), adviser.adviser_id()});
      }
    }
  }
  if (unit_ids.count(directory.fallback_unit_id()) == 0) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzFallbackNotAUnit,
                     {directory.fallback_unit_id()});
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::KeyDirectory> ParseDirectoryText(absl::string_view text) {
  v1::KeyDirectory directory;
  if (absl::Status s = ParseTextProto(text, &directory); !s.ok()) {
    return LocalizedWrap(absl::StatusCode::kInvalidArgument, Msg::kLzNotKeyDirectoryText, {}, s);
  }
  if (absl::Status s = CheckWorkingDirectory(directory); !s.ok()) return s;
  return directory;
}

absl::StatusOr<std::string> InitDirectoryWorkspace(const DirectoryInitOptions& options,
                                                   const crypto::SecretBytes& passphrase,
                                                   crypto::RandomSource& rng) {
  const std::string key_path = PathIn(options.out_dir, kDirectoryKeyFile);
  if (PathExists(key_path)) {
    return Localized(absl::StatusCode::kAlreadyExists, Msg::kLzDirectoryKeyExists, {key_path});
  }
  absl::StatusOr<std::string> routing_text = ReadFileToString(options.routing_path, 1024 * 1024);
  if (!routing_text.ok()) return routing_text.status();
  absl::StatusOr<v1::KeyDirectory> directory = ParseDirectoryText(*routing_text);
  if (!directory.ok()) {
    return LocalizedWrap(absl::StatusCode::kInvalidArgument, Msg::kLzRoutingTable,
                         {options.routing_path}, directory.status());
  }
  directory->set_epoch(0);
  directory->set_issued_at_unix_ms(0);
  if (absl::Status s = MakeDirectories(options.out_dir, 0700); !s.ok()) return s;

  crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate(rng);
  v1::DirectoryKeyFile key_file;
  crypto::SecretBytes serialized = key.Serialize();
  key_file.set_signing_private_key(std::string(serialized.view()));
  key_file.set_created_at_unix_ms(options.now_unix_ms);
  std::string plain = key_file.SerializeAsString();
  WipeString(*key_file.mutable_signing_private_key());
  absl::StatusOr<std::string> sealed =
      SealWithPassphrase(kDirectoryKeyMagic, plain, passphrase, options.argon2, rng);
  WipeString(plain);
  if (!sealed.ok()) return sealed.status();
  if (absl::Status s = WriteFileAtomically(key_path, *sealed, 0600); !s.ok()) return s;

  const std::string pub_hex = ToHex(key.public_key().bytes());
  if (absl::Status s =
          WriteFileAtomically(PathIn(options.out_dir, kDirectoryPubFile), pub_hex + "\n", 0644);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SaveWorkingDirectory(options.out_dir, *directory); !s.ok()) return s;
  return pub_hex;
}

absl::StatusOr<v1::KeyDirectory> LoadWorkingDirectory(const std::string& dir) {
  const std::string path = PathIn(dir, kWorkingDirectoryFile);
  absl::StatusOr<std::string> text = ReadFileToString(path, 16 * 1024 * 1024);
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound) {
      return Localized(absl::StatusCode::kNotFound, Msg::kLzNoWorkingDirectory, {path});
    }
    return text.status();
  }
  absl::StatusOr<v1::KeyDirectory> directory = ParseDirectoryText(*text);
  if (!directory.ok()) {
    return LocalizedWrap(absl::StatusCode::kDataLoss, Msg::kLzInFile, {path}, directory.status());
  }
  return directory;
}

absl::Status SaveWorkingDirectory(const std::string& dir, const v1::KeyDirectory& directory) {
  if (absl::Status s = CheckWorkingDirectory(directory); !s.ok()) return s;
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(directory, &text)) {
    return absl::InternalError("cannot print the directory");
  }
  text = absl::StrCat(
      "# Working key directory (samrad.v1.KeyDirectory, text format). Edit with\n"
      "# `samrad admin directory ...`; `sign` raises the epoch.\n",
      text);
  return WriteFileAtomically(PathIn(dir, kWorkingDirectoryFile), text, 0644);
}

absl::Status AddUnit(v1::KeyDirectory& directory, absl::string_view unit_id,
                     absl::string_view display_name, const std::vector<std::string>& counties,
                     bool make_fallback) {
  if (!ids::IsUnitId(unit_id)) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzBadUnitId, {std::string(unit_id)});
  }
  std::set<std::string> unique;
  for (const std::string& county : counties) {
    if (!ids::IsCountyCode(county)) {
      return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzCountyNotSwedish,
                       {county, ids::CountyChoices()});
    }
    if (!unique.insert(county).second) {
      return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzCountyGivenTwice, {county});
    }
    for (const auto& unit : directory.units()) {
      if (unit.unit_id() == unit_id) continue;
      for (const auto& taken : unit.counties()) {
        if (taken == county) {
          return Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzCountyTaken,
                           {county, unit.unit_id()});
        }
      }
    }
  }
  v1::UnitEntry* unit = FindMutableUnit(directory, unit_id);
  if (unit == nullptr) {
    unit = directory.add_units();
    unit->set_unit_id(std::string(unit_id));
  }
  if (!display_name.empty()) unit->set_display_name(std::string(display_name));
  unit->clear_counties();
  for (const std::string& county : counties) unit->add_counties(county);
  if (make_fallback || directory.fallback_unit_id().empty()) {
    directory.set_fallback_unit_id(std::string(unit_id));
  }
  return absl::OkStatus();
}

absl::Status RemoveUnit(v1::KeyDirectory& directory, absl::string_view unit_id) {
  if (directory.fallback_unit_id() == unit_id) {
    return Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzFallbackCannotGo,
                     {std::string(unit_id)});
  }
  auto* units = directory.mutable_units();
  for (int i = 0; i < units->size(); ++i) {
    if (units->Get(i).unit_id() == unit_id) {
      units->DeleteSubrange(i, 1);
      return absl::OkStatus();
    }
  }
  return Localized(absl::StatusCode::kNotFound, Msg::kLzNoUnit, {std::string(unit_id)});
}

absl::Status AddAdviser(v1::KeyDirectory& directory, absl::string_view unit_id,
                        const v1::AdviserKeys& adviser) {
  if (adviser.adviser_id().empty() ||
      adviser.encryption_public_key().size() != crypto::kX25519KeyLen ||
      adviser.signing_public_key().size() != crypto::kEd25519KeyLen) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzBundleBadKeys);
  }
  v1::UnitEntry* unit = FindMutableUnit(directory, unit_id);
  if (unit == nullptr) {
    return Localized(absl::StatusCode::kNotFound, Msg::kLzNoUnit, {std::string(unit_id)});
  }
  for (const auto& other : directory.units()) {
    if (other.unit_id() == unit_id) continue;
    for (const auto& listed : other.advisers()) {
      if (listed.adviser_id() == adviser.adviser_id()) {
        return Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzAdviserInOtherUnit,
                         {adviser.adviser_id(), other.unit_id()});
      }
    }
  }
  for (auto& listed : *unit->mutable_advisers()) {
    if (listed.adviser_id() == adviser.adviser_id()) {
      listed = adviser;  // rotation: new keys for the same adviser
      return absl::OkStatus();
    }
  }
  *unit->add_advisers() = adviser;
  return absl::OkStatus();
}

absl::Status RemoveAdviser(v1::KeyDirectory& directory, absl::string_view unit_id,
                           absl::string_view adviser_id, bool revoke_signing_key) {
  v1::UnitEntry* unit = FindMutableUnit(directory, unit_id);
  if (unit == nullptr) {
    return Localized(absl::StatusCode::kNotFound, Msg::kLzNoUnit, {std::string(unit_id)});
  }
  auto* advisers = unit->mutable_advisers();
  for (int i = 0; i < advisers->size(); ++i) {
    if (advisers->Get(i).adviser_id() == adviser_id) {
      if (revoke_signing_key) {
        directory.add_revoked_signing_keys(advisers->Get(i).signing_public_key());
      }
      advisers->DeleteSubrange(i, 1);
      return absl::OkStatus();
    }
  }
  return Localized(absl::StatusCode::kNotFound, Msg::kLzNoAdviserInUnit,
                   {std::string(adviser_id), std::string(unit_id)});
}

std::string FormatAdviserBundle(const v1::AdviserKeys& adviser) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(adviser, &json, options);
  if (json.empty() || json.back() != '\n') json += "\n";
  return json;
}

absl::StatusOr<v1::AdviserKeys> ParseAdviserBundle(absl::string_view json) {
  v1::AdviserKeys adviser;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &adviser).ok()) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzBundleNotJson);
  }
  if (adviser.adviser_id().empty() ||
      adviser.encryption_public_key().size() != crypto::kX25519KeyLen ||
      adviser.signing_public_key().size() != crypto::kEd25519KeyLen) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzBundleBadKeys);
  }
  return adviser;
}

std::vector<const v1::UnitEntry*> UnitsWithoutAdvisers(const v1::KeyDirectory& directory) {
  std::vector<const v1::UnitEntry*> out;
  for (const v1::UnitEntry& unit : directory.units()) {
    if (unit.advisers().empty()) out.push_back(&unit);
  }
  return out;
}

absl::StatusOr<v1::SignedDirectory> SignWorkspace(const std::string& dir,
                                                  const crypto::SecretBytes& passphrase,
                                                  const SignOptions& options) {
  if (options.valid_for_ms <= 0 || options.valid_for_ms > crypto::kMaxDirectoryValidityMs) {
    return WithExitCode(Localized(absl::StatusCode::kInvalidArgument, Msg::kLzValidDays),
                        ExitCode::kUsage);
  }
  absl::StatusOr<v1::KeyDirectory> working = LoadWorkingDirectory(dir);
  if (!working.ok()) return working.status();
  absl::StatusOr<v1::SignedDirectory> last = LoadSignedDirectory(dir);
  if (!last.ok() && last.status().code() != absl::StatusCode::kNotFound) return last.status();
  // What to sign: the working content, or for a refresh the last signed one
  // (edits not yet signed stay in the working file for the next `sign`).
  std::optional<v1::KeyDirectory> previous;
  if (last.ok()) {
    previous.emplace();
    if (!previous->ParseFromString(last->directory())) {
      return Localized(absl::StatusCode::kDataLoss, Msg::kLzHoldsNoDirectory,
                       {PathIn(dir, kSignedDirectoryFile)});
    }
  }
  if (options.refresh && !previous.has_value()) {
    return WithExitCode(Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzNothingToRefresh),
                        ExitCode::kNotFound);
  }
  std::optional<v1::KeyDirectory> directory =
      options.refresh ? previous : std::optional<v1::KeyDirectory>(*working);
  const std::string key_path = PathIn(dir, kDirectoryKeyFile);
  absl::StatusOr<std::string> sealed = ReadFileToString(key_path, 1024 * 1024);
  if (!sealed.ok()) return sealed.status();
  absl::StatusOr<crypto::SecretBytes> plain =
      OpenWithPassphrase(kDirectoryKeyMagic, *sealed, passphrase);
  if (!plain.ok()) {
    return WithExitCode(
        LocalizedWrap(plain.status().code(), Msg::kLzDirectoryKeyFile, {key_path}, plain.status()),
        ExitCode::kKeystore);
  }
  v1::DirectoryKeyFile key_file;
  if (!key_file.ParseFromArray(plain->data(), static_cast<int>(plain->size()))) {
    return WithExitCode(
        Localized(absl::StatusCode::kDataLoss, Msg::kLzDirectoryKeyDamaged, {key_path}),
        ExitCode::kKeystore);
  }
  absl::StatusOr<crypto::Ed25519PrivateKey> key =
      crypto::Ed25519PrivateKey::Deserialize(crypto::AsBytes(key_file.signing_private_key()));
  WipeString(*key_file.mutable_signing_private_key());
  if (!key.ok()) {
    return WithExitCode(
        Localized(absl::StatusCode::kDataLoss, Msg::kLzDirectoryKeyDamaged, {key_path}),
        ExitCode::kKeystore);
  }
  // The published epoch must rise even if the working file was edited by hand.
  uint64_t epoch = std::max(working->epoch(), previous.has_value() ? previous->epoch() : 0);
  directory->set_epoch(epoch + 1);
  directory->set_issued_at_unix_ms(options.now_unix_ms);
  directory->set_not_after_unix_ms(options.now_unix_ms + options.valid_for_ms);
  absl::StatusOr<v1::SignedDirectory> signed_directory = crypto::SignDirectory(*directory, *key);
  if (!signed_directory.ok()) return signed_directory.status();
  if (absl::Status s = WriteFileAtomically(PathIn(dir, kSignedDirectoryFile),
                                           signed_directory->SerializeAsString(), 0644);
      !s.ok()) {
    return s;
  }
  working->set_epoch(directory->epoch());
  working->set_issued_at_unix_ms(directory->issued_at_unix_ms());
  working->set_not_after_unix_ms(directory->not_after_unix_ms());
  if (absl::Status s = SaveWorkingDirectory(dir, *working); !s.ok()) return s;
  return signed_directory;
}

absl::StatusOr<v1::SignedDirectory> LoadSignedDirectory(const std::string& dir) {
  const std::string path = PathIn(dir, kSignedDirectoryFile);
  absl::StatusOr<std::string> bytes = ReadFileToString(path, 16 * 1024 * 1024);
  if (!bytes.ok()) {
    if (bytes.status().code() == absl::StatusCode::kNotFound) {
      return Localized(absl::StatusCode::kNotFound, Msg::kLzNoSignedDirectory, {dir});
    }
    return bytes.status();
  }
  v1::SignedDirectory signed_directory;
  if (!signed_directory.ParseFromString(*bytes)) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzDoesNotParse, {path});
  }
  return signed_directory;
}

absl::StatusOr<std::string> LoadDirectoryPublicKeyHex(const std::string& dir) {
  return ReadDirectoryPublicKeyArgument(PathIn(dir, kDirectoryPubFile));
}

}  // namespace samrad::client
