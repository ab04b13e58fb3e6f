// Exact findings, positions, redaction and the checks behind the detectors.
#include "client/guard.h"

#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "client/guard_detectors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace samrad::client::guard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int kYear = 2026;

std::vector<Finding> Scan(std::string_view text) {
  absl::StatusOr<std::vector<Finding>> findings =
      ScanText(text, ScanOptions{.current_year = kYear});
  EXPECT_TRUE(findings.ok()) << findings.status();
  return findings.ok() ? *findings : std::vector<Finding>{};
}

// (line, column, kind, excerpt) of every finding, for compact assertions.
using Brief = std::tuple<int, int, std::string, std::string>;
std::vector<Brief> Briefly(std::string_view text) {
  std::vector<Brief> out;
  for (const Finding& f : Scan(text)) {
    out.emplace_back(f.line, f.column, std::string(FindingKindName(f.kind)), f.excerpt);
  }
  return out;
}

TEST(GuardScan, PersonnummerWithAndWithoutSeparatorAndCentury) {
  EXPECT_THAT(Briefly("pnr 090314-1232"), ElementsAre(Brief{1, 5, "personnummer", "090314-1232"}));
  EXPECT_THAT(Briefly("0903141232"), ElementsAre(Brief{1, 1, "personnummer", "0903141232"}));
  EXPECT_THAT(Briefly("x 20090314-1232 y"),
              ElementsAre(Brief{1, 3, "personnummer", "20090314-1232"}));
  EXPECT_THAT(Briefly("200903141232"), ElementsAre(Brief{1, 1, "personnummer", "200903141232"}));
  EXPECT_THAT(Briefly("500101+0007"), ElementsAre(Brief{1, 1, "personnummer", "500101+0007"}));
}

TEST(GuardScan, PersonnummerWithWrongDateIsNotReported) {
  EXPECT_THAT(Briefly("091314-1232"), IsEmpty());  // month 13
  // The checksum covers the last ten digits; 1809 is more than 130 years ago.
  EXPECT_THAT(Briefly("18090314-1232"), IsEmpty());
  EXPECT_THAT(Briefly("1234567890"), IsEmpty());
}

// A typing mistake in the check digit still identifies the person.
TEST(GuardScan, WrongCheckDigitIsAPossiblePersonnummer) {
  EXPECT_THAT(Briefly("090314-1233"),
              ElementsAre(Brief{1, 1, "possible-personnummer", "090314-1233"}));
  EXPECT_THAT(Briefly("pnr 20090314 1233"),
              ElementsAre(Brief{1, 5, "possible-personnummer", "20090314 1233"}));
  // A mobile number with a date-like start stays a phone number.
  EXPECT_THAT(Briefly("0701234567"), ElementsAre(Brief{1, 1, "phone", "0701234567"}));
}

TEST(GuardScan, CoordinationNumberHasDayPlusSixty) {
  EXPECT_THAT(Briefly("samordningsnummer 090374-2419"),
              ElementsAre(Brief{1, 19, "samordningsnummer", "090374-2419"}));
}

TEST(GuardScan, ColumnsCountSwedishLettersAsOneCharacter) {
  // "Hon även öppnade " is 17 characters but 19 bytes.
  const std::vector<Finding> findings = Scan("Hon även öppnade 070-123 45 67");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].column, 18);
  EXPECT_EQ(findings[0].byte_offset, 19u);
  EXPECT_EQ(findings[0].byte_length, 13u);
  EXPECT_EQ(findings[0].kind, FindingKind::kPhone);
}

TEST(GuardScan, LinesAndColumnsAcrossLines) {
  EXPECT_THAT(Briefly("Rad ett.\nHon bor på Storgatan 12.\n\nRing 08-123 456 78 i dag."),
              ElementsAre(Brief{2, 12, "street-address", "Storgatan 12"},
                          Brief{4, 6, "phone", "08-123 456 78"}));
}

