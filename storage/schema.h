// The on-disk layout of a Samråd store: column families and key encodings.
//
// Internal to samrad_storage (and its tests and tools); the relay uses
// store.h only. Keys are plaintext (RocksDB must order them); every value is
// sealed (sealing.h). Keys therefore hold only what ordering needs: ids,
// units, state, urgency and times - never message content.
//
//   threads       thread_id                                  -> ThreadRecord
//   messages      thread_id 0x00 seq(u64 BE)                 -> StoredMessage
//   message_ids   message_id                                 -> thread_id 0x00 seq(u64 BE)
//   queue_index   unit 0x00 state(1) rank(1) created(i64) thread_id -> category(1)
//   expiry_index  'A' last_activity(i64) thread_id           -> empty (not CLOSED)
//                 'C' closed_at(i64) thread_id               -> empty (CLOSED)
//   directory     "latest"                                   -> epoch(u64 BE) SignedDirectory
//   audit         index(u64 BE)                              -> AuditEntry
//   revocations   serial_hex                                 -> RevocationRecord
//   meta          "schema_version"                           -> u32 BE
//                 "dek/" gen(u32 BE)                         -> DEK wrapped by the KEK
//
// i64 times are stored as big-endian of (value XOR 2^63) so they sort as
// signed numbers. rank orders urgency: ACUTE 0, HIGH 1, NORMAL 2, other 3.
#ifndef SAMRAD_STORAGE_SCHEMA_H_
#define SAMRAD_STORAGE_SCHEMA_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/records.pb.h"

namespace samrad::storage {

// This Abseil is built without std::string_view; StrCat and friends take
// absl::string_view. Converts at those call sites.
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace samrad::storage

namespace samrad::storage::schema {

// Column family names, in the order the store opens them (index = CfId).
enum CfId : int {
  kThreads = 0,
  kMessages,
  kQueueIndex,
  kExpiryIndex,
  kDirectory,
  kAudit,
  kRevocations,
  kMessageIds,
  kMeta,
  kNumCfs,
};
inline constexpr std::array<std::string_view, kNumCfs> kCfNames = {
    "threads", "messages",    "queue_index", "expiry_index", "directory",
    "audit",   "revocations", "message_ids", "meta"};

inline constexpr std::string_view kSchemaVersionKey = "schema_version";
inline constexpr std::string_view kDekKeyPrefix = "dek/";
inline constexpr std::string_view kDirectoryKey = "latest";
inline constexpr char kExpiryActive = 'A';
inline constexpr char kExpiryClosed = 'C';

void AppendU32(std::string* out, uint32_t v);
void AppendU64(std::string* out, uint64_t v);
void AppendI64(std::string* out, int64_t v);  // sortable signed encoding
uint32_t ReadU32(std::string_view in);        // in.size() >= 4
uint64_t ReadU64(std::string_view in);        // in.size() >= 8
int64_t ReadI64(std::string_view in);         // in.size() >= 8

uint8_t UrgencyRank(v1::Urgency urgency);

// Ids and units become key parts: non-empty, at most 256 bytes, no NUL.
// INVALID_ARGUMENT naming `what` otherwise.
absl::Status ValidateKeyPart(std::string_view what, std::string_view value);

std::string ThreadKey(std::string_view thread_id);
std::string MessagePrefix(std::string_view thread_id);  // thread_id 0x00
std::string MessageKey(std::string_view thread_id, uint64_t sequence);
// The message-id index value: where the message lives.
std::string MessageLocation(std::string_view thread_id, uint64_t sequence);
struct Location {
  std::string thread_id;
  uint64_t sequence = 0;
};
std::optional<Location> ParseMessageLocation(std::string_view value);
// Splits a messages key; nullopt when malformed.
std::optional<Location> ParseMessageKey(std::string_view key);
// As ParseMessageKey, without copying: thread_id views into `key`.
struct LocationView {
  std::string_view thread_id;
  uint64_t sequence = 0;
};
std::optional<LocationView> SplitMessageKey(std::string_view key);

// Queue index. The "order suffix" (rank, created, thread_id) is what the
// queue sorts by and what the opaque cursor carries.
std::string QueueUnitStatePrefix(std::string_view unit, v1::ThreadState state);
std::string QueueOrderSuffix(const v1::ThreadRecord& thread);
std::string QueueKey(const v1::ThreadRecord& thread);
std::string QueueValue(const v1::ThreadRecord& thread);
// Expiry index entry of a thread: by last activity, or by close time.
std::string ExpiryKey(const v1::ThreadRecord& thread);
std::string ExpiryPrefix(char kind);

std::string AuditKey(uint64_t index);
std::string DekKey(uint32_t generation);

}  // namespace samrad::storage::schema

#endif  // SAMRAD_STORAGE_SCHEMA_H_
