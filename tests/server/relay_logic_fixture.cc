#include "tests/server/relay_logic_fixture.h"

#include <chrono>
#include <utility>

#include "common/reasons.h"
#include "crypto/directory.h"
#include "tests/server/relay_fixture.h"
#include "tests/storage/test_util.h"

namespace samrad::server::testing {

std::string Token(const absl::Status& status) {
  auto wire = reasons::ReasonOf(status);
  return wire.has_value() ? wire->token : "";
}

void RelayLogicTest::SetUp() {
  now_ = std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  storage::StoreOptions options;
  options.data_dir = dir_.path() + "/db";
  options.kek = storage::testing::RandomKek();
  auto store = storage::Store::Open(std::move(options));
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  auto verifier =
      PeerVerifier::New(SharedPki().dir + "/ca.crt", 1000, [this] { return now_.load(); });
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  verifier_ = *std::move(verifier);
  AdmissionOptions admission;
  admission.proof_window_ms = 120'000;
  admission.rate_per_second = 1000;
  admission.rate_burst = 1000;
  admission.clock = [this] { return now_.load(); };
  admission_ = std::make_unique<Admission>(store_.get(), verifier_.get(), std::move(admission));
  directory_ = std::make_unique<DirectoryState>(directory_key_.public_key());
}

Identity RelayLogicTest::Caller(Role role, const std::string& scope, const std::string& id) {
  Identity identity;
  identity.role = role;
  identity.scope = scope;
  identity.id = id;
  identity.serial_hex = "0A" + id.substr(0, 1);
  return identity;
}

v1::SignedDirectory RelayLogicTest::SignDirectory(uint64_t epoch,
                                                  const std::vector<const Adviser*>& advisers,
                                                  const crypto::Ed25519PrivateKey* key) {
  return SignTestDirectory(epoch, now_, advisers, key != nullptr ? *key : directory_key_);
}

void RelayLogicTest::Publish(uint64_t epoch, const std::vector<const Adviser*>& advisers) {
  const v1::SignedDirectory signed_directory = SignDirectory(epoch, advisers);
  auto snapshot = directory_->Verify(&signed_directory, now_);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_TRUE(storage::testing::AwaitDone([&](storage::DoneCallback done) {
                store_->PutDirectory(signed_directory, epoch, std::nullopt, std::move(done));
              }).ok());
  directory_->Install(*std::move(snapshot));
}

}  // namespace samrad::server::testing
