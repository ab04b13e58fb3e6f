// The client's audit chain check against the storage's own hash (an
// independent implementation of the same construction): a chain built by
// the storage's rule verifies; a changed field, a dropped entry and a
// broken link are each named.
#include "client/admin_audit.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/localized_status.h"
#include "gtest/gtest.h"
#include "storage/store_internal.h"

namespace samrad::client {
namespace {

std::vector<v1::AuditEntry> Chain(int n) {
  std::vector<v1::AuditEntry> chain;
  std::string prev(kAuditHashLen, '\0');
  for (int i = 1; i <= n; ++i) {
    v1::AuditEntry entry;
    entry.set_index(static_cast<uint64_t>(i));
    entry.set_at_unix_ms(1700000000000 + i);
    entry.set_actor_role(i % 2 ? "adviser" : "professional");
    if (i % 2) entry.set_actor_id("a-1");
    entry.set_action(i % 2 ? "claim" : "follow_up");
    entry.set_thread_id(std::string(32, 'a'));
    entry.set_detail(absl::StrCat("n=", i));
    entry.set_prev_hash(prev);
    absl::StatusOr<std::string> hash = storage::ComputeAuditHash(entry);
    EXPECT_TRUE(hash.ok());
    entry.set_hash(*hash);
    prev = *hash;
    chain.push_back(entry);
  }
  return chain;
}

// The index of the first entry that fails, or 0 when all pass.
uint64_t FirstBroken(const std::vector<v1::AuditEntry>& chain) {
  std::string prev(kAuditHashLen, '\0');
  uint64_t next = 1;
  for (const v1::AuditEntry& entry : chain) {
    if (!CheckAuditEntry(entry, next, prev).ok()) return next;
    prev = entry.hash();
    ++next;
  }
  return 0;
}

TEST(AdminAuditTest, ChainFromStorageVerifies) {
  std::vector<v1::AuditEntry> chain = Chain(5);
  EXPECT_EQ(FirstBroken(chain), 0u);
  EXPECT_EQ(ExpectedAuditHash(chain[2]), chain[2].hash());
}

TEST(AdminAuditTest, AlteredEntryIsNamed) {
  std::vector<v1::AuditEntry> chain = Chain(5);
  chain[2].set_action("read");
  EXPECT_EQ(FirstBroken(chain), 3u);
  absl::Status s = CheckAuditEntry(chain[2], 3, chain[1].hash());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("altered"), std::string::npos) << s;
  EXPECT_EQ(LocalizedText(s, Messages(Language::kSwedish)),
            "dess hash stämmer inte med innehållet (posten har ändrats)");
}

TEST(AdminAuditTest, MissingEntryIsNamed) {
  std::vector<v1::AuditEntry> chain = Chain(5);
  chain.erase(chain.begin() + 3);
  EXPECT_EQ(FirstBroken(chain), 4u);
  EXPECT_NE(CheckAuditEntry(chain[3], 4, chain[2].hash()).message().find("missing"),
            std::string::npos);
  EXPECT_EQ(
      LocalizedText(CheckAuditEntry(chain[3], 4, chain[2].hash()), Messages(Language::kSwedish)),
      "post 4 väntades men post 5 kom (en post saknas)");
}

TEST(AdminAuditTest, RehashedEntryBreaksTheNextLink) {
  std::vector<v1::AuditEntry> chain = Chain(5);
  // Whoever alters entry 2 and recomputes its hash still breaks entry 3.
  chain[1].set_detail("changed");
  chain[1].set_hash(ExpectedAuditHash(chain[1]));
  EXPECT_EQ(FirstBroken(chain), 3u);
  // A first entry must follow the all-zero hash.
  std::vector<v1::AuditEntry> first = Chain(1);
  EXPECT_FALSE(CheckAuditEntry(first[0], 1, std::string(kAuditHashLen, '\1')).ok());
}

}  // namespace
}  // namespace samrad::client
