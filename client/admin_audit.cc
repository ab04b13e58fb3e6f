#include "client/admin_audit.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "client/config.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "crypto/keys.h"
#include "crypto/secret_bytes.h"
#include "crypto/serialize.h"

namespace samrad::client {
namespace {

constexpr char kAuditDomain[] = "samrad-audit-v1";

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string ExpectedAuditHash(const v1::AuditEntry& entry) {
  v1::AuditEntry cleared = entry;
  cleared.clear_hash();
  return crypto::Sha256(
      absl::StrCat(kAuditDomain, entry.prev_hash(), crypto::SerializeDeterministically(cleared)));
}

absl::Status CheckAuditEntry(const v1::AuditEntry& entry, uint64_t expected_index,
                             const std::string& prev_hash) {
  if (entry.index() != expected_index) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzAuditEntryMissing,
                     {absl::StrCat(expected_index), absl::StrCat(entry.index())});
  }
  if (entry.prev_hash().size() != kAuditHashLen ||
      !crypto::ConstantTimeEquals(Bytes(entry.prev_hash()), Bytes(prev_hash))) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzAuditPrevHashWrong);
  }
  const std::string expected = ExpectedAuditHash(entry);
  if (entry.hash().size() != kAuditHashLen ||
      !crypto::ConstantTimeEquals(Bytes(entry.hash()), Bytes(expected))) {
    return Localized(absl::StatusCode::kDataLoss, Msg::kLzAuditEntryAltered);
  }
  return absl::OkStatus();
}

std::string AuditAnchorPath(const std::string& keystore_path) {
  return keystore_path + ".audit-anchor";
}

absl::StatusOr<AuditAnchor> LoadAuditAnchor(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path, 4096);
  if (!text.ok()) return text.status();
  std::vector<std::string> parts = absl::StrSplit(*text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  const absl::Status damaged =
      Localized(absl::StatusCode::kDataLoss, Msg::kLzAuditAnchorDamaged, {path});
  AuditAnchor anchor;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &anchor.index)) return damaged;
  absl::StatusOr<std::string> hash = FromHex(parts[1]);
  if (!hash.ok() || hash->size() != kAuditHashLen) return damaged;
  anchor.hash = *std::move(hash);
  return anchor;
}

absl::Status SaveAuditAnchor(const std::string& path, const AuditAnchor& anchor) {
  return WriteFileAtomically(path, absl::StrCat(anchor.index, " ", ToHex(anchor.hash), "\n"), 0600);
}

}  // namespace samrad::client
