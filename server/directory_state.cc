#include "server/directory_state.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "crypto/directory.h"
#include "server/log.h"

namespace samrad::server {

DirectoryState::DirectoryState(crypto::Ed25519PublicKey directory_key)
    : directory_key_(std::move(directory_key)) {}

absl::Status DirectoryState::Load(storage::Store& store) {
  uint64_t epoch = 0;
  auto signed_dir = store.GetDirectory(&epoch);
  if (absl::IsNotFound(signed_dir.status())) return absl::OkStatus();
  if (!signed_dir.ok()) return signed_dir.status();
  auto dir = crypto::VerifyDirectory(*signed_dir, directory_key_);
  if (!dir.ok()) {
    // Served verbatim anyway (clients verify); routing uses it as stored.
    LogWarning("directory_unverified",
               {{"epoch", absl::StrCat(epoch)}, {"reason", dir.status().message()}});
    v1::KeyDirectory parsed;
    if (!parsed.ParseFromString(signed_dir->directory())) {
      return absl::DataLossError("the stored key directory cannot be parsed");
    }
    dir = std::move(parsed);
  }
  auto state = std::make_shared<DirectorySnapshot>();
  state->signed_directory = *std::move(signed_dir);
  state->directory = *std::move(dir);
  state->epoch = epoch;
  MutexLock lock(mu_);
  current_ = std::move(state);
  return absl::OkStatus();
}

std::shared_ptr<const DirectorySnapshot> DirectoryState::Current() const {
  MutexLock lock(mu_);
  return current_;
}

absl::StatusOr<std::shared_ptr<const DirectorySnapshot>> DirectoryState::Verify(
    const v1::SignedDirectory* signed_directory, int64_t now_unix_ms) const {
  if (signed_directory == nullptr) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kDirectoryRequired,
                          {});
  }
  auto verified = crypto::VerifyDirectory(*signed_directory, directory_key_);
  if (!verified.ok()) {
    return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kDirectoryUnverified,
                          {std::string(verified.status().message())});
  }
  if (auto fresh = crypto::CheckDirectoryFresh(*verified, now_unix_ms); !fresh.ok()) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kDirectoryStale,
                          {std::string(fresh.message())});
  }
  auto current = Current();
  const uint64_t epoch = verified->epoch();
  if (current && epoch <= current->epoch) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kEpochNotHigher,
                          {absl::StrCat(epoch), absl::StrCat(current->epoch)});
  }
  auto state = std::make_shared<DirectorySnapshot>();
  state->signed_directory = *signed_directory;
  state->directory = *std::move(verified);
  state->epoch = epoch;
  return std::shared_ptr<const DirectorySnapshot>(std::move(state));
}

std::vector<RemovedAdviser> DirectoryState::Install(std::shared_ptr<const DirectorySnapshot> next) {
  std::shared_ptr<const DirectorySnapshot> previous;
  {
    MutexLock lock(mu_);
    previous = current_;
    if (!current_ || next->epoch > current_->epoch) current_ = next;
  }
  if (previous == nullptr) return {};
  return Removed(*previous, *next);
}

absl::StatusOr<crypto::Ed25519PublicKey> DirectoryState::AdviserSigningKey(
    const DirectorySnapshot& dir, const Identity& caller) {
  auto unit = crypto::FindUnit(dir.directory, caller.scope);
  if (unit.ok()) {
    for (const auto& adviser : (*unit)->advisers()) {
      if (adviser.adviser_id() == caller.id) {
        return crypto::Ed25519PublicKey::FromBytes(adviser.signing_public_key());
      }
    }
  }
  return absl::PermissionDeniedError(absl::StrCat("adviser ", caller.id, " of unit ", caller.scope,
                                                  " has no keys in directory epoch ", dir.epoch,
                                                  "; ask the administrator to add them"));
}

absl::Status DirectoryState::ListedIfAdviser(const Identity& caller) const {
  if (caller.role != Role::kAdviser) return absl::OkStatus();
  auto dir = Current();
  if (!dir) return absl::OkStatus();
  return AdviserSigningKey(*dir, caller).status();
}

absl::Status DirectoryState::CheckHandoverTarget(const Identity& caller,
                                                 const std::string& to) const {
  if (!ids::IsClientId(to)) {
    return absl::InvalidArgumentError(
        "to_adviser_id must be an adviser id (1..64 characters of A-Z a-z 0-9 . _ -)");
  }
  if (to == caller.id) {
    return absl::InvalidArgumentError(
        "to_adviser_id is you; hand the case over to another adviser");
  }
  auto dir = Current();
  if (!dir) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                          {});
  }
  std::string other_unit;
  for (const v1::UnitEntry& unit : dir->directory.units()) {
    for (const auto& adviser : unit.advisers()) {
      if (adviser.adviser_id() != to) continue;
      if (unit.unit_id() == caller.scope) return absl::OkStatus();
      other_unit = unit.unit_id();
    }
  }
  if (!other_unit.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "adviser ", to, " is an adviser of unit ", other_unit, ", not of ", caller.scope,
        " (directory epoch ", dir->epoch, "); refer the case to that unit instead"));
  }
  return absl::NotFoundError(absl::StrCat("no adviser ", to, " in directory epoch ", dir->epoch));
}

std::vector<RemovedAdviser> DirectoryState::Removed(const DirectorySnapshot& previous,
                                                    const DirectorySnapshot& next) {
  std::vector<RemovedAdviser> out;
  for (const auto& unit : previous.directory.units()) {
    auto next_unit = crypto::FindUnit(next.directory, unit.unit_id());
    for (const auto& adviser : unit.advisers()) {
      bool kept = false;
      if (next_unit.ok()) {
        for (const auto& listed : (*next_unit)->advisers()) {
          kept = kept || listed.adviser_id() == adviser.adviser_id();
        }
      }
      if (!kept) out.push_back({unit.unit_id(), adviser.adviser_id()});
    }
  }
  return out;
}

}  // namespace samrad::server
