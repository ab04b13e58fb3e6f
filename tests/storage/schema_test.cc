// Tests of storage/schema.cc: key encodings sort the way the indexes need.
#include "storage/schema.h"

#include "gtest/gtest.h"

namespace samrad::storage::schema {
namespace {

v1::ThreadRecord Thread(const std::string& id, v1::Urgency urgency, int64_t created) {
  v1::ThreadRecord thread;
  thread.set_thread_id(id);
  thread.set_unit("u");
  thread.set_state(v1::THREAD_STATE_OPEN);
  thread.mutable_metadata()->set_urgency(urgency);
  thread.set_created_at_unix_ms(created);
  return thread;
}

TEST(SchemaTest, SignedTimesSortNumerically) {
  std::string negative, zero, positive;
  AppendI64(&negative, -5);
  AppendI64(&zero, 0);
  AppendI64(&positive, 7);
  EXPECT_LT(negative, zero);
  EXPECT_LT(zero, positive);
  EXPECT_EQ(ReadI64(negative), -5);
  EXPECT_EQ(ReadI64(positive), 7);
}

TEST(SchemaTest, QueueKeysOrderByUrgencyThenAge) {
  EXPECT_LT(QueueKey(Thread("b", v1::URGENCY_ACUTE, 200)),
            QueueKey(Thread("a", v1::URGENCY_HIGH, 100)));
  EXPECT_LT(QueueKey(Thread("b", v1::URGENCY_HIGH, 100)),
            QueueKey(Thread("a", v1::URGENCY_HIGH, 200)));
  EXPECT_LT(QueueKey(Thread("z", v1::URGENCY_NORMAL, 1)),
            QueueKey(Thread("a", v1::URGENCY_UNSPECIFIED, 0)));
}

TEST(SchemaTest, MessageKeysOfOneThreadDoNotInterleaveWithAnother) {
  // "ab" sorts before "abc", and the 0x00 separator keeps all of "ab"'s
  // messages before any of "abc"'s.
  EXPECT_LT(MessageKey("ab", ~uint64_t{0}), MessageKey("abc", 0));
  EXPECT_FALSE(MessageKey("abc", 1).starts_with(MessagePrefix("ab")));
  std::optional<Location> parsed = ParseMessageKey(MessageKey("t-1", 42));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->thread_id, "t-1");
  EXPECT_EQ(parsed->sequence, 42u);
  EXPECT_FALSE(ParseMessageKey("short").has_value());
}

TEST(SchemaTest, KeyPartsRefuseEmptyLongAndNul) {
  EXPECT_TRUE(ValidateKeyPart("unit", "unit-a").ok());
  EXPECT_EQ(ValidateKeyPart("unit", "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateKeyPart("unit", std::string(257, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateKeyPart("unit", std::string("a\0b", 3)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace samrad::storage::schema
