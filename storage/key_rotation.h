// Key rotation (internal to samrad_storage): re-wrapping the DEKs under a new
// KEK (Store::RotateKek) and re-sealing every value under a fresh DEK in the
// background (Store::StartDekRotation), whose contracts these implement.
// Every write goes through the commit pipeline, so a concurrent write to the
// same key is never overwritten with stale bytes.
//
// Thread-safety: RotateKek and StartDekRotation must be serialised with each
// other and with retention by the caller (Store's maintenance lock); both
// block until durable and must never run from a Store callback. Progress may
// be read from any thread. Ownership: rocks, keyring and pipeline are
// borrowed and must outlive this object; Stop() (or destruction) stops a
// running rewrite, which resumes on the next Open.
#ifndef SAMRAD_STORAGE_KEY_ROTATION_H_
#define SAMRAD_STORAGE_KEY_ROTATION_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "crypto/secret_bytes.h"
#include "storage/commit_pipeline.h"
#include "storage/rocks.h"
#include "storage/sealing.h"
#include "storage/store.h"

namespace samrad::storage {

class KeyRotation {
 public:
  // `kek` is the KEK the store was opened with.
  KeyRotation(const RocksHandle& rocks, Keyring& keyring, CommitPipeline& pipeline,
              crypto::SecretBytes kek)
      : rocks_(rocks), keyring_(keyring), pipeline_(pipeline), kek_(std::move(kek)) {}
  ~KeyRotation() { Stop(); }
  KeyRotation(const KeyRotation&) = delete;
  KeyRotation& operator=(const KeyRotation&) = delete;

  // Store::RotateKek.
  absl::Status RotateKek(crypto::SecretBytes new_kek);
  // Store::StartDekRotation.
  absl::Status StartDekRotation();
  // Resumes a rewrite cut short by a close (the keyring holds more than one
  // generation). At open, after the pipeline has started.
  void ResumeIfInterrupted();
  DekRotationProgress Progress();
  // Stops a running rewrite and joins its thread. Idempotent.
  void Stop();

 private:
  void StartRewrite(uint32_t generation);
  // The rewrite thread: counts, re-seals, retires the old wraps, compacts.
  void RewriteAll(uint32_t generation);
  uint64_t CountValues();
  // Re-seals `keys` of `cf` under `generation` in one op.
  absl::Status Reseal(schema::CfId cf, uint32_t generation, const std::vector<std::string>& keys);
  // Re-seals every value of `cf`; false when stopped.
  absl::StatusOr<bool> ResealFamily(schema::CfId cf, uint32_t generation);
  // Deletes every wrap but `generation`'s.
  absl::Status RetireOldWraps(uint32_t generation);
  void Fail(std::string error);

  const RocksHandle& rocks_;
  Keyring& keyring_;
  CommitPipeline& pipeline_;
  crypto::SecretBytes kek_;  // commit thread only (after the pipeline started)

  Mutex mu_;
  DekRotationProgress progress_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_KEY_ROTATION_H_
