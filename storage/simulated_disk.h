// Test hook: the relay's store on a simulated disk that can lose power or
// fill up (storage/power_loss_fs.h), so end-to-end tests can prove the
// relay's durability promises with real processes.
//
// Two environment variables switch it on, and only in builds configured with
// -DSAMRAD_TEST_HOOKS=ON (the default of a source build, for the test suite;
// packages and production builds configure OFF, and such a relay refuses to
// start when either variable is set rather than ignore it):
//   SAMRAD_TEST_POWER_LOSS_LEDGER=FILE  record what each fsync made durable
//       in FILE; after SIGKILL, ApplyPowerLossLedger(FILE) cuts the data
//       directory back to it, as a power loss would.
//   SAMRAD_TEST_DISK_FULL_MARKER=FILE   while FILE exists, every write to the
//       store fails with "no space left", as on a full volume.
#ifndef SAMRAD_STORAGE_SIMULATED_DISK_H_
#define SAMRAD_STORAGE_SIMULATED_DISK_H_

#include <memory>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace samrad::storage {

class SimulatedDisk {
 public:
  // nullptr when neither variable is set (the normal case). FAILED_PRECONDITION
  // when one is set in a build without test hooks, or the ledger cannot be made.
  static absl::StatusOr<std::unique_ptr<SimulatedDisk>> FromEnvironment();
  virtual ~SimulatedDisk() = default;

  // Store::Open on this disk. The disk must outlive the store.
  virtual absl::StatusOr<std::unique_ptr<Store>> OpenStore(StoreOptions options) = 0;
  // One line for the log: what is simulated, and that it is a test hook.
  virtual std::string Describe() const = 0;
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_SIMULATED_DISK_H_
