// The store's reads (internal to samrad_storage): straight from RocksDB,
// values opened through the keyring. Each read sees every write whose
// callback has run (and possibly later ones). The contract of each read (its
// codes, limits and order) is that of the Store method of the same name in
// store.h. Thread-safe: a StoreReader holds no state of its own; the rocks
// handle and the keyring are borrowed and must outlive it.
#ifndef SAMRAD_STORAGE_QUERIES_H_
#define SAMRAD_STORAGE_QUERIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "proto/directory.pb.h"
#include "proto/records.pb.h"
#include "storage/rocks.h"
#include "storage/sealing.h"
#include "storage/stats.h"
#include "storage/store.h"

namespace samrad::storage {

// NOT_FOUND "thread … not found" (the same for a thread of another unit).
absl::Status ThreadNotFound(std::string_view thread_id);

class StoreReader {
 public:
  StoreReader(const RocksHandle& rocks, const Keyring& keyring)
      : rocks_(rocks), keyring_(keyring) {}

  absl::StatusOr<v1::ThreadRecord> GetThread(const std::string& thread_id);
  absl::StatusOr<std::vector<v1::StoredMessage>> ListMessages(const std::string& thread_id,
                                                              uint64_t after_sequence,
                                                              uint32_t limit);
  absl::StatusOr<MessagePage> ReadMessagePage(const std::string& thread_id, uint64_t after_sequence,
                                              uint32_t max_count, size_t max_bytes);
  absl::StatusOr<v1::StoredMessage> FindMessage(const std::string& message_id);
  absl::StatusOr<QueuePageResult> ListQueue(const QueueQuery& query);
  absl::StatusOr<v1::SignedDirectory> GetDirectory(uint64_t* epoch);
  absl::StatusOr<bool> IsRevoked(const std::string& serial_hex);
  absl::StatusOr<std::vector<v1::RevocationRecord>> ListRevoked();
  absl::StatusOr<std::vector<v1::AuditEntry>> ReadAudit(uint64_t after_index, int64_t since_unix_ms,
                                                        uint32_t limit);
  // Store::Stats at time `now_ms`: scans every thread record.
  absl::StatusOr<std::vector<v1::StatsRow>> Stats(const StatsQuery& query, int64_t now_ms);

 private:
  absl::StatusOr<std::optional<std::string>> ReadValue(schema::CfId cf, std::string_view key,
                                                       const rocksdb::ReadOptions& read = {});
  template <typename Proto>
  absl::StatusOr<std::optional<Proto>> ReadProto(schema::CfId cf, std::string_view key,
                                                 const rocksdb::ReadOptions& read = {});
  template <typename Proto>
  absl::StatusOr<Proto> OpenProto(schema::CfId cf, const rocksdb::Slice& key,
                                  const rocksdb::Slice& value);
  absl::Status ForEach(schema::CfId cf, std::string_view prefix,
                       absl::FunctionRef<absl::Status(const rocksdb::Iterator&)> visit,
                       const rocksdb::ReadOptions& read = {});
  absl::StatusOr<QueuePageResult> ScanQueue(const QueueQuery& query,
                                            const std::vector<v1::ThreadState>& states,
                                            const std::string& after,
                                            const rocksdb::ReadOptions& read);

  const RocksHandle& rocks_;
  const Keyring& keyring_;
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_QUERIES_H_
