// Fuzzes the key directory path a client runs on bytes from the relay or a file:
// parse SignedDirectory, crypto::VerifyDirectory with a fixed directory key, then
// ValidateDirectory and RouteCounty. A forged signature stops the real path before
// validation, so the inner bytes are also parsed as a KeyDirectory and validated/routed
// directly, and every valid directory is signed with the fixed key and must round-trip
// through VerifyDirectory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "crypto/directory.h"
#include "crypto/keys.h"
#include "proto/directory.pb.h"

namespace {

using samrad::crypto::Ed25519PrivateKey;

const Ed25519PrivateKey& DirectoryKey() {
  static const Ed25519PrivateKey* key = [] {
    uint8_t seed[32];
    for (uint8_t& b : seed) b = 0x03;
    auto k = Ed25519PrivateKey::FromSeed(seed);
    SAMRAD_CHECK(k.ok(), "fixed fuzz directory key must load");
    return new Ed25519PrivateKey(*std::move(k));
  }();
  return *key;
}

// Routes a few county codes plus ones taken from the directory itself.
void RouteSome(const samrad::v1::KeyDirectory& directory) {
  static constexpr std::string_view kCounties[] = {"01", "07", "25", "", "99", "7", "xx"};
  for (std::string_view county : kCounties) {
    auto unit = samrad::crypto::RouteCounty(directory, county);
    if (unit.ok()) SAMRAD_CHECK(*unit != nullptr, "RouteCounty returned a null unit");
  }
  for (const auto& unit : directory.units()) {
    for (const std::string& county : unit.counties()) {
      (void)samrad::crypto::RouteCounty(directory, county);
    }
    auto found = samrad::crypto::FindUnit(directory, unit.unit_id());
    if (found.ok()) SAMRAD_CHECK(*found != nullptr, "FindUnit returned a null unit");
  }
}

void CheckDirectory(const samrad::v1::KeyDirectory& directory) {
  if (!samrad::crypto::ValidateDirectory(directory).ok()) return;
  RouteSome(directory);
  auto signed_directory = samrad::crypto::SignDirectory(directory, DirectoryKey());
  if (!signed_directory.ok()) return;
  auto verified = samrad::crypto::VerifyDirectory(*signed_directory, DirectoryKey().public_key());
  SAMRAD_CHECK(verified.ok(), "a valid directory signed with the key did not verify");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Ed25519PrivateKey& key = DirectoryKey();
  std::string bytes(reinterpret_cast<const char*>(data), size);

  samrad::v1::SignedDirectory signed_directory;
  if (signed_directory.ParseFromString(bytes)) {
    auto verified = samrad::crypto::VerifyDirectory(signed_directory, key.public_key());
    if (verified.ok()) {
      (void)samrad::crypto::ValidateDirectory(*verified);
      RouteSome(*verified);
    }
    samrad::v1::KeyDirectory inner;
    if (inner.ParseFromString(signed_directory.directory())) CheckDirectory(inner);
  }
  samrad::v1::KeyDirectory direct;
  if (direct.ParseFromString(bytes)) CheckDirectory(direct);
  return 0;
}
