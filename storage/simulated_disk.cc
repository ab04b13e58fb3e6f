#include "storage/simulated_disk.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"

#if SAMRAD_TEST_HOOKS
#include "rocksdb/env.h"
#include "storage/power_loss_fs.h"
#include "storage/store_internal.h"
#endif

namespace samrad::storage {
namespace {

constexpr char kLedgerVariable[] = "SAMRAD_TEST_POWER_LOSS_LEDGER";
constexpr char kFullMarkerVariable[] = "SAMRAD_TEST_DISK_FULL_MARKER";

std::string Variable(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

#if SAMRAD_TEST_HOOKS
class PowerLossDisk : public SimulatedDisk {
 public:
  PowerLossDisk(std::shared_ptr<PowerLossFileSystem> fs, std::string ledger, std::string marker)
      : fs_(std::move(fs)),
        env_(rocksdb::NewCompositeEnv(fs_)),
        ledger_(std::move(ledger)),
        marker_(std::move(marker)) {}

  absl::StatusOr<std::unique_ptr<Store>> OpenStore(StoreOptions options) override {
    return OpenStoreWithEnv(std::move(options), env_.get());
  }
  std::string Describe() const override {
    return absl::StrCat("TEST HOOK, never in production: the store runs on a simulated disk",
                        ledger_.empty() ? "" : absl::StrCat(" (power-loss ledger ", ledger_, ")"),
                        marker_.empty() ? "" : absl::StrCat(" (full while ", marker_, " exists)"));
  }

 private:
  std::shared_ptr<PowerLossFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::string ledger_, marker_;
};
#endif

}  // namespace

absl::StatusOr<std::unique_ptr<SimulatedDisk>> SimulatedDisk::FromEnvironment() {
  std::string ledger = Variable(kLedgerVariable);
  std::string marker = Variable(kFullMarkerVariable);
  if (ledger.empty() && marker.empty()) return nullptr;
#if SAMRAD_TEST_HOOKS
  absl::StatusOr<std::shared_ptr<PowerLossFileSystem>> fs =
      PowerLossFileSystem::New(ledger, marker);
  if (!fs.ok()) return fs.status();
  return std::make_unique<PowerLossDisk>(*std::move(fs), ledger, marker);
#else
  return absl::FailedPreconditionError(absl::StrCat(
      ledger.empty() ? kFullMarkerVariable : kLedgerVariable,
      " is set, but this relay was built without test hooks (SAMRAD_TEST_HOOKS=OFF); unset it"));
#endif
}

}  // namespace samrad::storage
