// The wire contract: records and envelopes survive a round trip, and the
// deterministic serialisation that ownership proofs hash is stable.
#include <string>

#include <gtest/gtest.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "proto/envelope.pb.h"
#include "proto/relay.pb.h"

namespace samrad {
namespace {

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

TEST(ProtoTest, EnvelopeHeaderRoundTrips) {
  v1::EnvelopeHeader h;
  h.set_version(1);
  h.set_thread_id(std::string(32, 'a'));
  h.set_sequence(7);
  h.set_sender_role(v1::SENDER_ROLE_ADVISER);
  auto* r = h.add_recipients();
  r->set_key_id(std::string(16, '\x01'));
  std::string bytes = h.SerializeAsString();
  v1::EnvelopeHeader back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.sequence(), 7u);
  EXPECT_EQ(back.recipients(0).key_id(), std::string(16, '\x01'));
}

TEST(ProtoTest, DeterministicSerialisationIgnoresMapInsertionOrder) {
  v1::StatsRow a, b;
  (*a.mutable_group())["unit"] = "nkt";
  (*a.mutable_group())["county"] = "05";
  (*b.mutable_group())["county"] = "05";
  (*b.mutable_group())["unit"] = "nkt";
  EXPECT_EQ(Deterministic(a), Deterministic(b));
}

}  // namespace
}  // namespace samrad
