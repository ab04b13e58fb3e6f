// Txn: the commit thread's view of the database plus one group's pending
// writes (internal to samrad_storage). Every write operation (write_ops.h)
// and every audit entry (audit_chain.h) goes through a Txn; the commit
// pipeline (commit_pipeline.h) owns it and writes its batch once per group.
//
// Reads see the database plus the writes pending in this group. Values are
// sealed on Put and opened on Get under the keyring. Each op runs between
// BeginOp and EndOp: a failed op leaves nothing behind (its writes, its audit
// entries and its commit hooks are rolled back). Not thread-safe: the commit
// thread only.
#ifndef SAMRAD_STORAGE_TXN_H_
#define SAMRAD_STORAGE_TXN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/sealing.h"

namespace samrad::storage {

// The last entry of the audit chain: what the next entry links to.
struct AuditHead {
  uint64_t index = 0;
  std::string hash = std::string(32, '\0');
};

inline rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
inline std::string_view CfName(schema::CfId cf) { return schema::kCfNames[cf]; }
inline absl::string_view CfLabel(schema::CfId cf) { return ToAbsl(schema::kCfNames[cf]); }

// Parses an opened value of `cf`; DATA_LOSS "a record in <cf> does not
// parse" when it does not.
template <typename Proto>
absl::StatusOr<Proto> ParseRecord(schema::CfId cf, std::string_view plain) {
  Proto proto;
  if (!proto.ParseFromArray(plain.data(), static_cast<int>(plain.size()))) {
    return absl::DataLossError(absl::StrCat("a record in ", CfLabel(cf), " does not parse"));
  }
  return proto;
}

class Txn {
 public:
  // `rocks`, `keyring` and `audit_head` must outlive the Txn. `audit_head`
  // is the chain's head, advanced by each audit entry this group appends.
  Txn(const RocksHandle& rocks, const Keyring& keyring, AuditHead& audit_head);
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  // The op's time (Unix ms), set by BeginOp.
  int64_t now() const { return now_; }

  // The stored (sealed) bytes, or nullopt when absent.
  absl::StatusOr<std::optional<std::string>> GetRaw(schema::CfId cf, std::string_view key);
  // The opened value, or nullopt when absent. DATA_LOSS when it does not open.
  absl::StatusOr<std::optional<std::string>> Get(schema::CfId cf, std::string_view key);
  // As Get, parsed; DATA_LOSS when it does not parse.
  template <typename Proto>
  absl::StatusOr<std::optional<Proto>> GetProto(schema::CfId cf, std::string_view key) {
    absl::StatusOr<std::optional<std::string>> plain = Get(cf, key);
    if (!plain.ok()) return plain.status();
    if (!plain->has_value()) return std::nullopt;
    return ParseRecord<Proto>(cf, **plain);
  }

  // Seals `plaintext` under the current DEK and stages it.
  absl::Status Put(schema::CfId cf, std::string_view key, std::string_view plaintext);
  absl::Status PutProto(schema::CfId cf, std::string_view key,
                        const google::protobuf::Message& proto);
  // Stages already sealed bytes (key rotation).
  void PutRaw(schema::CfId cf, std::string_view key, std::string_view value);
  void Delete(schema::CfId cf, std::string_view key);

  // Iterates `cf` as the database plus this group's pending writes. The
  // caller owns the iterator.
  rocksdb::Iterator* NewIterator(schema::CfId cf);

  // Runs after the group is durable (e.g. in-memory state that must follow
  // the disk). Dropped when the op fails or the group's write fails.
  void OnCommit(absl::AnyInvocable<void()> hook) { hooks_.push_back(std::move(hook)); }

  // The audit chain's head as this op sees it (audit_chain.h advances it).
  AuditHead& audit_head() { return audit_head_; }

  // ---- For the commit pipeline ----

  // Starts an op at time `now`: a save point of the batch, the audit head
  // and the commit hooks.
  void BeginOp(int64_t now);
  // Ends the op: keeps its writes when `keep`, else rolls all of them back.
  void EndOp(bool keep);
  // The group's write failed: the audit head goes back to the group's start.
  void AbandonGroup() { audit_head_ = group_start_; }
  // Number of staged writes.
  uint32_t pending_writes() { return batch_.GetWriteBatch()->Count(); }
  rocksdb::WriteBatch* write_batch() { return batch_.GetWriteBatch(); }
  void RunHooks();

 private:
  const RocksHandle& rocks_;
  const Keyring& keyring_;
  AuditHead& audit_head_;
  const AuditHead group_start_;
  rocksdb::WriteBatchWithIndex batch_;
  std::vector<absl::AnyInvocable<void()>> hooks_;
  int64_t now_ = 0;
  // The op's save point (besides the batch's own).
  AuditHead op_audit_head_;
  size_t op_hooks_ = 0;
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_TXN_H_
