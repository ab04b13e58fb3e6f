// The anonymisation guard: finds details that identify a person in a case text
// before the text is sealed and sent, and replaces them with placeholders on
// request.
//
// Secrecy law forbids identifying the person a consultation is about, so every
// text the client seals (ask, followup, answer) runs through ScanText first,
// and `samrad check` exposes the same scan to people and scripts (RunCheck).
//
// What is found (FindingKind): Swedish personal identity and coordination
// numbers (Luhn checksum and calendar date verified), phone numbers (Swedish
// and international), e-mail addresses, street addresses, postcodes with town,
// exact birth dates, vehicle registration numbers, bank account numbers, IBANs
// (mod-97 verified), social-media handles and profile links, IPv4/IPv6
// addresses.
// Since part 2 (issue 20) also: names of people (given names and surnames,
// alone or together, in any position and case), named schools and
// pre-schools with their class ("9B på Rinkebyskolan"), places smaller than a
// municipality (districts, villages, streets without a number) and named
// workplaces — see client/guard_names.h for the rules — and, as
// possible-personnummer, a personnummer-shaped number whose check digit is
// wrong (a typing mistake still identifies). Texts are scanned in a
// normalised copy (NFKC, zero-width and other invisible characters removed,
// digits of every script read as ASCII; client/guard_normalize.h) and each
// finding is mapped back to the original bytes.
//
// What is never a name, school, place or workplace: authorities,
// organisations, laws, religions, holidays, months, weekdays, countries,
// nationalities, languages, counties, the municipalities and larger cities
// (client/guard_data/allow.txt).
//
// What the guard cannot see: a name that is in none of its lists, written
// in lower case and without a cue ("hon och ugbaad"), a name that is also an
// ordinary word at the start of a sentence ("Sten kom sent"), a person
// described by rare circumstances, nicknames and spellings it does not know.
//
// What passes on purpose: ages, years, school years, times, amounts,
// percentages, week numbers, law references ("14 kap. 1 § SoL", "SFS
// 2009:400"), section numbers ("2.3.1.4"), public service numbers (112, 1177,
// 114 14, 113 13, 116 111, 116 006, 90000 ...), numbers with the
// non-geographic prefixes organisations use (toll-free 020/0200, shared-cost
// 077x, premium 0900/0939/0944; e.g. Kvinnofridslinjen 020-50 50 50),
// ordinary dates without a birth word nearby ("mötet 2024-05-03"), a year of
// birth alone ("född 2009"), month and year ("född i mars 2009").
//
// Birth-date rule: a date is a birth date when it follows a birth word (född,
// föddes, f., födelsedatum, födelsedag, "fyller/fyllde år", "fyller 16",
// born, DOB) directly or with at most three short words or an age in between
// ("född i Malmö den 14 mars 2009", "fyller 16 den 3 maj"); when it directly
// follows an identity word ("pnr 20090314", "personnumret börjar på
// 090314"); when a birth word follows it ("2010-01-15 föddes hon"); or when it
// is the date half of an identity number whose last four digits are masked
// ("090314-XXXX"). With a four-digit year the date must make the person 0 to
// 110 years old; day and month without a year count only after the birth
// words, not after identity words, born or DOB.
//
// Other rules worth knowing: identity numbers need a valid Luhn digit and
// calendar date (12-digit forms: a year at most 130 years back); Swedish
// national phone numbers have 8-10 digits with an area code of 2-4 digits
// (two only for 08) and mobile numbers exactly 10; international numbers
// 8-15 digits; plates are upper case ("ABC 123", "ABC 12A") except right
// after a plate word ("regnr abc123"); a bank account is a clearing number
// (1100-9999, or 8xxx-x) and 6-10 digits, and a clearing number that reads
// like a year (1900-2099) needs a bank word before it; IBANs are cut at their
// country's registered length and verified mod 97.
//
// All functions are thread-safe: the compiled patterns are created once and
// only read afterwards.
#ifndef SAMRAD_CLIENT_GUARD_H_
#define SAMRAD_CLIENT_GUARD_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace samrad::client::guard {

// The kinds of identifying details. The order is the tie-break priority when
// two detectors report exactly the same span (earlier wins).
enum class FindingKind {
  kPersonnummer,
  kSamordningsnummer,
  kIban,
  kBankAccount,
  kBirthDate,
  kPhone,
  kEmail,
  kSocialMedia,
  kIpAddress,
  kVehicleRegistration,
  kPostcode,
  kStreetAddress,
  // Part 2 (issue 20), appended so the names above keep their priority.
  kSchool,
  kWorkplace,
  kPlace,
  kName,
  kPossiblePersonnummer,
};

// Every kind, in enum order (for tests and tools).
inline constexpr FindingKind kAllFindingKinds[] = {
    FindingKind::kPersonnummer,
    FindingKind::kSamordningsnummer,
    FindingKind::kIban,
    FindingKind::kBankAccount,
    FindingKind::kBirthDate,
    FindingKind::kPhone,
    FindingKind::kEmail,
    FindingKind::kSocialMedia,
    FindingKind::kIpAddress,
    FindingKind::kVehicleRegistration,
    FindingKind::kPostcode,
    FindingKind::kStreetAddress,
    FindingKind::kSchool,
    FindingKind::kWorkplace,
    FindingKind::kPlace,
    FindingKind::kName,
    FindingKind::kPossiblePersonnummer,
};

