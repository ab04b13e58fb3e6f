// The key directory the relay's test suites sign and publish, built in one
// place for the TLS fixture (relay_fixture.h) and the logic fixture without
// TLS (relay_logic_fixture.h): unit kTestUnit (counties 07 and 06) and the
// fallback unit kTestFallbackUnit (county 05), each listing its advisers.
#ifndef SAMRAD_TESTS_SERVER_TEST_DIRECTORY_H_
#define SAMRAD_TESTS_SERVER_TEST_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "proto/relay.pb.h"

namespace samrad::server::testing {

inline constexpr char kTestUnit[] = "rc-kronoberg";  // counties 07, 06
inline constexpr char kTestFallbackUnit[] = "nkt";   // fallback, county 05

// One adviser's key pairs, in `unit` (kTestUnit or kTestFallbackUnit).
struct AdviserKeys {
  std::string unit;
  std::string id;
  crypto::X25519PrivateKey encryption;
  crypto::Ed25519PrivateKey signing;
};

// The directory at `epoch`, issued at `issued_at_unix_ms` and valid for
// crypto::kDefaultDirectoryValidityMs, listing `advisers` (borrowed for the
// call) in their units, signed with `key`. A signing failure fails the
// calling test (EXPECT) and returns an empty SignedDirectory.
v1::SignedDirectory SignTestDirectory(uint64_t epoch, int64_t issued_at_unix_ms,
                                      const std::vector<const AdviserKeys*>& advisers,
                                      const crypto::Ed25519PrivateKey& key);

}  // namespace samrad::server::testing

#endif  // SAMRAD_TESTS_SERVER_TEST_DIRECTORY_H_
