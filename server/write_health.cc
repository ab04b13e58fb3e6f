#include "server/write_health.h"

#include <utility>

#include "storage/store.h"

namespace samrad::server {
namespace {

// True when `status` says the store could not write, as opposed to refusing
// the request.
bool IsStoreFailure(const absl::Status& status) {
  if (storage::IsDiskFull(status)) return true;
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace

StoreWriteHealth::StoreWriteHealth(std::function<void(bool writable)> on_change)
    : on_change_(std::move(on_change)) {}

void StoreWriteHealth::Record(const absl::Status& outcome) {
  bool writable;
  if (outcome.ok()) {
    writable = true;
  } else if (IsStoreFailure(outcome)) {
    writable = false;
  } else {
    return;
  }
  MutexLock lock(mu_);
  if (writable == writable_) return;
  writable_ = writable;
  if (on_change_) on_change_(writable);
}

bool StoreWriteHealth::writable() const {
  MutexLock lock(mu_);
  return writable_;
}

}  // namespace samrad::server
