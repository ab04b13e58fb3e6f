// What the relay and the client agree on outside the protobuf messages
// (proto/relay.proto names both): gRPC metadata and status details.
//
// Constants only.
#ifndef SAMRAD_COMMON_RELAY_PROTOCOL_H_
#define SAMRAD_COMMON_RELAY_PROTOCOL_H_

namespace samrad::protocol {

// Initial metadata of GetDirectory: the relay's limits.max_envelope_bytes in
// decimal, so a client can refuse a text that is too long before sealing it.
inline constexpr char kMaxEnvelopeBytesMetadata[] = "samrad-max-envelope-bytes";

// The status details (grpc::Status::error_details) of a RESOURCE_EXHAUSTED
// that is a size limit: the same request will be refused again, unlike a rate
// limit or a full disk.
inline constexpr char kSizeLimitDetail[] = "samrad.v1/size-limit";

}  // namespace samrad::protocol

#endif  // SAMRAD_COMMON_RELAY_PROTOCOL_H_
