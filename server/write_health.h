// StoreWriteHealth: whether the relay's store can write, for the gRPC health
// service. The relay answers reads while its store cannot write (disk full,
// I/O error), so this is the one signal that tells an operator or an
// orchestrator that submissions are being refused.
#ifndef SAMRAD_SERVER_WRITE_HEALTH_H_
#define SAMRAD_SERVER_WRITE_HEALTH_H_

#include <functional>

#include "absl/status/status.h"
#include "common/mutex.h"

namespace samrad::server {

class StoreWriteHealth {
 public:
  // `on_change(writable)` runs on every transition, on the thread that
  // recorded it, under this object's lock (it must not call back into it).
  // The store starts out writable; no call is made for that.
  // `on_change` is owned (and must stay callable for this object's life).
  explicit StoreWriteHealth(std::function<void(bool writable)> on_change);
  StoreWriteHealth(const StoreWriteHealth&) = delete;
  StoreWriteHealth& operator=(const StoreWriteHealth&) = delete;

  // Records the outcome of one store write. A failure of the store itself —
  // a full volume (storage::IsDiskFull), INTERNAL, UNAVAILABLE, DATA_LOSS or
  // UNKNOWN — makes it unwritable; OK makes it writable again. Refusals of the
  // request (NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS, ...) say nothing
  // about the disk and change nothing. Thread-safe.
  void Record(const absl::Status& outcome);

  // The state after the last transition. Thread-safe.
  bool writable() const;

 private:
  mutable Mutex mu_;
  bool writable_ ABSL_GUARDED_BY(mu_) = true;
  std::function<void(bool)> on_change_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_WRITE_HEALTH_H_
