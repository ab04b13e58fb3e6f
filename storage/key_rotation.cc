#include "storage/key_rotation.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/random.h"
#include "storage/compaction.h"
#include "storage/schema.h"

namespace samrad::storage {
namespace {

constexpr size_t kDekRewriteBatch = 512;

}  // namespace

using crypto::SecretBytes;
using schema::CfId;

absl::Status KeyRotation::RotateKek(SecretBytes new_kek) {
  if (new_kek.size() != kDekLen) return absl::InvalidArgumentError("the new KEK must be 32 bytes");
  auto shared_kek = std::make_shared<SecretBytes>(std::move(new_kek));
  absl::Status status = pipeline_.RunSync([this, shared_kek](Txn& txn) -> absl::Status {
    for (uint32_t generation : keyring_.generations()) {
      absl::StatusOr<SecretBytes> dek = keyring_.CloneDek(generation);
      if (!dek.ok()) return dek.status();
      absl::StatusOr<std::string> wrapped = WrapDek(*shared_kek, generation, *dek);
      if (!wrapped.ok()) return wrapped.status();
      txn.PutRaw(schema::kMeta, schema::DekKey(generation), *wrapped);
    }
    txn.OnCommit([this, shared_kek] { kek_ = shared_kek->Clone(); });
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  // The old wraps still sit in the WAL, memtables and SST files, where the
  // old KEK would unwrap them: flush and compact meta so no copy remains.
  if (absl::Status s = FlushAndCompact(rocks_, {{schema::kMeta, std::nullopt}}); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("the data key is re-wrapped under the new KEK, but removing "
                                     "the old wraps from disk failed; rotate again to "
                                     "the new KEK to retry: ",
                                     s.message()));
  }
  return absl::OkStatus();
}

absl::Status KeyRotation::StartDekRotation() {
  {
    MutexLock lock(mu_);
    if (progress_.running) {
      return absl::FailedPreconditionError("a data-key rotation is already running");
    }
  }
  if (thread_.joinable()) thread_.join();
  const uint32_t generation = keyring_.current_generation() + 1;
  auto dek = std::make_shared<SecretBytes>(kDekLen);
  crypto::SystemRandom().Fill(dek->mutable_span());
  absl::Status status = pipeline_.RunSync([this, generation, dek](Txn& txn) -> absl::Status {
    absl::StatusOr<std::string> wrapped = WrapDek(kek_, generation, *dek);
    if (!wrapped.ok()) return wrapped.status();
    txn.PutRaw(schema::kMeta, schema::DekKey(generation), *wrapped);
    // New values use the new generation only once its wrap is durable.
    txn.OnCommit([this, generation, dek] { keyring_.Add(generation, dek->Clone()); });
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  StartRewrite(generation);
  return absl::OkStatus();
}

void KeyRotation::ResumeIfInterrupted() {
  if (keyring_.generations().size() > 1) StartRewrite(keyring_.current_generation());
}

DekRotationProgress KeyRotation::Progress() {
  MutexLock lock(mu_);
  return progress_;
}

void KeyRotation::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void KeyRotation::StartRewrite(uint32_t generation) {
  {
    MutexLock lock(mu_);
    progress_ = DekRotationProgress{true, 0, 0, generation, ""};
  }
  stop_ = false;
  thread_ = std::thread([this, generation] { RewriteAll(generation); });
}

void KeyRotation::Fail(std::string error) {
  MutexLock lock(mu_);
  progress_.error = std::move(error);
}

uint64_t KeyRotation::CountValues() {
  uint64_t total = 0;
  for (int cf = 0; cf < schema::kNumCfs; ++cf) {
    std::unique_ptr<rocksdb::Iterator> it(
        rocks_.db()->NewIterator(rocksdb::ReadOptions(), rocks_.cf(static_cast<CfId>(cf))));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++total;
  }
  return total;
}

absl::Status KeyRotation::Reseal(CfId cf, uint32_t generation,
                                 const std::vector<std::string>& keys) {
  // Inside the commit thread, so a concurrent write to the same key is
  // never overwritten with stale bytes.
  return pipeline_.RunSync([this, cf, generation, &keys](Txn& txn) -> absl::Status {
    for (const std::string& key : keys) {
      if (cf == schema::kMeta && key.starts_with(schema::kDekKeyPrefix)) continue;
      absl::StatusOr<std::optional<std::string>> sealed = txn.GetRaw(cf, key);
      if (!sealed.ok()) return sealed.status();
      if (!sealed->has_value()) continue;  // deleted meanwhile
      if (SealedGeneration(**sealed) == generation) continue;
      absl::StatusOr<std::string> plain = keyring_.Open(CfName(cf), key, **sealed);
      if (!plain.ok()) return plain.status();
      absl::StatusOr<std::string> resealed = keyring_.SealWith(generation, CfName(cf), key, *plain);
      if (!resealed.ok()) return resealed.status();
      txn.PutRaw(cf, key, *resealed);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> KeyRotation::ResealFamily(CfId cf, uint32_t generation) {
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_.db()->NewIterator(rocksdb::ReadOptions(), rocks_.cf(cf)));
  it->SeekToFirst();
  while (it->Valid()) {
    if (stop_) return false;  // resumed on the next Open
    std::vector<std::string> keys;
    for (; it->Valid() && keys.size() < kDekRewriteBatch; it->Next()) {
      keys.emplace_back(it->key().data(), it->key().size());
    }
    SAMRAD_RETURN_IF_ERROR(Reseal(cf, generation, keys));
    MutexLock lock(mu_);
    progress_.values_done += keys.size();
  }
  return true;
}

absl::Status KeyRotation::RetireOldWraps(uint32_t generation) {
  return pipeline_.RunSync([this, generation](Txn& txn) -> absl::Status {
    for (uint32_t old : keyring_.generations()) {
      if (old != generation) txn.Delete(schema::kMeta, schema::DekKey(old));
    }
    return absl::OkStatus();
  });
}

void KeyRotation::RewriteAll(uint32_t generation) {
  const uint64_t total = CountValues();  // first, for progress
  {
    MutexLock lock(mu_);
    progress_.values_total = total;
  }
  bool failed = false;
  for (int cf = 0; cf < schema::kNumCfs && !failed; ++cf) {
    absl::StatusOr<bool> done = ResealFamily(static_cast<CfId>(cf), generation);
    if (!done.ok()) {
      Fail(std::string(done.status().message()));
      failed = true;
    } else if (!*done) {
      return;  // stopped: resumed on the next Open
    }
  }
  if (!failed) {
    // Every value is under the new generation: retire the older wraps.
    if (absl::Status s = RetireOldWraps(generation); !s.ok()) {
      Fail(std::string(s.message()));
      failed = true;
    }
  }
  if (!failed) {
    // The old generation's ciphertext (and the retired wraps) still sit in
    // WAL files, memtables and SST files: flush and compact every column
    // family so no file of the data directory holds any of it. The rotation
    // reports done only after this.
    std::vector<CompactionRange> everything;
    for (int cf = 0; cf < schema::kNumCfs; ++cf) {
      everything.push_back({static_cast<CfId>(cf), std::nullopt});
    }
    if (absl::Status s = FlushAndCompact(rocks_, everything); !s.ok()) {
      Fail(absl::StrCat(
          "every value is re-sealed under data key generation ", generation,
          ", but removing the old ciphertext from disk failed (rotate again to retry): ",
          s.message()));
      failed = true;
    }
  }
  MutexLock lock(mu_);
  progress_.running = false;
  if (!failed) {
    // The count taken at the start misses values written since; report the
    // finished rewrite as complete.
    progress_.values_total = std::max(progress_.values_done, progress_.values_total);
    progress_.values_done = progress_.values_total;
  }
}

}  // namespace samrad::storage
