// Fuzzes the at-rest value decoder of samrad_storage (storage/sealing.h, reachable
// because samrad_storage exports the source root): SealedGeneration and Keyring::Open
// on arbitrary sealed bytes with fixed DEKs of generations 1 and 2, UnwrapDek with a
// fixed KEK, and the protobuf record parsing that follows a successful open
// (ThreadRecord, StoredMessage, AuditEntry, RevocationRecord). Also checks that a value
// sealed under the keyring opens to exactly the input and fails under another key name.
//
// Input layout: byte 0 selects the column family name, the rest is the sealed value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "common/check.h"
#include "crypto/secret_bytes.h"
#include "proto/records.pb.h"
#include "storage/sealing.h"

namespace {

using samrad::crypto::SecretBytes;
using samrad::storage::Keyring;

SecretBytes FixedKey(uint8_t fill) {
  std::vector<uint8_t> raw(samrad::storage::kDekLen, fill);
  return SecretBytes(absl::MakeConstSpan(raw));
}

const Keyring& TestKeyring() {
  static const Keyring* keyring = [] {
    auto* k = new Keyring();
    k->Add(1, FixedKey(0x11));
    k->Add(2, FixedKey(0x22));
    return k;
  }();
  return *keyring;
}

constexpr std::string_view kColumnFamilies[] = {"threads", "messages", "audit",
                                                "revoked", "queue",    "meta"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Keyring& keyring = TestKeyring();
  std::string_view cf = kColumnFamilies[data[0] % std::size(kColumnFamilies)];
  std::string_view sealed(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view key = "fuzz-key";

  (void)samrad::storage::SealedGeneration(sealed);
  auto opened = keyring.Open(cf, key, sealed);
  if (opened.ok()) {
    // Record parsing as the store does after opening a value.
    samrad::v1::ThreadRecord thread;
    (void)thread.ParseFromString(*opened);
    samrad::v1::StoredMessage message;
    (void)message.ParseFromString(*opened);
    samrad::v1::AuditEntry audit;
    (void)audit.ParseFromString(*opened);
    samrad::v1::RevocationRecord revocation;
    (void)revocation.ParseFromString(*opened);
  }

  static const SecretBytes kek = FixedKey(0x33);
  (void)samrad::storage::UnwrapDek(kek, 1, sealed);

  // Round trip: the input as plaintext must seal and open back unchanged, and must not
  // open under another key name.
  auto resealed = keyring.Seal(cf, key, sealed);
  SAMRAD_CHECK(resealed.ok(), "sealing under the current DEK failed");
  auto reopened = keyring.Open(cf, key, *resealed);
  SAMRAD_CHECK(reopened.ok() && *reopened == sealed, "sealed value did not round-trip");
  SAMRAD_CHECK(!keyring.Open(cf, "other-key", *resealed).ok(),
               "sealed value opened under another key name");
  return 0;
}
