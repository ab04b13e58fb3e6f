// CommitPipeline: the store's group commit (internal to samrad_storage).
//
// Every mutation is a closure over a Txn, queued with its completion. One
// commit thread takes everything queued (at most kMaxGroupOps), runs each
// closure in order against one Txn (a failed closure leaves nothing behind),
// writes the group's batch once with sync = true (one fsync for the group),
// then hands the completions, each with its own outcome, to the completion
// thread, which runs them in commit order while the next group is written.
//
// A failed write (e.g. disk full) fails every op of its group and leaves
// nothing behind; later groups fail with the same cause until RocksDB can be
// resumed (tried before each group), then the pipeline recovers by itself.
//
// Thread-safety: Enqueue, Submit, SubmitDone, RunSync and RunPipelined may be
// called from any thread; RunSync and RunPipelined block and must never be
// called from a completion (the completion thread would wait on itself).
// Ownership: the rocks handle and the keyring are borrowed and must outlive
// the pipeline; Stop (or destruction) drains the queue first.
#ifndef SAMRAD_STORAGE_COMMIT_PIPELINE_H_
#define SAMRAD_STORAGE_COMMIT_PIPELINE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "storage/store.h"
#include "storage/txn.h"

namespace samrad::storage {

// Ops taken into one group at most.
inline constexpr size_t kMaxGroupOps = 4096;

// One queued mutation: `apply` runs on the commit thread against the group's
// Txn, `complete` runs on the completion thread with the op's outcome (its
// own error, else the group's write status).
struct PendingOp {
  absl::AnyInvocable<absl::Status(Txn&)> apply;
  absl::AnyInvocable<void(absl::Status)> complete;
};

class CommitPipeline {
 public:
  struct Options {
    std::string data_dir;            // for the free-space check before a resume
    std::function<int64_t()> clock;  // each op's Txn::now(); required
    std::function<void(size_t, int64_t)> on_group_written;  // StoreOptions'; optional
  };

  // `audit_head` is the chain's head as stored (LoadAuditHead).
  CommitPipeline(const RocksHandle& rocks, const Keyring& keyring, Options options,
                 AuditHead audit_head);
  // Stop().
  ~CommitPipeline();
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  // Starts the commit and completion threads. Once.
  void Start();
  // Commits what is queued, runs every completion, joins both threads.
  // Later ops fail UNAVAILABLE "the store is closing". Idempotent.
  void Stop();

  // Queues `op`; after Stop its completion runs at once with UNAVAILABLE.
  void Enqueue(PendingOp op);

  // Queues `apply`; `done` gets its result once the group is durable, or the
  // group's write error.
  template <typename T>
  void Submit(absl::AnyInvocable<absl::StatusOr<T>(Txn&)> apply, Callback<T> done) {
    auto result = std::make_shared<std::optional<absl::StatusOr<T>>>();
    PendingOp op;
    op.apply = [apply = std::move(apply), result](Txn& txn) mutable {
      *result = apply(txn);
      return (*result)->status();
    };
    op.complete = [done = std::move(done), result](absl::Status commit) mutable {
      if (!result->has_value() || (!commit.ok() && (*result)->ok())) {
        std::move(done)(commit);
      } else {
        std::move(done)(std::move(**result));
      }
    };
    Enqueue(std::move(op));
  }
  void SubmitDone(absl::AnyInvocable<absl::Status(Txn&)> apply, DoneCallback done);

  // Submits and waits. Never from a completion.
  absl::Status RunSync(absl::AnyInvocable<absl::Status(Txn&)> apply);
  // Submits every op, at most 1024 queued at a time so they share group
  // commits, and waits for all of them. Returns the first failure. Never
  // from a completion.
  absl::Status RunPipelined(std::vector<absl::AnyInvocable<absl::Status(Txn&)>> ops);

 private:
  // A written group's outcome and its completions.
  struct CompletedGroup {
    absl::Status commit;
    std::vector<absl::AnyInvocable<void(absl::Status)>> completions;
  };

  void CommitLoop();
  void CommitGroup(std::vector<PendingOp>& group);
  absl::Status WriteGroup(Txn& txn, size_t ops);
  absl::Status ResumeAfterWriteError();
  void ArmWalAnchor();
  void CompletionLoop();

  const RocksHandle& rocks_;
  const Keyring& keyring_;
  const Options options_;

  Mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingOp> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread commit_thread_;

  Mutex completion_mu_;
  std::condition_variable completion_cv_;
  std::deque<CompletedGroup> completed_ ABSL_GUARDED_BY(completion_mu_);
  bool completion_stopping_ ABSL_GUARDED_BY(completion_mu_) = false;
  std::thread completion_thread_;

  AuditHead audit_head_;           // commit thread only (after Start)
  absl::Status last_write_error_;  // commit thread only: why the last write failed
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_COMMIT_PIPELINE_H_