TEST(GuardScan, EveryKindInOneText) {
  const std::string text =
      "Eleven 090314-1232 (samordningsnr 090374-2419) nås på 070-123 45 67 eller "
      "lisa.k@gmail.com, bor på Storgatan 12, 123 45 Stockholm, är född 2009-03-14, "
      "hämtas i bil ABC 123, konto 8327-9 123 456 789-0, IBAN SE45 5000 0000 0583 9825 7466, "
      "instagram.com/lisa_09, IP 192.168.1.45.";
  std::vector<std::string> kinds;
  for (const Finding& f : Scan(text)) kinds.emplace_back(FindingKindName(f.kind));
  EXPECT_THAT(kinds, ElementsAre("personnummer", "samordningsnummer", "phone", "email",
                                 "street-address", "postcode", "birth-date", "vehicle-registration",
                                 "bank-account", "iban", "social-media", "ip-address"));
}

TEST(GuardScan, PhoneForms) {
  EXPECT_THAT(Briefly("+46 70 123 45 67"), ElementsAre(Brief{1, 1, "phone", "+46 70 123 45 67"}));
  EXPECT_THAT(Briefly("0046 70 123 45 67"), ElementsAre(Brief{1, 1, "phone", "0046 70 123 45 67"}));
  EXPECT_THAT(Briefly("+46 (0)70-765 43 21"),
              ElementsAre(Brief{1, 1, "phone", "+46 (0)70-765 43 21"}));
  EXPECT_THAT(Briefly("+44 20 7946 0958"), ElementsAre(Brief{1, 1, "phone", "+44 20 7946 0958"}));
  // A year after the number is not part of it.
  EXPECT_THAT(Briefly("ring 070-123 45 67 2019"),
              ElementsAre(Brief{1, 6, "phone", "070-123 45 67"}));
  EXPECT_THAT(Briefly("0701234567 0731234567"),
              ElementsAre(Brief{1, 1, "phone", "0701234567"}, Brief{1, 12, "phone", "0731234567"}));
  // Two numbers in a row stay two findings.
  EXPECT_THAT(
      Briefly("070-123 45 67 08-123 456 78"),
      ElementsAre(Brief{1, 1, "phone", "070-123 45 67"}, Brief{1, 15, "phone", "08-123 456 78"}));
}

TEST(GuardScan, PublicServiceAndOrganisationNumbersPass) {
  EXPECT_THAT(Briefly("Ring 112, 1177 eller 114 14."), IsEmpty());
  EXPECT_THAT(Briefly("Kvinnofridslinjen 020-50 50 50, BRIS 116 111."), IsEmpty());
  EXPECT_THAT(Briefly("telefon 114 14"), IsEmpty());
  EXPECT_THAT(Briefly("Polisen 114 14 Stockholm"), IsEmpty());
}

TEST(GuardScan, OrdinaryNumbersPass) {
  for (const char* text : {
           "15 år",
           "en 16-årig flicka",
           "2023",
           "sedan 2019",
           "årskurs 8",
           "åk 9",
           "kl. 14.30",
           "08:15",
           "5 000 kr",
           "1 200 SEK",
           "45 %",
           "vecka 12",
           "v. 34",
           "14 kap. 1 § SoL",
           "2 § LVU",
           "3 § LVU",
           "SFS 2009:400",
           "mötet 2024-05-03",
           "3 barn",
           "född 2009",
           "född i mars 2009",
           "SEK 500",
           "prop. 2019/20:131",
           "14:30:00",
           "Dnr 2024-1234",
       }) {
    EXPECT_THAT(Briefly(text), IsEmpty()) << text;
  }
}

TEST(GuardScan, BirthDateNeedsABirthWordAndAPlausibleYear) {
  EXPECT_THAT(Briefly("född 2009-03-14"), ElementsAre(Brief{1, 6, "birth-date", "2009-03-14"}));
  EXPECT_THAT(Briefly("f. 14/3 2009"), ElementsAre(Brief{1, 4, "birth-date", "14/3 2009"}));
  EXPECT_THAT(Briefly("född i Malmö den 14 mars 2009"),
              ElementsAre(Brief{1, 18, "birth-date", "14 mars 2009"}));
  EXPECT_THAT(Briefly("090314-XXXX"), ElementsAre(Brief{1, 1, "birth-date", "090314-XXXX"}));
  EXPECT_THAT(Briefly("mötet 2009-03-14"), IsEmpty());
  EXPECT_THAT(Briefly("född 1900-03-14"), IsEmpty());  // 126 years old
  EXPECT_THAT(Briefly("född 2027-03-14"), IsEmpty());  // not born yet
  EXPECT_THAT(Briefly("född 2009-02-30"), IsEmpty());  // no such day
  EXPECT_THAT(Briefly("född 2008-02-29"), ElementsAre(Brief{1, 6, "birth-date", "2008-02-29"}));
  // More than three words between the birth word and the date.
  EXPECT_THAT(Briefly("Hon föddes i Somalia och kom hit 2016-08-01."), IsEmpty());
}

