// Test harness for the relay: a PKI made by certs/samrad-pki.sh in a temp
// directory, a directory signing key, adviser keys, a real RelayServer on
// 127.0.0.1 port 0 with real mTLS, and helpers that seal envelopes and sign
// ownership proofs with samrad_crypto.
#ifndef SAMRAD_TESTS_SERVER_RELAY_FIXTURE_H_
#define SAMRAD_TESTS_SERVER_RELAY_FIXTURE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "crypto/ownership_proof.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/config.pb.h"
#include "proto/relay.grpc.pb.h"
#include "server/config.h"
#include "server/relay_server.h"
#include "tests/server/test_directory.h"
#include "tests/testing/files.h"

namespace samrad::server::testing {

// The shared harness's temp directory and file helpers (tests/testing).
using ::samrad::harness::ReadFile;
using ::samrad::harness::TempDir;
using ::samrad::harness::WriteFile;

// Runs certs/samrad-pki.sh with `args` (shell-quoted by the caller). Returns
// its exit status; output goes to the test log.
int RunPki(const std::string& args);

// Issues one more client certificate from SharedPki()'s CA
// (`samrad-pki.sh client ROLE SCOPE ID`) unless it exists already, and returns
// its name ROLE-SCOPE-ID for RelayTest::Stub. Call from the test thread.
std::string IssueClientCertificate(const std::string& role, const std::string& scope,
                                   const std::string& id);

// The serial of SharedPki() certificate `name` in upper-case hex, as
// `samrad-pki.sh serial` prints it and the relay compares it; empty on failure.
std::string CertificateSerialHex(const std::string& name);

// A professional's per-thread keys.
struct ThreadKeys {
  std::string thread_id;
  crypto::X25519PrivateKey reply;
  crypto::Ed25519PrivateKey signing;
};

// Shared PKI for the whole test binary (made once; certificates are cheap
// to reuse, stores are not shared).
struct TestPki {
  std::string dir;
  std::string other_dir;  // a second CA that the relay does not trust
  std::string Cert(const std::string& name) const { return dir + "/" + name + ".crt"; }
  std::string Key(const std::string& name) const { return dir + "/" + name + ".key"; }
};
const TestPki& SharedPki();

class RelayTest : public ::testing::Test {
 protected:
  static constexpr const char* kUnit = kTestUnit;
  static constexpr const char* kOtherUnit = kTestFallbackUnit;
  static constexpr char kProfessional[] = "professional-07-p-1";
  static constexpr char kProfessional2[] = "professional-07-p-2";
  static constexpr char kAdviser[] = "adviser-rc-kronoberg-a-1";
  static constexpr char kAdviser2[] = "adviser-rc-kronoberg-a-2";
  static constexpr char kOtherAdviser[] = "adviser-nkt-b-1";
  static constexpr char kAdmin[] = "admin-national-ops-1";

  void SetUp() override;
  void TearDown() override;

  // Config for a relay in data_dir_; tests may change it before StartRelay.
  v1::RelayConfig BaseConfig();
  // `clock` (Unix ms) drives the relay, its store and certificate checks.
  void StartRelay(v1::RelayConfig config, std::function<int64_t()> clock = nullptr);
  void StartRelay() { StartRelay(BaseConfig()); }
  void StopRelay();

  // A stub authenticated as the PKI certificate `name` (its .crt/.key);
  // empty name: TLS without a client certificate.
  std::unique_ptr<v1::Relay::Stub> Stub(const std::string& name);
  std::unique_ptr<v1::Relay::Stub> StubWithFiles(const std::string& cert_file,
                                                 const std::string& key_file,
                                                 const std::string& ca_file);
  std::shared_ptr<grpc::Channel> Channel(const std::string& name);

  // Signs and publishes a directory at `epoch` listing the advisers.
  void PublishDirectory(uint64_t epoch);
  v1::SignedDirectory SignDirectory(uint64_t epoch);

  ThreadKeys NewThreadKeys();
  std::vector<crypto::X25519PublicKey> UnitRecipients(const std::string& unit);
  // The serialised envelope of a professional's message (epoch 0: epoch_).
  std::string SealFromProfessional(const ThreadKeys& thread, const std::string& message_id,
                                   uint64_t sequence, const std::string& text, bool first,
                                   const std::string& unit = kUnit, uint64_t epoch = 0);
  std::string SealFromAdviser(const AdviserKeys& adviser, const ThreadKeys& thread,
                              const std::string& message_id, uint64_t sequence,
                              const std::string& text, uint64_t epoch = 0);
  // The referral note ReferThread requires: sealed by `adviser` for
  // `to_unit` (its advisers and the thread's reply key), naming it.
  std::string SealReferralNote(const AdviserKeys& adviser, const ThreadKeys& thread,
                               uint64_t sequence, const std::string& to_unit);
  v1::SubmitConsultationRequest SubmitRequest(const ThreadKeys& thread, const std::string& text,
                                              std::string* message_id = nullptr);
  // Submits and expects OK.
  v1::Ack Submit(const ThreadKeys& thread, const std::string& text);
  template <typename Request>
  void Prove(Request& request, const std::string& method, const ThreadKeys& thread) {
    request.clear_proof();
    *request.mutable_proof() = crypto::MakeOwnershipProof(
        method, thread.thread_id, crypto::RequestDigest(request), NowMs(), thread.signing);
  }
  static int64_t NowMs();

  std::unique_ptr<TempDir> temp_;
  std::string data_dir_;
  std::unique_ptr<RelayServer> relay_;
  int port_ = 0;
  std::unique_ptr<crypto::Ed25519PrivateKey> directory_key_;
  std::map<std::string, AdviserKeys> advisers_;  // by certificate name
  // The last epoch published; envelopes sealed with epoch 0 use it.
  uint64_t epoch_ = 1;
};

}  // namespace samrad::server::testing

#endif  // SAMRAD_TESTS_SERVER_RELAY_FIXTURE_H_
