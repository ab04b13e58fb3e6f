#include "storage/txn.h"

#include <utility>

namespace samrad::storage {

Txn::Txn(const RocksHandle& rocks, const Keyring& keyring, AuditHead& audit_head)
    : rocks_(rocks),
      keyring_(keyring),
      audit_head_(audit_head),
      group_start_(audit_head),
      batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true) {}

absl::StatusOr<std::optional<std::string>> Txn::GetRaw(schema::CfId cf, std::string_view key) {
  std::string value;
  rocksdb::Status status = batch_.GetFromBatchAndDB(rocks_.db(), rocksdb::ReadOptions(),
                                                    rocks_.cf(cf), ToSlice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, absl::StrCat("read ", CfLabel(cf)));
  return value;
}

absl::StatusOr<std::optional<std::string>> Txn::Get(schema::CfId cf, std::string_view key) {
  absl::StatusOr<std::optional<std::string>> raw = GetRaw(cf, key);
  if (!raw.ok() || !raw->has_value()) return raw;
  absl::StatusOr<std::string> plain = keyring_.Open(CfName(cf), key, **raw);
  if (!plain.ok()) return plain.status();
  return *std::move(plain);
}

absl::Status Txn::Put(schema::CfId cf, std::string_view key, std::string_view plaintext) {
  absl::StatusOr<std::string> sealed = keyring_.Seal(CfName(cf), key, plaintext);
  if (!sealed.ok()) return sealed.status();
  PutRaw(cf, key, *sealed);
  return absl::OkStatus();
}

absl::Status Txn::PutProto(schema::CfId cf, std::string_view key,
                           const google::protobuf::Message& proto) {
  return Put(cf, key, proto.SerializeAsString());
}

void Txn::PutRaw(schema::CfId cf, std::string_view key, std::string_view value) {
  batch_.Put(rocks_.cf(cf), ToSlice(key), ToSlice(value)).PermitUncheckedError();
}

void Txn::Delete(schema::CfId cf, std::string_view key) {
  batch_.Delete(rocks_.cf(cf), ToSlice(key)).PermitUncheckedError();
}

rocksdb::Iterator* Txn::NewIterator(schema::CfId cf) {
  return batch_.NewIteratorWithBase(
      rocks_.cf(cf), rocks_.db()->NewIterator(rocksdb::ReadOptions(), rocks_.cf(cf)));
}

void Txn::BeginOp(int64_t now) {
  now_ = now;
  batch_.SetSavePoint();
  op_audit_head_ = audit_head_;
  op_hooks_ = hooks_.size();
}

void Txn::EndOp(bool keep) {
  if (keep) {
    batch_.PopSavePoint().PermitUncheckedError();
    return;
  }
  batch_.RollbackToSavePoint().PermitUncheckedError();
  audit_head_ = op_audit_head_;
  hooks_.resize(op_hooks_);
}

void Txn::RunHooks() {
  for (auto& hook : hooks_) hook();
  hooks_.clear();
}

}  // namespace samrad::storage