TEST(GuardScan, StreetAddressForms) {
  EXPECT_THAT(Briefly("Drottninggatan 45B"),
              ElementsAre(Brief{1, 1, "street-address", "Drottninggatan 45B"}));
  EXPECT_THAT(Briefly("bor på Ringvägen 3, lgh 1102."),
              ElementsAre(Brief{1, 8, "street-address", "Ringvägen 3, lgh 1102"}));
  EXPECT_THAT(Briefly("Sergels torg 2"),
              ElementsAre(Brief{1, 1, "street-address", "Sergels torg 2"}));
  EXPECT_THAT(Briefly("på Lilla Nygatan 14"),
              ElementsAre(Brief{1, 4, "street-address", "Lilla Nygatan 14"}));
  EXPECT_THAT(Briefly("Storgatan 12 bor hon"),
              ElementsAre(Brief{1, 1, "street-address", "Storgatan 12"}));
  EXPECT_THAT(Briefly("handlingsplan 2"), IsEmpty());
  EXPECT_THAT(Briefly("på plan 3"), IsEmpty());
  EXPECT_THAT(Briefly("på vägen 2 gånger"), IsEmpty());
}

TEST(GuardScan, PostcodeForms) {
  EXPECT_THAT(Briefly("123 45 Stockholm"),
              ElementsAre(Brief{1, 1, "postcode", "123 45 Stockholm"}));
  EXPECT_THAT(Briefly("12345 Ort"), ElementsAre(Brief{1, 1, "postcode", "12345 Ort"}));
  EXPECT_THAT(Briefly("SE-123 45"), ElementsAre(Brief{1, 1, "postcode", "SE-123 45"}));
  EXPECT_THAT(Briefly("12345 kronor"), IsEmpty());
}

TEST(GuardScan, VehicleBankIbanSocialIp) {
  EXPECT_THAT(Briefly("ABC 123"), ElementsAre(Brief{1, 1, "vehicle-registration", "ABC 123"}));
  EXPECT_THAT(Briefly("ABC 12A"), ElementsAre(Brief{1, 1, "vehicle-registration", "ABC 12A"}));
  EXPECT_THAT(Briefly("8327-9 123 456 789-0"),
              ElementsAre(Brief{1, 1, "bank-account", "8327-9 123 456 789-0"}));
  EXPECT_THAT(Briefly("1234-123456"), ElementsAre(Brief{1, 1, "bank-account", "1234-123456"}));
  EXPECT_THAT(Briefly("SE4550000000058398257466"),
              ElementsAre(Brief{1, 1, "iban", "SE4550000000058398257466"}));
  EXPECT_THAT(Briefly("SE4650000000058398257466"), IsEmpty());  // mod 97 fails
  EXPECT_THAT(Briefly("GB29 NWBK 6016 1331 9268 19"),
              ElementsAre(Brief{1, 1, "iban", "GB29 NWBK 6016 1331 9268 19"}));
  EXPECT_THAT(Briefly("@lisa_2009"), ElementsAre(Brief{1, 1, "social-media", "@lisa_2009"}));
  EXPECT_THAT(Briefly("https://www.tiktok.com/@ali_br0r."),
              ElementsAre(Brief{1, 1, "social-media", "https://www.tiktok.com/@ali_br0r"}));
  EXPECT_THAT(Briefly("Snapchat: sara_k2008"),
              ElementsAre(Brief{1, 11, "social-media", "sara_k2008"}));
  EXPECT_THAT(Briefly("192.168.1.45"), ElementsAre(Brief{1, 1, "ip-address", "192.168.1.45"}));
  EXPECT_THAT(Briefly("999.168.1.45"), IsEmpty());
  EXPECT_THAT(Briefly("2001:db8::8a2e:370:7334"),
              ElementsAre(Brief{1, 1, "ip-address", "2001:db8::8a2e:370:7334"}));
}

