#include "storage/commit_pipeline.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <iterator>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace samrad::storage {

CommitPipeline::CommitPipeline(const RocksHandle& rocks, const Keyring& keyring, Options options,
                               AuditHead audit_head)
    : rocks_(rocks),
      keyring_(keyring),
      options_(std::move(options)),
      audit_head_(std::move(audit_head)) {}

CommitPipeline::~CommitPipeline() { Stop(); }

void CommitPipeline::Start() {
  completion_thread_ = std::thread([this] { CompletionLoop(); });
  commit_thread_ = std::thread([this] { CommitLoop(); });
}

void CommitPipeline::Stop() {
  {
    MutexLock lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (commit_thread_.joinable()) commit_thread_.join();
  // The commit thread has handed over its last group; run what is left.
  {
    MutexLock lock(completion_mu_);
    completion_stopping_ = true;
  }
  completion_cv_.notify_all();
  if (completion_thread_.joinable()) completion_thread_.join();
}

void CommitPipeline::Enqueue(PendingOp op) {
  bool queued = false;
  {
    MutexLock lock(queue_mu_);
    if (!stopping_) {
      queue_.push_back(std::move(op));
      queued = true;
    }
  }
  if (queued) {
    queue_cv_.notify_one();
    return;
  }
  std::move(op.complete)(absl::UnavailableError("the store is closing"));
}

void CommitPipeline::SubmitDone(absl::AnyInvocable<absl::Status(Txn&)> apply, DoneCallback done) {
  Submit<bool>(
      [apply = std::move(apply)](Txn& txn) mutable -> absl::StatusOr<bool> {
        absl::Status status = apply(txn);
        if (!status.ok()) return status;
        return true;
      },
      [done = std::move(done)](absl::StatusOr<bool> result) mutable {
        std::move(done)(result.status());
      });
}

absl::Status CommitPipeline::RunSync(absl::AnyInvocable<absl::Status(Txn&)> apply) {
  std::promise<absl::Status> promise;
  std::future<absl::Status> future = promise.get_future();
  SubmitDone(std::move(apply),
             [&promise](absl::Status status) mutable { promise.set_value(std::move(status)); });
  return future.get();
}

absl::Status CommitPipeline::RunPipelined(std::vector<absl::AnyInvocable<absl::Status(Txn&)>> ops) {
  constexpr size_t kMaxInFlight = 1024;
  Mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0;
  absl::Status first_error;
  for (auto& op : ops) {
    {
      MutexLock lock(mu);
      while (in_flight >= kMaxInFlight) lock.Wait(cv);
      ++in_flight;
    }
    SubmitDone(std::move(op), [&](absl::Status status) {
      MutexLock lock(mu);
      if (!status.ok() && first_error.ok()) first_error = std::move(status);
      --in_flight;
      cv.notify_all();  // under the lock: the waiter may return at once
    });
  }
  MutexLock lock(mu);
  while (in_flight != 0) lock.Wait(cv);
  return first_error;
}

void CommitPipeline::CommitLoop() {
  std::vector<PendingOp> group;
  while (true) {
    {
      MutexLock lock(queue_mu_);
      while (queue_.empty() && !stopping_) lock.Wait(queue_cv_);
      if (queue_.empty()) return;  // stopping and drained
      size_t take = std::min(queue_.size(), kMaxGroupOps);
      std::move(queue_.begin(), queue_.begin() + take, std::back_inserter(group));
      queue_.erase(queue_.begin(), queue_.begin() + take);
    }
    CommitGroup(group);
    group.clear();
  }
}

void CommitPipeline::CommitGroup(std::vector<PendingOp>& group) {
  Txn txn(rocks_, keyring_, audit_head_);
  for (PendingOp& op : group) {
    txn.BeginOp(options_.clock());
    txn.EndOp(op.apply(txn).ok());
  }
  absl::Status commit;
  if (txn.pending_writes() > 0) commit = WriteGroup(txn, group.size());
  if (commit.ok()) {
    txn.RunHooks();
  } else {
    txn.AbandonGroup();
  }
  CompletedGroup done{std::move(commit), {}};
  done.completions.reserve(group.size());
  for (PendingOp& op : group) done.completions.push_back(std::move(op.complete));
  {
    MutexLock lock(completion_mu_);
    completed_.push_back(std::move(done));
  }
  completion_cv_.notify_one();
}

// The group's one synced write, after resuming RocksDB if the last write
// failed.
absl::Status CommitPipeline::WriteGroup(Txn& txn, size_t ops) {
  if (!last_write_error_.ok()) {
    // A failed write leaves RocksDB read-only until it is resumed (e.g.
    // once disk space is freed). Until then the group fails with the
    // original cause, so callers see "disk full" rather than "busy".
    if (!ResumeAfterWriteError().ok()) {
      absl::Status commit = absl::Status(
          last_write_error_.code(),
          absl::StrCat(last_write_error_.message(),
                       " (the store is read-only until this is fixed; it retries on the "
                       "next write)"));
      last_write_error_.ForEachPayload([&commit](absl::string_view url, const absl::Cord& payload) {
        commit.SetPayload(url, payload);
      });
      return commit;
    }
    last_write_error_ = absl::OkStatus();
  }
  ArmWalAnchor();
  rocksdb::WriteOptions write;
  write.sync = true;
  const auto started = std::chrono::steady_clock::now();
  absl::Status commit = FromRocks(rocks_.db()->Write(write, txn.write_batch()), "commit");
  if (options_.on_group_written) {
    options_.on_group_written(ops, std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count());
  }
  last_write_error_ = commit;
  return commit;
}

// Brings RocksDB back to writable after a write-stopping error (RocksDB
// does not recover on its own, see OpenRocks). Tried only when the volume
// has room for every memtable, which Resume() flushes: a resume that runs
// out of space again only fails again. Commit thread only.
absl::Status CommitPipeline::ResumeAfterWriteError() {
  rocksdb::DB* db = rocks_.db();
  uint64_t memtable_bytes = 0;
  db->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &memtable_bytes);
  struct statvfs volume;
  if (::statvfs(options_.data_dir.c_str(), &volume) == 0 &&
      static_cast<uint64_t>(volume.f_bavail) * volume.f_frsize < memtable_bytes + (1u << 20)) {
    return absl::ResourceExhaustedError("the store's volume is still full");
  }
  return FromRocks(db->Resume(), "resume after a failed write");
}

