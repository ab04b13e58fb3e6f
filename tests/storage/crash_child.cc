// Child process of store_crash_test: opens the store and appends from many
// threads forever, writing each acknowledged message id as one line to a
// file descriptor. The parent SIGKILLs it at a random moment.
//
// Usage: storage_crash_child DATA_DIR KEK_HEX CYCLE WRITERS FD
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace {

using namespace samrad::storage;           // NOLINT: test helper
using namespace samrad::storage::testing;  // NOLINT: test helper

void Report(int fd, const std::string& id) {
  std::string line = id + "\n";  // < PIPE_BUF: one atomic write
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::_Exit(3);
}

void Writer(Store& store, int fd, const std::string& prefix) {
  for (int thread_number = 0;; ++thread_number) {
    std::string thread_id = absl::StrCat(prefix, "-t", thread_number);
    std::string first_id = thread_id + "-1";
    if (!CreateThreadSync(store, MakeThread(thread_id, "unit-a"),
                          ProfessionalMessage(thread_id, first_id, 1, std::string(512, 'e')))
             .ok()) {
      std::_Exit(4);
    }
    Report(fd, first_id);
    // Audit entries share groups with the appends: fsck verifies the chain.
    if (!Await<samrad::v1::AuditEntry>([&](Callback<samrad::v1::AuditEntry> done) {
           store.AppendAudit(AuditDraft{"relay", "", "crash-test", thread_id, ""}, std::move(done));
         }).ok()) {
      std::_Exit(6);
    }
    for (int sequence = 2; sequence <= 8; ++sequence) {
      std::string id = absl::StrCat(thread_id, "-", sequence);
      if (!AppendSync(store, ProfessionalMessage(thread_id, id, sequence, std::string(512, 'f')))
               .ok()) {
        std::_Exit(5);
      }
      Report(fd, id);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int writers = 0;
  int fd = -1;
  if (argc != 6 || !absl::SimpleAtoi(argv[4], &writers) || !absl::SimpleAtoi(argv[5], &fd)) {
    std::fprintf(stderr, "usage: %s DATA_DIR KEK_HEX CYCLE WRITERS FD\n", argv[0]);
    return 2;
  }
  StoreOptions options;
  options.data_dir = argv[1];
  options.kek = samrad::crypto::SecretBytes::FromString(absl::HexStringToBytes(argv[2]));
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(std::move(options));
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  // Every fourth cycle also rotates the data key, so kills land in the
  // middle of a rotation too (it resumes on the next open).
  int cycle = 0;
  if (absl::SimpleAtoi(argv[3], &cycle) && cycle % 4 == 1) {
    absl::Status rotation = (*store)->StartDekRotation();
    if (!rotation.ok() && !absl::IsFailedPrecondition(rotation)) {
      std::fprintf(stderr, "rotation: %s\n", rotation.ToString().c_str());
      return 1;
    }
  }
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back(Writer, std::ref(**store), fd, absl::StrCat("c", argv[3], "-w", w));
  }
  for (std::thread& thread : threads) thread.join();  // never: killed by the parent
  return 0;
}
