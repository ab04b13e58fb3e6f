// Deterministic protobuf serialisation for bytes that are signed or hashed.
//
// Protobuf's default serialisation may order map entries differently between
// runs; this form does not (within one protobuf version). Unknown fields are
// kept as parsed. Thread-safe.
#ifndef SAMRAD_CRYPTO_SERIALIZE_H_
#define SAMRAD_CRYPTO_SERIALIZE_H_

#include <string>

#include "google/protobuf/message_lite.h"

namespace samrad::crypto {

// Serialises `message` deterministically. A message missing no required
// fields (proto3 has none) always serialises; SAMRAD_CHECK otherwise.
std::string SerializeDeterministically(const google::protobuf::MessageLite& message);

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_SERIALIZE_H_
