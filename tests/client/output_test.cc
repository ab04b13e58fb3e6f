// Tables, JSON, ages and the metadata names.
#include "client/output.h"

#include "gtest/gtest.h"

namespace samrad::client {
namespace {

TEST(TableTest, AlignsColumnsByCodePointsWithoutTrailingSpaces) {
  Table table({"REF", "LÄN", "STATE"});
  table.AddRow({"abc123", "07", "open"});
  table.AddRow({"d", "Västra Götaland", ""});
  EXPECT_EQ(table.Render(),
            "REF     LÄN              STATE\n"
            "abc123  07               open\n"
            "d       Västra Götaland\n");
}

TEST(TableTest, PadsShortRowsAndFlattensNewlines) {
  Table table({"A", "B"});
  table.AddRow({"x\ny"});
  EXPECT_EQ(table.Render(), "A    B\nx y\n");
}

TEST(JsonTest, EscapesAndKeepsOrder) {
  Json json = Json::Object()
                  .Set("text", "rad 1\n\"citat\" \\ å\x01")
                  .Set("n", int64_t{-5})
                  .Set("ok", true)
                  .Set("none", nullptr);
  json.Set("list", Json::Array().Push(1).Push("två"));
  EXPECT_EQ(
      json.Dump(),
      R"({"text":"rad 1\n\"citat\" \\ å\u0001","n":-5,"ok":true,"none":null,"list":[1,"två"]})");
}

TEST(FormatTest, AgesAndTimestamps) {
  EXPECT_EQ(FormatAge(-10), "0s");
  EXPECT_EQ(FormatAge(42'000), "42s");
  EXPECT_EQ(FormatAge(17 * 60'000), "17m");
  EXPECT_EQ(FormatAge((5 * 60 + 12) * 60'000LL), "5h 12m");
  EXPECT_EQ(FormatAge((3 * 24 + 4) * 3'600'000LL), "3d 4h");
  EXPECT_EQ(FormatTimestamp(1'764'338'580'000), "2025-11-28 14:03 UTC");
}

TEST(NamesTest, RoundTripEveryMetadataName) {
  for (const std::string& name : CategoryNames()) {
    EXPECT_EQ(CategoryName(*ParseCategory(name)), name);
  }
  for (const std::string& name : UrgencyNames()) EXPECT_EQ(UrgencyName(*ParseUrgency(name)), name);
  for (const std::string& name : OrgTypeNames()) EXPECT_EQ(OrgTypeName(*ParseOrgType(name)), name);
  for (const std::string& name : AgeGroupNames()) {
    EXPECT_EQ(AgeGroupName(*ParseAgeGroup(name)), name);
  }
  EXPECT_EQ(ParseCategory("honour-violence"), v1::CATEGORY_HONOUR_VIOLENCE);
  EXPECT_FALSE(ParseUrgency("soon").has_value());
  EXPECT_EQ(ThreadStateName(v1::THREAD_STATE_CLAIMED), "claimed");
  EXPECT_EQ(CategoryName(v1::CATEGORY_UNSPECIFIED), "unspecified");
}

}  // namespace
}  // namespace samrad::client