TEST(GuardScan, FormsPeopleTypeInPractice) {
  EXPECT_THAT(Briefly("pnr 090314–1232"), ElementsAre(Brief{1, 5, "personnummer", "090314–1232"}));
  EXPECT_THAT(Briefly("IP 192.168.001.001"),
              ElementsAre(Brief{1, 4, "ip-address", "192.168.001.001"}));
  EXPECT_THAT(Briefly("Hon är född 14 mars."), ElementsAre(Brief{1, 13, "birth-date", "14 mars"}));
  EXPECT_THAT(Briefly("Hon fyller 16 den 3 maj."),
              ElementsAre(Brief{1, 19, "birth-date", "3 maj"}));
  EXPECT_THAT(Briefly("regnr abc123"), ElementsAre(Brief{1, 7, "vehicle-registration", "abc123"}));
  EXPECT_THAT(Briefly("Hon heter lisa_b09 på snap."),
              ElementsAre(Brief{1, 11, "social-media", "lisa_b09"}));
  EXPECT_THAT(Briefly("Snapchat som heter \"lisa.b\""),
              ElementsAre(Brief{1, 21, "social-media", "lisa.b"}));
  EXPECT_THAT(Briefly("instagram.com/lisa.k_09/"),
              ElementsAre(Brief{1, 1, "social-media", "instagram.com/lisa.k_09"}));
  // Not phone numbers: a two-digit area code other than 08, a section number.
  EXPECT_THAT(Briefly("01 01 01 01"), IsEmpty());
  EXPECT_THAT(Briefly("avsnitt 2.3.1.4"), IsEmpty());
  EXPECT_THAT(Briefly("Snapchat: hon skrev"), IsEmpty());
  EXPECT_THAT(Briefly("instagram.com/"), IsEmpty());
}

TEST(GuardScan, EmailIsOneFindingNotAHandle) {
  EXPECT_THAT(Briefly("mejl: anna.svensson@gmail.com."),
              ElementsAre(Brief{1, 7, "email", "anna.svensson@gmail.com"}));
}

TEST(GuardScan, PersonkontoIsOneBankAccountFinding) {
  EXPECT_THAT(Briefly("konto 3300-0903141232"),
              ElementsAre(Brief{1, 7, "bank-account", "3300-0903141232"}));
}

TEST(GuardScan, EmptyTextIsClean) { EXPECT_THAT(Briefly(""), IsEmpty()); }