// Stable machine name of a kind, used in `samrad check` output and JSON:
// personnummer, samordningsnummer, iban, bank-account, birth-date, phone,
// email, social-media, ip-address, vehicle-registration, postcode,
// street-address, school, workplace, place, name, possible-personnummer.
// These names are an interface: never rename one.
std::string_view FindingKindName(FindingKind kind);

enum class MessageLanguage { kEnglish, kSwedish };

// Placeholder that Redact puts in place of a finding of `kind`, in the
// reader's language: Swedish "[personnummer]", "[telefon]", "[e-post]",
// "[adress]", "[namn]", "[skola]", "[plats]", "[arbetsplats]" ...; English
// "[personal identity number]", "[phone]", "[e-mail]", "[address]", "[name]",
// "[school]", "[place]", "[workplace]" ... A possible personnummer gets the
// personnummer placeholder.
std::string_view FindingKindPlaceholder(FindingKind kind,
                                        MessageLanguage language = MessageLanguage::kSwedish);

// One identifying detail in a text.
struct Finding {
  int line = 0;            // 1-based line number ('\n' separates lines).
  int column = 0;          // 1-based, counted in Unicode code points within the line.
  size_t byte_offset = 0;  // Start of the detail in the scanned text, in bytes.
  size_t byte_length = 0;  // Length of the detail in bytes (never 0).
  FindingKind kind = FindingKind::kPersonnummer;
  std::string excerpt;  // The detail itself, exactly as in the text.

  friend bool operator==(const Finding&, const Finding&) = default;
};

struct ScanOptions {
  // The year birth dates are judged against ("a person 0 to 110 years old").
  // 0 (the default) means the current UTC year from the system clock; tests
  // set it to stay deterministic.
  int current_year = 0;
};

// Scans `utf8_text` and returns its findings sorted by byte_offset. A detail
// that lies entirely inside another one (a personal identity number inside a
// Nordea personkonto, a handle inside an e-mail address) is reported once, as
// the enclosing finding; partially overlapping findings are all reported.
//
// INVALID_ARGUMENT when `utf8_text` is not valid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are invalid too); the message
// names the line and column of the first bad byte and contains no text.
[[nodiscard]] absl::StatusOr<std::vector<Finding>> ScanText(std::string_view utf8_text,
                                                            const ScanOptions& options = {});

// Returns `text` with every finding replaced by its kind's placeholder in
// `language`. `findings` must come from ScanText on the same `text` (any
// order); findings that do not fit inside `text` are ignored, and overlapping
// findings are replaced together by the placeholder of the one that starts
// first.
std::string Redact(std::string_view text, absl::Span<const Finding> findings,
                   MessageLanguage language = MessageLanguage::kSwedish);

// The one-line summary `samrad check` and the sending commands print:
// - nothing found: that the automatic check found nothing, that it cannot
//   recognise every name, place or circumstance, and that the writer must
//   read the text once more;
// - found: how many details, and to remove them or use --redact;
// - redacted: how many details were replaced.
std::string Summary(size_t count, bool redacted, MessageLanguage language);

// One finding as `samrad check` prints it: `LINE:COL KIND "excerpt"`, with
// `"`, `\` and control characters in the excerpt escaped as in JSON. No
// trailing newline. KIND is FindingKindName in English; in Swedish the
// placeholder's word with "-" for spaces ("namn", "gatuadress").
std::string FormatFinding(const Finding& finding,
                          MessageLanguage language = MessageLanguage::kEnglish);

// The findings as a JSON array of objects with the members line, column,
// kind, excerpt, byte_offset and byte_length (strings escaped per RFC 8259;
// non-ASCII UTF-8 is kept as is). No trailing newline.
std::string FindingsToJson(absl::Span<const Finding> findings);

// ---- `samrad check [FILE|-] [--json] [--redact]` ----

// Exit codes of `samrad check`.
inline constexpr int kCheckExitClean = 0;        // nothing identifying found
inline constexpr int kCheckExitFound = 1;        // at least one finding
inline constexpr int kCheckExitInvalidText = 2;  // input is not valid UTF-8

struct CheckOptions {
  bool json = false;    // --json: machine-readable output
  bool redact = false;  // --redact: print the text with placeholders
  // For `err` and the placeholders of --redact.
  MessageLanguage language = MessageLanguage::kEnglish;
  ScanOptions scan;
};

// What `samrad check` prints and returns; the CLI writes `out` to stdout and
// `err` (when non-empty) to stderr, then exits with `exit_code`.
struct CheckResult {
  std::string out;
  std::string err;
  int exit_code = kCheckExitClean;
};

// Runs the check command on `input` (the file's or stdin's bytes):
// - default: one FormatFinding line per finding on `out`, a one-line summary
//   saying what to do on `err`;
// - json: FindingsToJson plus "\n" on `out`;
// - redact: the redacted text on `out` (byte-for-byte the input when clean);
// - json and redact: {"findings":[...],"redacted":"..."} plus "\n" on `out`.
// Exit code kCheckExitFound whenever something was found (also when it was
// redacted), kCheckExitClean when not. Invalid UTF-8: empty `out`, an error
// on `err` naming the line and column, kCheckExitInvalidText. An empty text
// or one of only whitespace: empty `out`, a message saying there is no text,
// kCheckExitInvalidText.
CheckResult RunCheck(std::string_view input, const CheckOptions& options);

}  // namespace samrad::client::guard

#endif  // SAMRAD_CLIENT_GUARD_H_
