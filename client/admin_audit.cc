#include "client/admin_audit.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "client/config.h"
#include "client/file_util.h"
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
    return absl::DataLossError(absl::StrCat("expected index ", expected_index, ", found ",
                                            entry.index(), " (an entry is missing)"));
  }
  if (entry.prev_hash().size() != kAuditHashLen ||
      !crypto::ConstantTimeEquals(Bytes(entry.prev_hash()), Bytes(prev_hash))) {
    return absl::DataLossError("prev_hash is not the hash of the entry before it");
  }
  const std::string expected = ExpectedAuditHash(entry);
  if (entry.hash().size() != kAuditHashLen ||
      !crypto::ConstantTimeEquals(Bytes(entry.hash()), Bytes(expected))) {
    return absl::DataLossError("its hash does not match its contents (altered)");
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
  AuditAnchor anchor;
  absl::StatusOr<std::string> hash =
      parts.size() == 2 ? FromHex(parts[1]) : absl::InvalidArgumentError("two fields");
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &anchor.index) || !hash.ok() ||
      hash->size() != kAuditHashLen) {
    return absl::DataLossError(absl::StrCat(
        "the audit anchor ", path,
        " is damaged; remove it to start a new anchor (only after checking the relay)"));
  }
  anchor.hash = *std::move(hash);
  return anchor;
}

absl::Status SaveAuditAnchor(const std::string& path, const AuditAnchor& anchor) {
  return WriteFileAtomically(path, absl::StrCat(anchor.index, " ", ToHex(anchor.hash), "\n"), 0600);
}

}  // namespace samrad::client
