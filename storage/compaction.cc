#include "storage/compaction.h"

#include <algorithm>

namespace samrad::storage {

void KeyRanges::Touch(schema::CfId cf, const std::string& key) {
  auto [it, inserted] = ranges_.try_emplace(cf, key, key);
  if (!inserted) {
    it->second.first = std::min(it->second.first, key);
    it->second.second = std::max(it->second.second, key);
  }
}

std::vector<CompactionRange> KeyRanges::ToCompactionRanges() const {
  std::vector<CompactionRange> out;
  for (const auto& [cf, range] : ranges_) out.push_back({cf, range});
  return out;
}

absl::Status FlushAndCompact(const RocksHandle& rocks, const std::vector<CompactionRange>& ranges) {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (absl::Status s = FromRocks(rocks.db()->Flush(flush, rocks.all_handles()), "flush"); !s.ok()) {
    return s;
  }
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (const CompactionRange& range : ranges) {
    std::optional<rocksdb::Slice> begin;
    std::optional<rocksdb::Slice> end;
    if (range.bounds.has_value()) {
      begin.emplace(range.bounds->first);
      end.emplace(range.bounds->second);
    }
    if (absl::Status s =
            FromRocks(rocks.db()->CompactRange(compact, rocks.cf(range.cf),
                                               begin ? &*begin : nullptr, end ? &*end : nullptr),
                      "compact");
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace samrad::storage