TEST(GuardScan, InvalidUtf8IsRefusedWithItsPosition) {
  for (const std::string& text : {std::string("ok\nab\xff"), std::string("ok\nab\xc3"),
                                  std::string("ok\nab\xc0\xaf"),             // overlong '/'
                                  std::string("ok\nab\xed\xa0\x80"),         // surrogate
                                  std::string("ok\nab\xf4\x90\x80\x80")}) {  // > U+10FFFF
    const absl::StatusOr<std::vector<Finding>> findings = ScanText(text);
    ASSERT_FALSE(findings.ok());
    EXPECT_EQ(findings.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(findings.status().message(), HasSubstr("line 2, column 3"));
  }
}

TEST(GuardRedact, ReplacesEachFindingWithItsPlaceholder) {
  const std::string text =
      "Flickan 090314-1232 nås på 070-123 45 67, bor på Storgatan 12, 123 45 Stockholm.";
  EXPECT_EQ(Redact(text, Scan(text)),
            "Flickan [personnummer] nås på [telefon], bor på [adress], [postnummer].");
  EXPECT_EQ(Redact(text, Scan(text), MessageLanguage::kEnglish),
            "Flickan [personal identity number] nås på [phone], bor på [address], [postcode].");
}

TEST(GuardRedact, EveryPlaceholder) {
  const std::string text =
      "a@b.se född 2009-03-14, ABC 123, 1234-123456, SE4550000000058398257466, @lisa_09 "
      "10.0.0.1 090374-2419";
  EXPECT_EQ(Redact(text, Scan(text)),
            "[e-post] född [födelsedatum], [registreringsnummer], [kontonummer], [IBAN], "
            "[konto i sociala medier] [IP-adress] [samordningsnummer]");
  const std::string words =
      "Fatima Hassan går i 9B på Rinkebyskolan, bor i Gottsunda och jobbar på Pizzeria Roma.";
  EXPECT_EQ(Redact(words, Scan(words)),
            "[namn] går i [skola], bor i [plats] och jobbar på [arbetsplats].");
  EXPECT_EQ(Redact(words, Scan(words), MessageLanguage::kEnglish),
            "[name] går i [school], bor i [place] och jobbar på [workplace].");
}

TEST(GuardRedact, CleanTextIsUnchangedAndOverlapsMerge) {
  EXPECT_EQ(Redact("inget här", {}), "inget här");
  const std::string text = "0123456789";
  std::vector<Finding> overlapping = {
      {.byte_offset = 2, .byte_length = 4, .kind = FindingKind::kPhone, .excerpt = ""},
      {.byte_offset = 4, .byte_length = 4, .kind = FindingKind::kEmail, .excerpt = ""},
      {.byte_offset = 9,
       .byte_length = 5,
       .kind = FindingKind::kEmail,
       .excerpt = ""},  // past the end: ignored
  };
  EXPECT_EQ(Redact(text, overlapping), "01[telefon]89");
}

TEST(GuardChecks, Luhn) {
  EXPECT_TRUE(internal::LuhnValid("0903141232"));
  EXPECT_FALSE(internal::LuhnValid("0903141233"));
  EXPECT_TRUE(internal::LuhnValid("79927398713"));  // the classic odd-length example
  EXPECT_FALSE(internal::LuhnValid("09031412a2"));
  EXPECT_FALSE(internal::LuhnValid(""));
}

TEST(GuardChecks, IbanMod97) {
  EXPECT_TRUE(internal::IbanChecksumValid("SE4550000000058398257466"));
  EXPECT_TRUE(internal::IbanChecksumValid("GB29NWBK60161331926819"));
  EXPECT_FALSE(internal::IbanChecksumValid("GB29NWBK60161331926818"));
  EXPECT_FALSE(internal::IbanChecksumValid("se4550000000058398257466"));
  EXPECT_FALSE(internal::IbanChecksumValid("SE45"));
}

TEST(GuardChecks, CalendarDates) {
  EXPECT_TRUE(internal::IsCalendarDate(2008, 2, 29));
  EXPECT_FALSE(internal::IsCalendarDate(2009, 2, 29));
  EXPECT_FALSE(internal::IsCalendarDate(1900, 2, 29));
  EXPECT_TRUE(internal::IsCalendarDate(2000, 2, 29));
  EXPECT_TRUE(internal::IsCalendarDate(0, 2, 29));
  EXPECT_FALSE(internal::IsCalendarDate(2009, 4, 31));
  EXPECT_FALSE(internal::IsCalendarDate(2009, 0, 1));
  EXPECT_FALSE(internal::IsCalendarDate(2009, 13, 1));
}

TEST(GuardKinds, NamesAndPlaceholdersAreStable) {
  std::vector<std::string> names;
  for (FindingKind kind : kAllFindingKinds) names.emplace_back(FindingKindName(kind));
  EXPECT_THAT(names, ElementsAre("personnummer", "samordningsnummer", "iban", "bank-account",
                                 "birth-date", "phone", "email", "social-media", "ip-address",
                                 "vehicle-registration", "postcode", "street-address", "school",
                                 "workplace", "place", "name", "possible-personnummer"));
  EXPECT_EQ(FindingKindPlaceholder(FindingKind::kStreetAddress), "[adress]");
  EXPECT_EQ(FindingKindPlaceholder(FindingKind::kBirthDate), "[födelsedatum]");
  EXPECT_EQ(FindingKindPlaceholder(FindingKind::kName), "[namn]");
  EXPECT_EQ(FindingKindPlaceholder(FindingKind::kName, MessageLanguage::kEnglish), "[name]");
}

}  // namespace
}  // namespace samrad::client::guard