// A failed WAL append may leave a torn record at the end of the current
// WAL, and its writer refuses (in Debian's librocksdb: asserts) any further
// append. Resume() moves to a fresh WAL only when it flushes a non-empty
// memtable, which is not the case when nothing was written since the last
// flush. So the default family (unused otherwise) always holds an anchor
// entry, written without WAL: whenever its memtable has been flushed, the
// next commit re-arms it. The anchor carries nothing and is not needed
// after a crash. Commit thread only.
void CommitPipeline::ArmWalAnchor() {
  rocksdb::DB* db = rocks_.db();
  uint64_t entries = 0;
  if (db->GetIntProperty(db->DefaultColumnFamily(), "rocksdb.num-entries-active-mem-table",
                         &entries) &&
      entries > 0) {
    return;
  }
  rocksdb::WriteOptions no_wal;
  no_wal.disableWAL = true;
  db->Put(no_wal, db->DefaultColumnFamily(), "wal-anchor", "").PermitUncheckedError();
}

// Runs the completions of written groups, oldest group first, so replies go
// out (gRPC's Finish is most of a callback's cost) while the commit thread
// writes the next group.
void CommitPipeline::CompletionLoop() {
  std::deque<CompletedGroup> batch;
  while (true) {
    {
      MutexLock lock(completion_mu_);
      while (completed_.empty() && !completion_stopping_) lock.Wait(completion_cv_);
      if (completed_.empty()) return;  // stopping and drained
      batch.swap(completed_);
    }
    for (CompletedGroup& group : batch) {
      for (auto& complete : group.completions) std::move(complete)(group.commit);
    }
    batch.clear();
  }
}

}  // namespace samrad::storage
