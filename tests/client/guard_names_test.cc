// The anonymisation guard, part 2 (issue 20): names, schools, places and
// workplaces (client/guard_names.h), what must not be flagged, and the
// normalised scan (client/guard_normalize.h). One rule per test.
#include <string>
#include <vector>

#include "client/guard.h"
#include "client/guard_lexicon.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace samrad::client::guard {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// "KIND:excerpt" for each finding, in order.
std::vector<std::string> Found(std::string_view text) {
  absl::StatusOr<std::vector<Finding>> findings = ScanText(text, ScanOptions{.current_year = 2026});
  EXPECT_TRUE(findings.ok()) << findings.status();
  std::vector<std::string> out;
  if (!findings.ok()) return out;
  for (const Finding& f : *findings)
    out.push_back(std::string(FindingKindName(f.kind)) + ":" + f.excerpt);
  return out;
}

TEST(GuardNames, GivenNameAndSurnameTogetherAreOneFinding) {
  EXPECT_THAT(Found("Fatima Hassan, 15 år, mår dåligt."), ElementsAre("name:Fatima Hassan"));
  EXPECT_THAT(Found("Vi träffade Mohammed Al-Hassan i går."),
              ElementsAre("name:Mohammed Al-Hassan"));
}

TEST(GuardNames, NamesAreFoundAtTheStartAndInLowerCase) {
  EXPECT_THAT(Found("Yusuf kom inte till skolan."), ElementsAre("name:Yusuf"));
  EXPECT_THAT(Found("hon och fatima bråkade"), ElementsAre("name:fatima"));
  EXPECT_THAT(Found("Fatimas mamma ringde."), ElementsAre("name:Fatimas"));
}

TEST(GuardNames, KinshipAndNamingCuesMakeAnUnknownWordAName) {
  EXPECT_THAT(Found("hennes bror Xerxo slog henne"), ElementsAre("name:Xerxo"));
  EXPECT_THAT(Found("den äldsta heter Qorxo"), ElementsAre("name:Qorxo"));
  EXPECT_THAT(Found("Ugbaad, 14 år, har flytt."), ElementsAre("name:Ugbaad"));
}

TEST(GuardNames, NameThatIsAnOrdinaryWordNeedsCapitalInsideASentence) {
  EXPECT_THAT(Found("Vi pratade med Sten om saken."), ElementsAre("name:Sten"));
  EXPECT_THAT(Found("Sten kastades mot fönstret."), IsEmpty());
  EXPECT_THAT(Found("hans mamma ringde"), IsEmpty());
  EXPECT_THAT(Found("Hans mamma ringde."), IsEmpty());
}

TEST(GuardNames, SchoolsWithClassAndTown) {
  EXPECT_THAT(Found("Hon går i 9B på Rinkebyskolan."), ElementsAre("school:9B på Rinkebyskolan"));
  EXPECT_THAT(Found("Han gick på Internationella Engelska Skolan i Järfälla."),
              ElementsAre("school:Internationella Engelska Skolan i Järfälla"));
  EXPECT_THAT(Found("Barnet går på Enbackens förskola."), ElementsAre("school:Enbackens förskola"));
  EXPECT_THAT(Found("Grundskolan och gymnasiet har ansvar. Skolan ringde."), IsEmpty());
}

TEST(GuardNames, PlacesSmallerThanAMunicipality) {
  EXPECT_THAT(Found("familjen bor i Gottsunda"), ElementsAre("place:Gottsunda"));
  EXPECT_THAT(Found("De bor på Storgatan nära torget."), ElementsAre("place:Storgatan"));
  EXPECT_THAT(Found("De flyttade till Xyzby förra året."), ElementsAre("place:Xyzby"));
  EXPECT_THAT(Found("De bor i Uppsala men kommer från Syrien."), IsEmpty());
}

TEST(GuardNames, Workplaces) {
  EXPECT_THAT(Found("pappan jobbar på Pizzeria Roma"), ElementsAre("workplace:Pizzeria Roma"));
  EXPECT_THAT(Found("Brodern arbetar hos Yilmaz Bygg AB."),
              ElementsAre("workplace:Yilmaz Bygg AB"));
  EXPECT_THAT(Found("Mamman jobbar på Migrationsverket."), IsEmpty());
}

