// The local keystore: every private key of this person, sealed in one file.
//
// Holds the adviser key pairs of every epoch still needed, the keys of each
// case a professional opened, the adviser signing keys seen in verified
// directories, and the highest directory epoch verified (rollback guard).
// The file is a sealed file (client/sealed_file.h, magic "SAMRADKS") with
// mode 0600, replaced atomically on every Save (client/file_util.h).
//
// Key lifetime policy (DESIGN.md "Forward secrecy"):
// - adviser keys stay until `samrad keys prune --older-than DAYS` removes the
//   pairs superseded (by `keygen --rotate`) more than DAYS ago;
// - a case's keys stay after `samrad close` so the answers remain readable,
//   and are deleted by `samrad keys prune` once the relay has purged the case
//   (or it was closed more than DAYS ago), or at once by `close --forget`.
//
// A Keystore object is not thread-safe; the CLI uses one per process.
// Several processes may open the same file: Save holds an exclusive lock on
// "<path>.lock" and refuses (ABORTED) when the file was replaced since this
// object read or last wrote it, so no process silently overwrites another's
// new keys; the caller runs its command again.
#ifndef SAMRAD_CLIENT_KEYSTORE_H_
#define SAMRAD_CLIENT_KEYSTORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/sealed_file.h"
#include "crypto/keys.h"
#include "crypto/secret_bytes.h"
#include "proto/client.pb.h"

namespace samrad::client {

inline constexpr char kKeystoreMagic[] = "SAMRADKS";

class Keystore {
 public:
  // Creates a new, empty keystore at `path` (parent directory must exist).
  // ALREADY_EXISTS when a file is there (never overwritten).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Keystore>> Create(
      const std::string& path, crypto::SecretBytes passphrase, const Argon2Params& params = {});

  // Opens and fully decrypts the keystore. NOT_FOUND (no file),
  // UNAUTHENTICATED (wrong passphrase), DATA_LOSS (damaged or truncated; the
  // file is refused as a whole). Every error is tagged ExitCode::kKeystore
  // except NOT_FOUND.
  // Runs Argon2id once (the key it derives seals every later Save).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Keystore>> Open(
      const std::string& path, crypto::SecretBytes passphrase);
  // Opens with the 64-byte key material of the file (the agent's, see
  // client/agent.h); no Argon2id run. UNAUTHENTICATED when the material is
  // not this file's (the passphrase changed since), otherwise as Open.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Keystore>> OpenWithKeyMaterial(
      const std::string& path, crypto::SecretBytes material);

  ~Keystore();
  Keystore(const Keystore&) = delete;
  Keystore& operator=(const Keystore&) = delete;

  // Reseals the contents (same key, salt and Argon2 parameters, fresh nonce;
  // no Argon2id run) and replaces the file atomically. ABORTED (exit
  // kConflict) when another process replaced the file since it was read.
  [[nodiscard]] absl::Status Save();

  // Reseals under `new_passphrase` (fresh salt, `params`; one Argon2id run)
  // and replaces the file atomically (write, fsync, rename). On error the
  // file and this object keep the old passphrase.
  [[nodiscard]] absl::Status ChangePassphrase(const crypto::SecretBytes& new_passphrase,
                                              const Argon2Params& params);

  // The key that opens the file as it is now (what the agent holds).
  const SealingKey& sealing_key() const { return key_; }

  const std::string& path() const { return path_; }
  const v1::KeystoreContents& contents() const { return contents_; }
  v1::KeystoreContents& mutable_contents() { return contents_; }

  // --- adviser keys ---
  // Adds a fresh pair created at `now_unix_ms`; marks the previous current
  // pair superseded. Returns the new pair's index in adviser_keys.
  int AddAdviserKeyPair(const crypto::X25519PrivateKey& encryption,
                        const crypto::Ed25519PrivateKey& signing, int64_t now_unix_ms);
  // The newest pair not superseded. NOT_FOUND when there is none ("run
  // samrad keygen").
  [[nodiscard]] absl::StatusOr<const v1::AdviserKeyPair*> CurrentAdviserKeys() const;
  // Deletes pairs superseded before `cutoff_unix_ms`; returns how many.
  int PruneAdviserKeys(int64_t cutoff_unix_ms);

  // --- thread (case) keys ---
  // The case whose id starts with `reference` (at least 6 hex characters).
  // NOT_FOUND when none, INVALID_ARGUMENT when the prefix is ambiguous or
  // too short.
  [[nodiscard]] absl::StatusOr<v1::ThreadKeys*> FindThread(absl::string_view reference);
  // Deletes the case's keys (wiping them in memory). False when unknown.
  bool RemoveThread(absl::string_view thread_id);

  // --- directory rollback guard ---
  // Records that a directory of `epoch` verified. FAILED_PRECONDITION tagged
  // ExitCode::kDirectory when `epoch` is lower than the highest seen.
  [[nodiscard]] absl::Status ObserveDirectoryEpoch(uint64_t epoch);
  // Records the adviser signing keys of a verified directory (deduplicated).
  void RememberSigner(absl::string_view adviser_id, absl::string_view unit,
                      absl::string_view signing_public_key, uint64_t epoch);

 private:
  Keystore(std::string path, SealingKey key) : path_(std::move(path)), key_(std::move(key)) {}
  // Reads the file and opens it with the key `make_key` makes from its bytes.
  template <typename MakeKey>
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Keystore>> OpenFile(const std::string& path,
                                                                          MakeKey make_key);
  std::string path_;
  SealingKey key_;
  // Identity of the file as last read or written: device, inode, size, mtime.
  std::string file_version_;
  v1::KeystoreContents contents_;
};

// Wipes the private-key fields of `keys` in memory.
void WipeThreadKeys(v1::ThreadKeys& keys);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_KEYSTORE_H_
