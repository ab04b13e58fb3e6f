#include "tests/server/test_directory.h"

#include "crypto/directory.h"
#include "gtest/gtest.h"

namespace samrad::server::testing {

v1::SignedDirectory SignTestDirectory(uint64_t epoch, int64_t issued_at_unix_ms,
                                      const std::vector<const AdviserKeys*>& advisers,
                                      const crypto::Ed25519PrivateKey& key) {
  v1::KeyDirectory directory;
  directory.set_epoch(epoch);
  directory.set_issued_at_unix_ms(issued_at_unix_ms);
  directory.set_not_after_unix_ms(issued_at_unix_ms + crypto::kDefaultDirectoryValidityMs);
  directory.set_fallback_unit_id(kTestFallbackUnit);
  v1::UnitEntry* unit = directory.add_units();
  unit->set_unit_id(kTestUnit);
  unit->set_display_name("Resurscentrum Kronoberg");
  unit->add_counties("07");
  unit->add_counties("06");
  v1::UnitEntry* fallback = directory.add_units();
  fallback->set_unit_id(kTestFallbackUnit);
  fallback->set_display_name("Nationella kompetensteamet");
  fallback->add_counties("05");
  for (const AdviserKeys* adviser : advisers) {
    auto* entry = (adviser->unit == kTestUnit ? unit : fallback)->add_advisers();
    entry->set_adviser_id(adviser->id);
    entry->set_encryption_public_key(adviser->encryption.public_key().bytes());
    entry->set_signing_public_key(adviser->signing.public_key().bytes());
  }
  absl::StatusOr<v1::SignedDirectory> signed_directory = crypto::SignDirectory(directory, key);
  EXPECT_TRUE(signed_directory.ok()) << signed_directory.status();
  return signed_directory.ok() ? *std::move(signed_directory) : v1::SignedDirectory();
}

}  // namespace samrad::server::testing
