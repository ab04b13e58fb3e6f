// common/ids: the one definition of each identifier rule.
#include "common/ids.h"

#include <algorithm>
#include <set>

#include "gtest/gtest.h"

namespace samrad::ids {
namespace {

TEST(CountyCodesTest, AreTheTwentyOneCodesInUse) {
  std::set<std::string_view> codes(CountyCodes().begin(), CountyCodes().end());
  EXPECT_EQ(codes.size(), 21u);
  for (std::string_view code : CountyCodes()) {
    EXPECT_TRUE(IsCountyCode(code)) << code;
    EXPECT_FALSE(CountyName(code).empty()) << code;
  }
  EXPECT_EQ(CountyName("07"), "Kronobergs län");
  EXPECT_EQ(CountyName("12"), "Skåne län");
  // Listed for a person choosing one: every code once, with its name, in order.
  const std::string choices = CountyChoices();
  EXPECT_EQ(choices.find("01 Stockholms län, 03 Uppsala län, "), 0u) << choices;
  EXPECT_NE(choices.find(", 07 Kronobergs län, "), std::string::npos) << choices;
  EXPECT_EQ(std::count(choices.begin(), choices.end(), ','), 20) << choices;
  // Codes retired in 1997/98 and anything that is not a code.
  for (std::string_view bad : {"02", "11", "15", "16", "00", "26", "99", "7", "007", "", "0a"}) {
    EXPECT_FALSE(IsCountyCode(bad)) << bad;
    EXPECT_TRUE(CountyName(bad).empty()) << bad;
  }
}

TEST(IdsTest, UnitClientAndHexIds) {
  EXPECT_TRUE(IsUnitId("rc-kronoberg"));
  EXPECT_TRUE(IsUnitId(std::string(64, 'a')));
  EXPECT_FALSE(IsUnitId(std::string(65, 'a')));
  for (std::string_view bad : {"", "RC", "rc_x", "rc x", "rc/x", "rå"}) EXPECT_FALSE(IsUnitId(bad));
  EXPECT_TRUE(IsClientId("Anna.B_1-2"));
  EXPECT_FALSE(IsClientId(""));
  EXPECT_FALSE(IsClientId("a b"));
  EXPECT_FALSE(IsClientId(std::string(65, 'a')));
  EXPECT_TRUE(IsHexId("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsHexId("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(IsHexId("0123"));
}

// The revocation bug: "00:09:BE:..." (as browsers print it) and "09BE..."
// (as openssl prints it) are the same integer and must be one serial.
TEST(SerialTest, EveryPrintedFormOfOneIntegerIsOneSerial) {
  const std::string canonical = "09BE4F";
  for (std::string_view typed :
       {"09BE4F", "9be4f", "0x09be4f", "0X9BE4F", "serial=09BE4F", "00:09:BE:4F", "00 09 be 4f",
        "0009be4f", "  09:be:4f\n", "000000000009BE4F"}) {
    absl::StatusOr<std::string> serial = CanonicalSerial(typed);
    ASSERT_TRUE(serial.ok()) << typed << ": " << serial.status();
    EXPECT_EQ(*serial, canonical) << typed;
  }
  EXPECT_EQ(*CanonicalSerial("0"), "00");
  EXPECT_EQ(*CanonicalSerial("00:00"), "00");
  EXPECT_EQ(*CanonicalSerial("8a"), "8A");
  EXPECT_EQ(*CanonicalSerial(std::string(40, 'F')), std::string(40, 'F'));
}

TEST(SerialTest, RefusesWhatIsNotASerialWithAnActionableMessage) {
  for (std::string_view bad : {"", "  ", "xyz", "09-BE", "0x", "41 bytes"}) {
    absl::StatusOr<std::string> serial = CanonicalSerial(bad);
    EXPECT_EQ(serial.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(serial.status().message().find("--cert FILE"), std::string_view::npos) << bad;
  }
  EXPECT_EQ(CanonicalSerial(std::string(42, 'F')).status().code(),
            absl::StatusCode::kInvalidArgument);  // 21 bytes
}

TEST(SerialTest, BytesAndTextAgree) {
  EXPECT_EQ(CanonicalSerialFromBytes(std::string("\x00\x09\xbe\x4f", 4)), "09BE4F");
  EXPECT_EQ(CanonicalSerialFromBytes(std::string("\x8a", 1)), "8A");
  EXPECT_EQ(CanonicalSerialFromBytes(std::string("\x00\x00", 2)), "00");
  EXPECT_EQ(CanonicalSerialFromBytes(""), "00");
  EXPECT_EQ(*CanonicalSerial("00:8A"), CanonicalSerialFromBytes(std::string("\x00\x8a", 2)));
}

}  // namespace
}  // namespace samrad::ids
