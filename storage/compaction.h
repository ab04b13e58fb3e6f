// Making deleted and overwritten values physically gone (internal to
// samrad_storage): retention, KEK and DEK rotation flush and compact what
// they changed, so no file of the data directory keeps the old bytes.
#ifndef SAMRAD_STORAGE_COMPACTION_H_
#define SAMRAD_STORAGE_COMPACTION_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "storage/rocks.h"
#include "storage/schema.h"

namespace samrad::storage {

// A key range of one column family; without bounds, the whole family.
struct CompactionRange {
  schema::CfId cf;
  std::optional<std::pair<std::string, std::string>> bounds;
};

// The smallest and largest key touched per column family. Not thread-safe.
class KeyRanges {
 public:
  void Touch(schema::CfId cf, const std::string& key);
  bool empty() const { return ranges_.empty(); }
  // One bounded range per touched family, in family order.
  std::vector<CompactionRange> ToCompactionRanges() const;

 private:
  std::map<schema::CfId, std::pair<std::string, std::string>> ranges_;
};

// Flushes every memtable (so the WAL files holding the old values become
// obsolete and RocksDB deletes them) and compacts each range down to the
// bottommost level, where tombstones and the older versions they shadow
// vanish (their input SST files are deleted). Bytes pinned by a live
// iterator or snapshot go when it is released. Blocks; maintenance only.
// The first RocksDB error, translated by FromRocks.
absl::Status FlushAndCompact(const RocksHandle& rocks, const std::vector<CompactionRange>& ranges);

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_COMPACTION_H_
