// DirectoryState: the key directory the relay serves and routes by, with no
// gRPC type. It loads the stored directory at start, checks a directory an
// admin publishes (pinned signature, freshness, a higher epoch), installs it
// once the store has it, and answers the directory questions of the other
// modules: an adviser's signing key, whether an adviser is listed, which
// advisers a new epoch removed, whom a case may be handed over to.
//
// Thread-safety: every method may be called from any thread at once; a
// snapshot (DirectorySnapshot) is immutable and may be kept after a newer
// one is installed.
#ifndef SAMRAD_SERVER_DIRECTORY_STATE_H_
#define SAMRAD_SERVER_DIRECTORY_STATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "crypto/keys.h"
#include "proto/relay.pb.h"
#include "server/identity.h"
#include "storage/store.h"

namespace samrad::server {

// One directory epoch: the signed bytes as served and the parsed directory.
struct DirectorySnapshot {
  v1::SignedDirectory signed_directory;
  v1::KeyDirectory directory;
  uint64_t epoch = 0;
};

// An adviser a new epoch no longer lists in a unit the previous one did.
struct RemovedAdviser {
  std::string unit;
  std::string adviser_id;
};

class DirectoryState {
 public:
  // `directory_key`: the pinned Ed25519 key directories are signed with.
  explicit DirectoryState(crypto::Ed25519PublicKey directory_key);
  DirectoryState(const DirectoryState&) = delete;
  DirectoryState& operator=(const DirectoryState&) = delete;

  // Loads the store's current directory, if any. One that no longer verifies
  // is still served verbatim (clients verify) and routed by as stored, with
  // a warning logged; DATA_LOSS when it cannot be parsed at all.
  [[nodiscard]] absl::Status Load(storage::Store& store);

  // The current epoch; null before any directory is published.
  std::shared_ptr<const DirectorySnapshot> Current() const;

  // The snapshot `signed_directory` would install: INVALID_ARGUMENT when it
  // is missing or not signed by the pinned key, FAILED_PRECONDITION when it
  // is stale at `now_unix_ms` or its epoch is not higher than the current.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const DirectorySnapshot>> Verify(
      const v1::SignedDirectory* signed_directory, int64_t now_unix_ms) const;

  // Makes `next` current unless a higher epoch is current already. Call only
  // once the store holds it. Returns the advisers it removed.
  std::vector<RemovedAdviser> Install(std::shared_ptr<const DirectorySnapshot> next);

  // The signing key `caller` (an adviser) has in `dir`; PERMISSION_DENIED
  // when `dir` does not list them in their unit.
  [[nodiscard]] static absl::StatusOr<crypto::Ed25519PublicKey> AdviserSigningKey(
      const DirectorySnapshot& dir, const Identity& caller);

  // PERMISSION_DENIED when `caller` is an adviser the current directory does
  // not list in their unit. OK for other roles and before any directory.
  [[nodiscard]] absl::Status ListedIfAdviser(const Identity& caller) const;

  // OK when `to` is an adviser of the caller's unit in the current directory
  // and not the caller: INVALID_ARGUMENT for a malformed id or the caller,
  // FAILED_PRECONDITION before any directory or when another unit lists `to`
  // (naming it), NOT_FOUND when no unit does.
  [[nodiscard]] absl::Status CheckHandoverTarget(const Identity& caller,
                                                 const std::string& to) const;

  // The advisers `previous` lists in a unit and `next` does not.
  static std::vector<RemovedAdviser> Removed(const DirectorySnapshot& previous,
                                             const DirectorySnapshot& next);

 private:
  const crypto::Ed25519PublicKey directory_key_;
  mutable Mutex mu_;
  std::shared_ptr<const DirectorySnapshot> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_DIRECTORY_STATE_H_