TEST(GuardNames, AuthoritiesCountriesHolidaysLawsAreAllowed) {
  EXPECT_THAT(Found("Socialtjänsten, Polisen, BUP, Migrationsverket och Barnahus har kontakt."),
              IsEmpty());
  EXPECT_THAT(Found("Efter Eid och Ramadan reser de till Irak, sedan Midsommar i Skåne."),
              IsEmpty());
  EXPECT_THAT(Found("Vi överväger LVU enligt SoL och Skollagen, kanske i april på en måndag."),
              IsEmpty());
  EXPECT_THAT(Found("Hon talar arabiska och kurdiska och är muslim från Iran."), IsEmpty());
  EXPECT_THAT(Found("Rädda Barnen och BRIS ger råd; Kvinnojouren i Malmö också."), IsEmpty());
}

TEST(GuardNames, AllowListGivesWayToANamingCue) {
  EXPECT_THAT(Found("Hennes kusin heter Jordan."), ElementsAre("name:Jordan"));
}

TEST(GuardNames, LexiconsAreCompiledIn) {
  const internal::Lexicon& lexicon = internal::Lexicon::Get();
  EXPECT_GT(lexicon.given_count(), 1500u);
  EXPECT_GT(lexicon.surname_count(), 700u);
  EXPECT_GT(lexicon.place_count(), 400u);
  EXPECT_GT(lexicon.allow_count(), 1200u);
  EXPECT_GT(lexicon.dictionary_count(), 100000u);
  EXPECT_TRUE(lexicon.IsDictionaryWord("flickan"));
  EXPECT_TRUE(lexicon.IsDictionaryWord("öppna"));
  EXPECT_FALSE(lexicon.IsDictionaryWord("rinkebyskolan"));
}

// Evasion: invisible characters, full-width and Arabic-Indic digits, ＠ and
// soft hyphens are read through, and each finding points at the original.
TEST(GuardNormalize, InvisibleAndLookAlikeCharactersDoNotHideDetails) {
  EXPECT_THAT(Found("1212\u200b12-1212"), ElementsAre("personnummer:1212\u200b12-1212"));
  EXPECT_THAT(Found("pnr １２１２１２-１２１２"),
              ElementsAre("personnummer:１２１２１２-１２１２"));
  EXPECT_THAT(Found("ring ٠٧٠-١٢٣ ٤٥ ٦٧"), ElementsAre("phone:٠٧٠-١٢٣ ٤٥ ٦٧"));
  EXPECT_THAT(Found("mejla lisa＠example.se"), ElementsAre("email:lisa＠example.se"));
  EXPECT_THAT(Found("hon heter Fa\u00adti\u200dma"), ElementsAre("name:Fa\u00adti\u200dma"));
}

TEST(GuardNormalize, FindingsAfterInvisibleCharactersKeepTheirPositions) {
  absl::StatusOr<std::vector<Finding>> findings =
      ScanText("\u200b\u200bÅ\u200b 070-123 45 67", ScanOptions{.current_year = 2026});
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_EQ((*findings)[0].byte_offset, 12u);
  EXPECT_EQ((*findings)[0].column, 6);
  EXPECT_EQ((*findings)[0].excerpt, "070-123 45 67");
}

TEST(GuardPhone, ZeroZeroFortySixWithUnusualGrouping) {
  EXPECT_THAT(Found("0046 70 123 45 67"), ElementsAre("phone:0046 70 123 45 67"));
  EXPECT_THAT(Found("00 46 8 123 456 78"), ElementsAre("phone:00 46 8 123 456 78"));
  EXPECT_THAT(Found("0046(0)701234567"), ElementsAre("phone:0046(0)701234567"));
  EXPECT_THAT(Found("0046.70.123.45.67"), ElementsAre("phone:0046.70.123.45.67"));
}

}  // namespace
}  // namespace samrad::client::guard
