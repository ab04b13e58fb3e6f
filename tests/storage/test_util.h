// Helpers shared by the storage tests: temp directories, synchronous
// wrappers around the Store's callbacks, record builders and raw access to a
// closed store's RocksDB.
#ifndef SAMRAD_TESTS_STORAGE_TEST_UTIL_H_
#define SAMRAD_TESTS_STORAGE_TEST_UTIL_H_

#include <atomic>
#include <future>
#include <string>

#include "absl/functional/function_ref.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/testing/files.h"

namespace samrad::storage::testing {

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
using ::samrad::harness::TempDir;

crypto::SecretBytes RandomKek();

template <typename T>
absl::StatusOr<T> Await(absl::FunctionRef<void(Callback<T>)> start) {
  std::promise<absl::StatusOr<T>> promise;
  std::future<absl::StatusOr<T>> future = promise.get_future();
  start([&promise](absl::StatusOr<T> result) mutable { promise.set_value(std::move(result)); });
  return future.get();
}

absl::Status AwaitDone(absl::FunctionRef<void(DoneCallback)> start);

v1::ThreadRecord MakeThread(const std::string& thread_id, const std::string& unit,
                            v1::Urgency urgency = v1::URGENCY_NORMAL,
                            v1::Category category = v1::CATEGORY_OTHER,
                            int64_t created_at_unix_ms = 0);
v1::StoredMessage ProfessionalMessage(const std::string& thread_id, const std::string& message_id,
                                      uint64_t sequence, const std::string& envelope = "");
v1::StoredMessage AdviserMessage(const std::string& thread_id, const std::string& message_id,
                                 uint64_t sequence, const std::string& adviser_id);

absl::StatusOr<Appended> CreateThreadSync(Store& store, const v1::ThreadRecord& thread,
                                          const v1::StoredMessage& first);
absl::StatusOr<Appended> AppendSync(Store& store, const v1::StoredMessage& message);

// Reads / writes a raw (sealed) value of a closed store.
absl::StatusOr<std::string> ReadRaw(const StoreOptions& options, int cf, const std::string& key);
absl::Status WriteRaw(const StoreOptions& options, int cf, const std::string& key,
                      const std::string& value);

// True when any regular file below `dir` contains `needle`.
bool AnyFileContains(const std::string& dir, const std::string& needle);

}  // namespace samrad::storage::testing

#endif  // SAMRAD_TESTS_STORAGE_TEST_UTIL_H_
