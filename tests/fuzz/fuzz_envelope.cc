// Fuzzes the envelope parser and the verify/open path a recipient runs on bytes from the
// relay: crypto::ParseEnvelope, then VerifyEnvelopeSignature and OpenEnvelope with fixed
// test keys. Contract checked: no crash, no sanitizer report, and an envelope that opens
// must also pass the signature check on its own.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"

namespace {

using samrad::crypto::Ed25519PrivateKey;
using samrad::crypto::X25519PrivateKey;

// Fixed, public test keys: seeds 0x01.. and 0x02.. (never used outside fuzzing).
struct Keys {
  Ed25519PrivateKey signer;
  X25519PrivateKey recipient;
};

const Keys& TestKeys() {
  static const Keys* keys = [] {
    uint8_t seed[32];
    for (uint8_t& b : seed) b = 0x01;
    auto signer = Ed25519PrivateKey::FromSeed(seed);
    for (uint8_t& b : seed) b = 0x02;
    auto recipient = X25519PrivateKey::FromRaw(seed);
    SAMRAD_CHECK(signer.ok() && recipient.ok(), "fixed fuzz keys must load");
    return new Keys{*std::move(signer), *std::move(recipient)};
  }();
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Keys& keys = TestKeys();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = samrad::crypto::ParseEnvelope(bytes);
  if (!parsed.ok()) return 0;
  // Exercise the header accessors the relay and client use.
  samrad::crypto::EnvelopeContext claimed = parsed->context();
  (void)samrad::crypto::EnvelopeAad(claimed);
  absl::Status signature =
      samrad::crypto::VerifyEnvelopeSignature(*parsed, keys.signer.public_key());
  auto body =
      samrad::crypto::OpenEnvelope(*parsed, claimed, keys.signer.public_key(), keys.recipient);
  SAMRAD_CHECK(!body.ok() || signature.ok(), "envelope opened without a valid signature");
  return 0;
}
