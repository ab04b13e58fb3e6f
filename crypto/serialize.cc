#include "crypto/serialize.h"

#include "common/check.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace samrad::crypto {

std::string SerializeDeterministically(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    SAMRAD_CHECK(message.SerializeToCodedStream(&coded), "protobuf serialisation failed");
  }
  return out;
}

}  // namespace samrad::crypto
