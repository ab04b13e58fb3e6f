// A fixture for the relay's logic modules without TLS (admission,
// directory_state, consultations, maintenance): a real Store on a temp dir
// (real RocksDB), a real PeerVerifier over certs/samrad-pki.sh's CA, a signed
// directory with real keys, and identities as the certificates give them.
#ifndef SAMRAD_TESTS_SERVER_RELAY_LOGIC_FIXTURE_H_
#define SAMRAD_TESTS_SERVER_RELAY_LOGIC_FIXTURE_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "gtest/gtest.h"
#include "proto/relay.pb.h"
#include "server/admission.h"
#include "server/directory_state.h"
#include "server/identity.h"
#include "storage/store.h"
#include "tests/server/test_directory.h"
#include "tests/testing/files.h"

namespace samrad::server::testing {

class RelayLogicTest : public ::testing::Test {
 protected:
  static constexpr const char* kUnit = kTestUnit;
  static constexpr const char* kOtherUnit = kTestFallbackUnit;
  using Adviser = AdviserKeys;

  void SetUp() override;

  // An identity as a verified certificate gives it (no certificate needed:
  // the logic modules take the Identity).
  static Identity Caller(Role role, const std::string& scope, const std::string& id);
  // A directory at `epoch` listing `advisers`, signed by the pinned key
  // (or `key` when given), valid from now.
  v1::SignedDirectory SignDirectory(uint64_t epoch, const std::vector<const Adviser*>& advisers,
                                    const crypto::Ed25519PrivateKey* key = nullptr);
  // Signs and installs a directory in directory_ and the store.
  void Publish(uint64_t epoch, const std::vector<const Adviser*>& advisers);

  ::samrad::harness::TempDir dir_;
  std::atomic<int64_t> now_{0};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<PeerVerifier> verifier_;
  std::unique_ptr<Admission> admission_;
  crypto::Ed25519PrivateKey directory_key_ = crypto::Ed25519PrivateKey::Generate();
  std::unique_ptr<DirectoryState> directory_;
  Adviser a1_{kUnit, "a-1", crypto::X25519PrivateKey::Generate(),
              crypto::Ed25519PrivateKey::Generate()};
  Adviser a2_{kUnit, "a-2", crypto::X25519PrivateKey::Generate(),
              crypto::Ed25519PrivateKey::Generate()};
  Adviser b1_{kOtherUnit, "b-1", crypto::X25519PrivateKey::Generate(),
              crypto::Ed25519PrivateKey::Generate()};
};

// The wire token of the reason `status` carries ("" for none).
std::string Token(const absl::Status& status);

}  // namespace samrad::server::testing

#endif  // SAMRAD_TESTS_SERVER_RELAY_LOGIC_FIXTURE_H_
