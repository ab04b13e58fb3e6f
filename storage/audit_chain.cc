#include "storage/audit_chain.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/keys.h"

namespace samrad::storage {
namespace {

absl::Status ValidateAudit(const AuditDraft& draft) {
  if (draft.actor_role != "professional" && draft.actor_role != "adviser" &&
      draft.actor_role != "admin" && draft.actor_role != "relay") {
    return absl::InvalidArgumentError(
        "audit actor_role must be professional, adviser, admin or relay");
  }
  if (draft.actor_role == "professional" && !draft.actor_id.empty()) {
    return absl::InvalidArgumentError("audit actor_id must be empty for professionals");
  }
  if (draft.action.empty()) return absl::InvalidArgumentError("audit action is empty");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ComputeAuditHash(const v1::AuditEntry& entry) {
  v1::AuditEntry cleared = entry;
  cleared.clear_hash();
  std::string input = "samrad-audit-v1";
  input += entry.prev_hash();
  input += cleared.SerializeAsString();
  return crypto::Sha256(input);
}

absl::Status VerifyAuditEntry(const v1::AuditEntry& entry, uint64_t expected_index,
                              std::string_view expected_prev_hash) {
  if (entry.index() != expected_index) {
    return absl::DataLossError(absl::StrCat("audit entry ", expected_index,
                                            " is missing (found index ", entry.index(), ")"));
  }
  if (entry.prev_hash() != expected_prev_hash) {
    return absl::DataLossError(absl::StrCat("audit entry ", expected_index,
                                            ": prev_hash does not match the previous entry"));
  }
  absl::StatusOr<std::string> hash = ComputeAuditHash(entry);
  if (!hash.ok()) return hash.status();
  if (!crypto::ConstantTimeEquals(crypto::AsBytes(*hash), crypto::AsBytes(entry.hash()))) {
    return absl::DataLossError(
        absl::StrCat("audit entry ", expected_index, ": hash does not match its contents"));
  }
  return absl::OkStatus();
}

absl::Status VerifyAuditChainOf(const RocksHandle& rocks, const Keyring& keyring,
                                uint64_t* entries) {
  std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(rocksdb::ReadOptions(), rocks.cf(schema::kAudit)));
  uint64_t expected = 1;
  std::string prev_hash(32, '\0');
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    std::string_view key(it->key().data(), it->key().size());
    absl::StatusOr<std::string> plain =
        keyring.Open(schema::kCfNames[schema::kAudit], key,
                     std::string_view(it->value().data(), it->value().size()));
    v1::AuditEntry entry;
    if (!plain.ok() || !entry.ParseFromString(*plain)) {
      return absl::DataLossError(absl::StrCat(
          "audit entry ", expected, " cannot be read: it was corrupted or tampered with"));
    }
    if (key.size() != 8 || schema::ReadU64(key) != entry.index()) {
      return absl::DataLossError(
          absl::StrCat("audit entry ", expected, " is stored under the wrong key"));
    }
    if (absl::Status s = VerifyAuditEntry(entry, expected, prev_hash); !s.ok()) return s;
    prev_hash = entry.hash();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read audit log");
  if (entries != nullptr) *entries = expected - 1;
  return absl::OkStatus();
}

absl::StatusOr<AuditHead> LoadAuditHead(const RocksHandle& rocks, const Keyring& keyring) {
  std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(rocksdb::ReadOptions(), rocks.cf(schema::kAudit)));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status(), "read audit log");
  AuditHead head;
  if (!it->Valid()) return head;
  absl::StatusOr<std::string> plain =
      keyring.Open(CfName(schema::kAudit), std::string_view(it->key().data(), it->key().size()),
                   std::string_view(it->value().data(), it->value().size()));
  if (!plain.ok()) return plain.status();
  SAMRAD_ASSIGN_OR_RETURN(v1::AuditEntry last, ParseRecord<v1::AuditEntry>(schema::kAudit, *plain));
  head.index = last.index();
  head.hash = last.hash();
  return head;
}

absl::StatusOr<v1::AuditEntry> AppendAuditEntry(Txn& txn, const AuditDraft& draft) {
  if (absl::Status s = ValidateAudit(draft); !s.ok()) return s;
  AuditHead& head = txn.audit_head();
  v1::AuditEntry entry;
  entry.set_index(head.index + 1);
  entry.set_at_unix_ms(txn.now());
  entry.set_actor_role(draft.actor_role);
  entry.set_actor_id(draft.actor_id);
  entry.set_action(draft.action);
  entry.set_thread_id(draft.thread_id);
  entry.set_detail(draft.detail);
  entry.set_prev_hash(head.hash);
  absl::StatusOr<std::string> hash = ComputeAuditHash(entry);
  if (!hash.ok()) return hash.status();
  entry.set_hash(*hash);
  if (absl::Status s = txn.PutProto(schema::kAudit, schema::AuditKey(entry.index()), entry);
      !s.ok()) {
    return s;
  }
  head.index = entry.index();
  head.hash = entry.hash();
  return entry;
}

absl::Status MaybeAudit(Txn& txn, const std::optional<AuditDraft>& audit) {
  if (!audit.has_value()) return absl::OkStatus();
  return AppendAuditEntry(txn, *audit).status();
}

void AppendDetail(AuditDraft& draft, std::string_view more) {
  draft.detail =
      draft.detail.empty() ? std::string(more) : absl::StrCat(draft.detail, " ", ToAbsl(more));
}

}  // namespace samrad::storage
