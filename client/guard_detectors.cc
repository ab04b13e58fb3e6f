#include "client/guard_detectors.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "client/guard_names.h"
#include "client/guard_text.h"
#include "common/check.h"
#include "re2/re2.h"

namespace samrad::client::guard::internal {
namespace {

// ---------------------------------------------------------------------------
// Pattern building blocks (RE2 syntax; \s is ASCII-only in RE2, so spaces that
// may sit inside a number are spelled out, including no-break spaces).
// ---------------------------------------------------------------------------
#define SP "[ \\x{00A0}\\x{202F}]"

#define MONTH                                                               \
  "(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|" \
  "november|december|january|february|march|may|june|july|august|october|"  \
  "jan|feb|mar|apr|jun|jul|aug|sept|sep|okt|oct|nov|dec)"

// A date as people write it; parsed again by ParseDate.
#define DATE                                                                           \
  "(?:(?:19|20)\\d{2}(?:-\\d{1,2}-\\d{1,2}|/\\d{1,2}/\\d{1,2}|\\.\\d{1,2}\\.\\d{1,2})" \
  "|(?:19|20)\\d{6}"                                                                   \
  "|\\d{6}"                                                                            \
  "|\\d{1,2}-\\d{1,2}-(?:19|20)\\d{2}"                                                 \
  "|\\d{1,2}[/.]\\d{1,2}(?:(?:[/.-]|" SP "?-" SP "?|" SP                               \
  ")(?:19|20)?\\d{2})?"                                                                \
  "|\\d{1,2}(?::[ae])?" SP "+" MONTH "\\.?(?:" SP                                      \
  "+(?:19|20)\\d{2})?"                                                                 \
  "|" MONTH "\\.?" SP "+\\d{1,2}(?:st|nd|rd|th)?,?" SP "+(?:19|20)\\d{2})"

// Words after which a date is a birth date, up to three words later.
// "fyller"/"fyllde" only with "år" or an age: "fyller i blanketten" is not.
#define BIRTH_WORD                                                       \
  "(född(?:e|a)?|föddes|f\\.|födelsedatum(?:et)?|födelsedag(?:en)?|" \
  "(?:fyller|fyllde)" SP "+(?:år|\\d{1,3}(?:" SP "+år)?)|born|dob|date" SP "+of" SP "+birth)"

// Words after which a date is the date half of an identity number; the date
// must follow directly ("pnr: 20090314", "personnumret börjar på 090314").
#define IDENTITY_WORD "(personnummer|personnumret|pnr|p-nr|p\\.nr)"

#define QUOTE "[\"'\\x{201C}\\x{201D}\\x{2018}\\x{2019}\\x{00AB}\\x{00BB}]"

#define STREET_SUFFIX                                                            \
  "(gatan|gata|vägen|väg|gränden|gränd|allén|allé|alle|leden|torget|torg|" \
  "stigen|stig|backen|backe|kajen|plan|platsen|ringen|bågen|slingan|svängen|"  \
  "liden|höjden|hagen|gärdet|esplanaden|promenaden|stråket)"

std::unique_ptr<const RE2> Compile(const char* pattern) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_log_errors(false);
  // The Unicode classes make large DFAs; with the default budget RE2 falls
  // back to its NFA, which is 20x slower on these patterns.
  options.set_max_mem(64 << 20);
  auto re = std::make_unique<const RE2>(pattern, options);
  SAMRAD_CHECK(re->ok(), pattern);  // the patterns are constants
  return re;
}

// A pattern compiled on its first use (thread-safe; RE2 objects are
// thread-safe for matching). Compiling every pattern costs tens of
// milliseconds per process, mostly the UTF-8 programs of the Unicode classes;
// a scan compiles only the patterns its text reaches (e.g. the e-mail pattern
// only for a text with '@', '[' or '(', the postcode patterns only for one
// with five digits, the unit words after a street number). `pattern` must outlive it (a literal).
class LazyPattern {
 public:
  explicit LazyPattern(const char* pattern) : pattern_(pattern) {}
  LazyPattern(const LazyPattern&) = delete;
  LazyPattern& operator=(const LazyPattern&) = delete;
  const RE2& operator*() const {
    absl::call_once(once_, [this] { re_ = Compile(pattern_); });
    return *re_;
  }

 private:
  const char* const pattern_;
  mutable absl::once_flag once_;
  mutable std::unique_ptr<const RE2> re_;
};

LazyPattern Lazy(const char* pattern) { return LazyPattern(pattern); }

// Every pattern, each compiled on its first use.
struct Patterns {
  LazyPattern identity_number = Lazy("(\\d{8}|\\d{6})" SP "?([-+–])?" SP "?(\\d{4})");
  LazyPattern masked_identity_number = Lazy("(\\d{8}|\\d{6})" SP "?[-+–]?" SP "?[xX*]{4}");
  LazyPattern phone_national = Lazy("\\(?0[1-9]\\d{0,3}\\)?(?:" SP "?[-/–]" SP "?|" SP
                                    ")?\\d{1,10}(?:(?:" SP "|-)\\d{1,10}){0,6}");
  LazyPattern phone_international =
      Lazy("(?:(?:\\+|00)[1-9]\\d{0,14}|00" SP "46)(?:(?:" SP "|-|\\.|" SP "-" SP
           ")?(?:\\(\\d{1,4}\\)|\\d{1,14})){1,8}");
  LazyPattern phone_context = Lazy(
      "(?i)(?:^|[^\\p{L}\\p{N}])(?:tel|telefon|telefonnummer|telefonnr|telnr|tfn|mobil|"
      "mobilnummer|mobilnr|mobiltelefon|mob)\\.?(?:" SP "+(?:nr|nummer|är|till))?" SP "*:?" SP
      "*(\\d[\\d \\x{00A0}\\x{202F}-]{4,16}\\d)");
  LazyPattern email = Lazy("[\\p{L}\\p{N}._%+\\-]+(?:@|" SP "?[\\[(](?i:at|snabel-a)[\\])]" SP
                           "?)[\\p{L}\\p{N}\\-]+(?:\\.[\\p{L}\\p{N}\\-]+)*\\.\\p{L}{2,}");
  LazyPattern social_link = Lazy(
      "(?i)(?:https?://)?(?:www\\.|m\\.|mobile\\.|vm\\.)?(?:instagram\\.com|instagr\\.am|"
      "facebook\\.com|fb\\.com|fb\\.me|m\\.me|tiktok\\.com|snapchat\\.com|x\\.com|"
      "twitter\\.com|youtube\\.com|youtu\\.be|linkedin\\.com|t\\.me|vk\\.com|"
      "reddit\\.com|twitch\\.tv|discord\\.gg|discord\\.com|kik\\.me|threads\\.net|"
      "onlyfans\\.com|pinterest\\.com|tumblr\\.com)/[^\\s\"'<>()\\[\\]{},;]+");
  LazyPattern social_handle = Lazy("@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?)");
  LazyPattern social_context =
      Lazy("(?i)(?:^|[^\\p{L}\\p{N}])(?:snap(?:chat)?|insta(?:gram)?|tiktok|tik" SP
           "tok|kik|telegram|discord|twitter|facebook|fb|youtube|twitch|threads|skype|"
           "steam|roblox|fortnite|xbox|psn|playstation|wickr|reddit|linkedin|"
           "onlyfans)(?:[- ]?(namn|namnet|konto|kontot|användarnamn|användarnamnet|"
           "användare|id|handle|profil|profilen|nick|alias))?(?:" SP "*([:=])|" SP
           "+(är|heter|som" SP "+heter))?" SP "*" QUOTE "?@?([\\p{L}\\p{N}_][\\p{L}\\p{N}_.\\-]+)");
  LazyPattern social_context_after =
      Lazy("(?i)(?:^|[^\\p{L}\\p{N}])(?:heter|kallar" SP "+sig|kallas|användarnamnet|namnet)" SP
           "+" QUOTE "?@?([\\p{L}\\p{N}_][\\p{L}\\p{N}_.\\-]+?)" QUOTE "?" SP "+(?:på|i)" SP
           "+(?:snap(?:chat)?|insta(?:gram)?|tiktok|kik|telegram|discord|twitter|facebook|fb|"
           "youtube|twitch|x)(?:[^\\p{L}\\p{N}]|$)");
  LazyPattern ipv4 = Lazy("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  LazyPattern ipv6 = Lazy(
      "[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})?");
  LazyPattern vehicle = Lazy("([A-HJ-PR-UW-Z]{3})" SP "?(\\d{2}[0-9A-HJ-NPR-UW-Z])");
  LazyPattern vehicle_context =
      Lazy("(?i)(?:^|[^\\p{L}\\p{N}])(?:reg\\.?" SP
           "?nr|regnr|registreringsnumret|"
           "registreringsnummer|registreringsnr|reg\\.?" SP
           "?nummer|registreringsskylt(?:en)?|"
           "skylt(?:en)?)\\.?" SP "*:?" SP "*([a-z]{3}" SP "?\\d{2}[a-z0-9])");
  LazyPattern bank_account = Lazy("(\\d{4})(?:-(\\d))?(" SP "?-" SP "?|" SP "|," SP
                                  ")(\\d{1,10}(?:(?:" SP "|-)\\d{1,10}){0,5})");
  LazyPattern bank_context = Lazy(
      "(?i)(?:^|[^\\p{L}\\p{N}])(?:bankkonto(?:nummer|nr|t)?|kontonummer|kontonumret|"
      "kontonr|konto|kontot|clearing(?:nummer|nr)?|clnr|plusgiro(?:nummer)?|pg)\\.?(?:" SP
      "+(?:är|nummer|nr|hos" SP "+\\p{L}+))?" SP "*:?" SP
      "*(\\d[\\d \\x{00A0}\\x{202F},-]{4,28}\\d)");
  LazyPattern iban = Lazy("([A-Z]{2})(\\d{2})((?:" SP "?[A-Z0-9]){10,32})");
  LazyPattern postcode = Lazy("(?:(SE)-?" SP "?|(S)-" SP "?)?([1-9]\\d{2})" SP "?(\\d{2})(?:" SP
                              "+(\\p{Lu}\\p{Ll}+(?:[ -]\\p{Lu}\\p{Ll}+)?|\\p{Lu}{3,}(?:[ "
                              "-]\\p{Lu}{3,})?))?");
  LazyPattern postcode_context =
      Lazy("(?i)(?:postnummer|postnumret|postnr|post-nr)\\.?" SP "*:?" SP "*(\\d{3}" SP "?\\d{2})");
  LazyPattern street =
      Lazy("((?:S:t|St\\.|\\p{Lu}\\p{L}*)" SP "+)?([\\p{L}\\-]*?)(?i:" STREET_SUFFIX ")" SP
           "+(\\d{1,3})(?:" SP "?([A-Ha-h])\\b)?(?:,?" SP
           "*(?i:lgh|lägenhet|lägenhetsnummer)\\.?" SP "*(?:nr\\.?" SP "*)?\\d{1,4})?");
  LazyPattern birth_after_word = Lazy("(?i)(?:^|[^\\p{L}\\p{N}])" BIRTH_WORD SP "*[:.,]?" SP
                                      "*(?:(?:\\p{L}+|\\d{1,2}),?" SP "+){0,3}?(" DATE ")");
  LazyPattern birth_after_identity_word =
      Lazy("(?i)(?:^|[^\\p{L}\\p{N}])" IDENTITY_WORD SP "*[:.,]?" SP "*(?:(?:är|börjar" SP
           "+(?:på|med))" SP "+)?(" DATE ")");
  LazyPattern birth_before_word =
      Lazy("(?i)(" DATE ")" SP "+(?:föddes|(?:är|var)" SP
           "+(?:hennes|hans|hens|barnets|flickans|pojkens|dennes|deras)" SP "+födelsedag)");

  LazyPattern bank_word = Lazy(
      "(?i)(konto|clearing|bank|swedbank|nordea|handelsbanken|seb|danske|länsförsäkringar|"
      "sparbank|ica|skandia|avanza|nordnet)");
  LazyPattern non_street_compound = Lazy(
      "(?:vård|handlings|genomförande|åtgärds|säkerhets|behandlings|skydds|utrednings|elev|"
      "studie|läro|kurs|stöd|skol|livs|kris|insats|arbets|omsorgs|samordnings|hand|under|mål|"
      "parkerings|brotts|mötes|lek|sitt|gen|om|halv|motor|fel|rätt|mitt|bak|upp|ned|ner|på|"
      "av|in|ut|till|sam|sido|bil|cykel|gång|fot)(?:plan|platsen|vägen|väg|stigen|stig|"
      "leden|backen|backe|hagen|gärdet|ringen|bågen|höjden|liden|torget|torg)");
  LazyPattern unit_after = Lazy("(?i)" SP
                                "*(?:år|km|mil|meter|m|min|minuter|timmar|h|gånger|ggr|%|procent|"
                                "kr|kronor|st|stycken|dagar|veckor|elever|barn)(?:[^\\p{L}]|$)");

  // Anchored re-parsers for a DATE match.
  LazyPattern date_ymd = Lazy("((?:19|20)\\d{2})[-/.]?(\\d{1,2})[-/.]?(\\d{1,2})");
  LazyPattern date_yymmdd = Lazy("(\\d{2})(\\d{2})(\\d{2})");
  LazyPattern date_dmy =
      Lazy("(\\d{1,2})[/.-](\\d{1,2})(?:(?:[/.-]|" SP "?-" SP "?|" SP ")((?:19|20)?\\d{2}))?");
  LazyPattern date_d_month =
      Lazy("(?i)(\\d{1,2})(?::[ae])?" SP "+(" MONTH ")\\.?(?:" SP "+((?:19|20)\\d{2}))?");
  LazyPattern date_month_d =
      Lazy("(?i)(" MONTH ")\\.?" SP "+(\\d{1,2})(?:st|nd|rd|th)?,?" SP "+((?:19|20)\\d{2})");
};

const Patterns& GetPatterns() {
  static const Patterns* const patterns = new Patterns();
  return *patterns;
}

// ---------------------------------------------------------------------------
// Matching helpers
// ---------------------------------------------------------------------------
using Groups = std::vector<re2::StringPiece>;

bool Matched(const re2::StringPiece& group) { return group.data() != nullptr; }
size_t Begin(std::string_view text, const re2::StringPiece& group) {
  return static_cast<size_t>(group.data() - text.data());
}
size_t End(std::string_view text, const re2::StringPiece& group) {
  return Begin(text, group) + group.size();
}
std::string_view View(const re2::StringPiece& group) {
  return std::string_view(group.data(), group.size());
}

// Calls `on_match(groups)` for every match of `re` in `text`. `on_match`
// returns the byte offset to resume searching at (after an accepted match,
// the end of what it reported), or nullopt to resume one code point after the
// match start, so that a shorter or later candidate overlapping a rejected
// one is still tried. The search always advances.
template <typename OnMatch>
void ForEachMatch(const RE2& re, std::string_view text, OnMatch&& on_match) {
  const int group_count = 1 + re.NumberOfCapturingGroups();
  Groups groups(group_count);
  const re2::StringPiece piece(text.data(), text.size());
  size_t pos = 0;
  while (pos < text.size() &&
         re.Match(piece, pos, text.size(), RE2::UNANCHORED, groups.data(), group_count)) {
    const size_t begin = Begin(text, groups[0]);
    const size_t next = NextCodePoint(text, begin);
    const std::optional<size_t> resume = on_match(groups);
    pos = resume.has_value() ? std::max(*resume, next) : next;
  }
}

bool WordCharBefore(std::string_view text, size_t pos) {
  return IsWordChar(CodePointBefore(text, pos));
}
bool WordCharAt(std::string_view text, size_t pos) { return IsWordChar(CodePointAt(text, pos)); }
bool DigitBefore(std::string_view text, size_t pos) {
  return IsAsciiDigit(CodePointBefore(text, pos));
}
bool DigitAt(std::string_view text, size_t pos) { return IsAsciiDigit(CodePointAt(text, pos)); }

bool IsSpace(char32_t c) { return c == U' ' || c == 0xA0 || c == 0x202F; }

// `text` without the spaces (including no-break spaces) at its end.
std::string_view StripTrailingSpace(std::string_view text) {
  while (!text.empty()) {
    const char32_t last = CodePointBefore(text, text.size());
    if (!IsSpace(last)) break;
    text.remove_suffix(last < 0x80 ? 1 : (last < 0x800 ? 2 : 3));
  }
  return text;
}

// True when the number starting at `pos` continues a number before it: a
// digit directly before, or a number and one space/hyphen/dot/slash before
// ("1 234", "2019-1234"). A word that ends in digits ("lisa_09", "ABC 123")
// is not a number.
bool ContinuesNumberBefore(std::string_view text, size_t pos) {
  if (DigitBefore(text, pos)) return true;
  const char32_t before = CodePointBefore(text, pos);
  if (before == 0) return false;
  if (!(IsSpace(before) || before == U'-' || before == U'.' || before == U'/')) return false;
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  if (!DigitBefore(text, start)) return false;
  size_t run_start = start;
  while (run_start > 0 && DigitBefore(text, run_start)) --run_start;
  const char32_t before_run = CodePointBefore(text, run_start);
  return !(IsLetter(before_run) || before_run == U'_');
}

// Byte offset just after the run of ASCII digits that starts at `pos`.
size_t EndOfDigitRun(std::string_view text, size_t pos) {
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  return pos;
}

int ToInt(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

std::string DigitsOf(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

// The longest prefix of [begin, end) that ends at the end of a run of digits
// and holds between min_digits and max_digits digits. With
// `skip_trunk_zero`, a "(0)" does not count.
struct DigitPrefix {
  size_t end = 0;
  std::string digits;
};
std::optional<DigitPrefix> LongestDigitPrefix(std::string_view text, size_t begin, size_t end,
                                              size_t min_digits, size_t max_digits,
                                              bool skip_trunk_zero = false) {
  std::optional<DigitPrefix> best;
  std::string digits;
  for (size_t i = begin; i < end; ++i) {
    if (skip_trunk_zero && text[i] == '(' && i + 2 < end && text[i + 1] == '0' &&
        text[i + 2] == ')') {
      i += 2;
      continue;
    }
    if (text[i] < '0' || text[i] > '9') continue;
    digits.push_back(text[i]);
    if (digits.size() > max_digits) break;
    const bool run_ends = i + 1 >= end || text[i + 1] < '0' || text[i + 1] > '9';
    if (run_ends && digits.size() >= min_digits) best = DigitPrefix{i + 1, digits};
  }
  return best;
}

void Add(std::vector<Candidate>* out, size_t begin, size_t end, FindingKind kind) {
  if (end > begin) out->push_back(Candidate{begin, end, kind});
}

std::string ToLowerUtf8(std::string_view word) {
  // Lower-cases ASCII and the Latin-1 capitals (Å Ä Ö É ...), which is all the
  // suffix and compound tables need.
  std::string lower;
  lower.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const auto b = static_cast<unsigned char>(word[i]);
    if (b == 0xC3 && i + 1 < word.size()) {
      const auto next = static_cast<unsigned char>(word[i + 1]);
      lower.push_back(static_cast<char>(b));
      lower.push_back(
          static_cast<char>(next >= 0x80 && next <= 0x9E && next != 0x97 ? next + 0x20 : next));
      ++i;
    } else {
      lower.push_back(static_cast<char>(absl::ascii_tolower(b)));
    }
  }
  return lower;
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------
struct Date {
  int year = 0;  // 0: not written
  bool two_digit_year = false;
  int month = 0;
  int day = 0;
};

int MonthNumber(std::string_view name) {
  static const auto* const months = new absl::flat_hash_map<std::string, int>{
      {"jan", 1},       {"januari", 1}, {"january", 1},   {"feb", 2},      {"februari", 2},
      {"february", 2},  {"mar", 3},     {"mars", 3},      {"march", 3},    {"apr", 4},
      {"april", 4},     {"maj", 5},     {"may", 5},       {"jun", 6},      {"juni", 6},
      {"june", 6},      {"jul", 7},     {"juli", 7},      {"july", 7},     {"aug", 8},
      {"augusti", 8},   {"august", 8},  {"sep", 9},       {"sept", 9},     {"september", 9},
      {"okt", 10},      {"oct", 10},    {"oktober", 10},  {"october", 10}, {"nov", 11},
      {"november", 11}, {"dec", 12},    {"december", 12},
  };
  const auto it = months->find(ToLowerUtf8(name));
  return it == months->end() ? 0 : it->second;
}

std::optional<Date> ParseDate(std::string_view text) {
  const Patterns& p = GetPatterns();
  re2::StringPiece a, b, c;
  const re2::StringPiece piece(text.data(), text.size());
  if (RE2::FullMatch(piece, *p.date_ymd, &a, &b, &c)) {
    return Date{ToInt(View(a)), false, ToInt(View(b)), ToInt(View(c))};
  }
  if (RE2::FullMatch(piece, *p.date_yymmdd, &a, &b, &c)) {
    return Date{ToInt(View(a)), true, ToInt(View(b)), ToInt(View(c))};
  }
  if (RE2::FullMatch(piece, *p.date_dmy, &a, &b, &c)) {
    Date date{0, false, ToInt(View(b)), ToInt(View(a))};
    if (!c.empty()) {
      date.year = ToInt(View(c));
      date.two_digit_year = c.size() == 2;
    }
    return date;
  }
  if (RE2::FullMatch(piece, *p.date_d_month, &a, &b, &c)) {
    return Date{c.empty() ? 0 : ToInt(View(c)), false, MonthNumber(View(b)), ToInt(View(a))};
  }
  if (RE2::FullMatch(piece, *p.date_month_d, &a, &b, &c)) {
    return Date{ToInt(View(c)), false, MonthNumber(View(a)), ToInt(View(b))};
  }
  return std::nullopt;
}

// A birth date of someone alive today: a calendar date whose year (when
// written with four digits) makes the person 0 to 110 years old. A two-digit
// year fits some century, so only the day and month are checked.
bool IsPlausibleBirthDate(const Date& date, int current_year) {
  if (date.year == 0 || date.two_digit_year) {
    return IsCalendarDate(date.two_digit_year && date.year % 4 != 0 ? 2001 : 0, date.month,
                          date.day);
  }
  if (date.year > current_year || date.year < current_year - 110) return false;
  return IsCalendarDate(date.year, date.month, date.day);
}

// ---------------------------------------------------------------------------
// Detectors
// ---------------------------------------------------------------------------

// Personal identity numbers (personnummer) and coordination numbers
// (samordningsnummer, day + 60): YYMMDD-NNNN, YYMMDD+NNNN, YYYYMMDDNNNN and
// spaced forms, Luhn checksum over the ten digits, calendar date checked.
void DetectIdentityNumbers(std::string_view text, int current_year, std::vector<Candidate>* out) {
  ForEachMatch(*GetPatterns().identity_number, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    const size_t end = End(text, g[0]);
    // Inside a run of digits every later start has a digit before it too.
    if (DigitBefore(text, begin)) return EndOfDigitRun(text, begin);
    if (WordCharAt(text, end)) return std::nullopt;
    const char32_t before = CodePointBefore(text, begin);
    if ((before == U'-' || before == U'+') && DigitBefore(text, begin - 1)) {
      return std::nullopt;  // the tail of a longer number
    }
    std::string_view date_digits = View(g[1]);
    int year = 0;
    if (date_digits.size() == 8) {
      const int century = ToInt(date_digits.substr(0, 2));
      if (century < 18 || century > 20) return std::nullopt;
      year = ToInt(date_digits.substr(0, 4));
      if (year > current_year || year < current_year - 130) return std::nullopt;
      date_digits.remove_prefix(2);
    }
    const int month = ToInt(date_digits.substr(2, 2));
    int day = ToInt(date_digits.substr(4, 2));
    FindingKind kind = FindingKind::kPersonnummer;
    if (day > 60) {
      day -= 60;
      kind = FindingKind::kSamordningsnummer;
    }
    const int check_year = year != 0 ? year : (ToInt(date_digits.substr(0, 2)) % 4 == 0 ? 0 : 2001);
    if (!IsCalendarDate(check_year, month, day)) return std::nullopt;
    // A wrong check digit is most likely a typing mistake in a real number,
    // which identifies just as well: reported as a possible personnummer.
    if (!LuhnValid(std::string(date_digits) + std::string(View(g[3])))) {
      kind = FindingKind::kPossiblePersonnummer;
    }
    Add(out, begin, end, kind);
    return end;
  });
}

// The date half of an identity number whose last four digits are masked
// ("090314-XXXX") is an exact birth date.
void DetectMaskedIdentityNumbers(std::string_view text, int current_year,
                                 std::vector<Candidate>* out) {
  ForEachMatch(*GetPatterns().masked_identity_number, text,
               [&](const Groups& g) -> std::optional<size_t> {
                 const size_t begin = Begin(text, g[0]);
                 const size_t end = End(text, g[0]);
                 if (DigitBefore(text, begin) || WordCharAt(text, end)) return std::nullopt;
                 std::string_view digits = View(g[1]);
                 Date date;
                 if (digits.size() == 8) {
                   date = Date{ToInt(digits.substr(0, 4)), false, ToInt(digits.substr(4, 2)),
                               ToInt(digits.substr(6, 2))};
                 } else {
                   date = Date{ToInt(digits.substr(0, 2)), true, ToInt(digits.substr(2, 2)),
                               ToInt(digits.substr(4, 2))};
                 }
                 if (date.day > 60) date.day -= 60;
                 if (!IsPlausibleBirthDate(date, current_year)) return std::nullopt;
                 Add(out, begin, end, FindingKind::kBirthDate);
                 return end;
               });
}

// Numbers that name a public service or an organisation, never a person.
bool IsPublicServiceNumber(std::string_view digits) {
  static const auto* const numbers = new absl::flat_hash_set<std::string_view>{
      "112", "1177", "11414", "11313", "116111", "116006", "116000", "116123", "90000", "90101",
  };
  return numbers->contains(digits);
}

// Non-geographic prefixes that organisations use (toll-free 020/0200,
// shared-cost 077x, premium 0900/0939/0944); not assigned to persons.
bool IsOrganisationPrefix(std::string_view digits) {
  return digits.starts_with("020") || digits.starts_with("077") || digits.starts_with("0900") ||
         digits.starts_with("0939") || digits.starts_with("0944");
}

// Swedish national form: 0 + area code + subscriber number, 8 to 10 digits
// (mobile numbers 07x: exactly 10), with single spaces or hyphens between
// digit groups.
void DetectNationalPhones(std::string_view text, std::vector<Candidate>* out) {
  size_t last_end = std::string_view::npos;  // end of the previous phone number
  ForEachMatch(*GetPatterns().phone_national, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    const size_t end = End(text, g[0]);
    const char32_t before = CodePointBefore(text, begin);
    // "070-123 45 67 08-123 456 78": a number right after a phone number is
    // not the tail of a longer one.
    const bool follows_phone = last_end != std::string_view::npos &&
                               begin == NextCodePoint(text, last_end) && IsSpace(before);
    if (WordCharBefore(text, begin) || before == U'+' ||
        (ContinuesNumberBefore(text, begin) && !follows_phone)) {
      return std::nullopt;
    }
    std::optional<DigitPrefix> prefix = LongestDigitPrefix(text, begin, end, 8, 10);
    if (!prefix.has_value()) return std::nullopt;
    if (prefix->digits.starts_with("07") && prefix->digits.size() != 10) {
      prefix = LongestDigitPrefix(text, begin, end, 10, 10);
      if (!prefix.has_value()) return std::nullopt;
    }
    // An area code is 2 to 4 digits (only Stockholm's 08 has two); a longer
    // first group is some other number ("090314-1233").
    size_t first_run = 0;
    for (size_t i = begin; i < end && (text[i] == '(' || DigitAt(text, i)); ++i) {
      if (text[i] != '(') ++first_run;
    }
    if (first_run != prefix->digits.size()) {
      if (first_run < 2 || first_run > 4) return std::nullopt;
      if (first_run == 2 && prefix->digits[1] != '8') return std::nullopt;
    }
    if (IsOrganisationPrefix(prefix->digits)) return std::nullopt;
    Add(out, begin, prefix->end, FindingKind::kPhone);
    last_end = prefix->end;
    return prefix->end;
  });
}

// International form: +CC or 00CC (also "00 46"), then 8 to 15 digits in all (E.164);
// "(0)" after the country code does not count. For +46 the national part
// must have 7 to 9 digits.
void DetectInternationalPhones(std::string_view text, std::vector<Candidate>* out) {
  ForEachMatch(*GetPatterns().phone_international, text,
               [&](const Groups& g) -> std::optional<size_t> {
                 const size_t begin = Begin(text, g[0]);
                 const size_t end = End(text, g[0]);
                 if (WordCharBefore(text, begin) || CodePointBefore(text, begin) == U'+') {
                   return std::nullopt;
                 }
                 const size_t digits_begin = text[begin] == '+' ? begin + 1 : begin + 2;
                 const std::optional<DigitPrefix> prefix =
                     LongestDigitPrefix(text, digits_begin, end, 8, 15, true);
                 if (!prefix.has_value()) return std::nullopt;
                 if (prefix->digits.starts_with("46")) {
                   std::string_view national = std::string_view(prefix->digits).substr(2);
                   if (national.starts_with("0")) national.remove_prefix(1);
                   if (national.size() < 7 || national.size() > 9) return std::nullopt;
                 }
                 Add(out, begin, prefix->end, FindingKind::kPhone);
                 return prefix->end;
               });
}

// After a phone word ("tel", "mobil:"), any number of 6 to 12 digits is a
// phone number unless it is a public service number.
void DetectContextPhones(std::string_view text, std::vector<Candidate>* out) {
  ForEachMatch(*GetPatterns().phone_context, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[1]);
    const size_t end = End(text, g[1]);
    const std::optional<DigitPrefix> prefix = LongestDigitPrefix(text, begin, end, 6, 12);
    if (!prefix.has_value() || IsPublicServiceNumber(prefix->digits)) return std::nullopt;
    if (IsOrganisationPrefix(prefix->digits)) return std::nullopt;
    Add(out, begin, prefix->end, FindingKind::kPhone);
    return prefix->end;
  });
}

// E-mail addresses, including the "namn (at) domän.se" spellings.
void DetectEmails(std::string_view text, std::vector<Candidate>* out) {
  // Every match has '@' or a bracket before "at"; without one the pattern
  // need not be compiled.
  if (text.find_first_of("@[(") == std::string_view::npos) return;
  ForEachMatch(*GetPatterns().email, text, [&](const Groups& g) -> std::optional<size_t> {
    size_t begin = Begin(text, g[0]);
    const size_t end = End(text, g[0]);
    while (begin < end && (text[begin] == '.' || text[begin] == '-')) ++begin;
    if (WordCharAt(text, end)) return std::nullopt;
    Add(out, begin, end, FindingKind::kEmail);
    return end;
  });
}

bool IsCommonWord(std::string_view word) {
  static const auto* const words = new absl::flat_hash_set<std::string>{
      "hon",     "han",    "hen",    "de",        "dem",     "det",   "den",   "vi",      "jag",
      "du",      "ni",     "och",    "men",       "som",     "har",   "hade",  "är",      "var",
      "inte",    "privat", "stängt", "borttaget", "raderat", "okänt", "okänd", "hemligt", "också",
      "ett",     "en",     "sitt",   "sin",       "hennes",  "hans",  "mamma", "pappa",   "barnet",
      "flickan", "pojken", "eleven", "the",       "and",     "her",   "his",
  };
  return words->contains(ToLowerUtf8(word));
}

// Profile links (instagram.com/..., tiktok.com/@...), @handles and handles
// named after a platform ("Snapchat: lisa_09", "hennes tiktok-namn är
// lisa.k").
void DetectSocialMedia(std::string_view text, std::vector<Candidate>* out) {
  const Patterns& p = GetPatterns();
  ForEachMatch(*p.social_link, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    size_t end = End(text, g[0]);
    const char32_t before = CodePointBefore(text, begin);
    if (IsWordChar(before) || before == U'.' || before == U'@' || before == U'/') {
      return std::nullopt;
    }
    while (end > begin &&
           std::string_view(".!?:-/").find(text[end - 1]) != std::string_view::npos) {
      --end;
    }
    // A profile has a path after the site's name ("instagram.com/" is the site).
    const std::string_view link = text.substr(begin, end - begin);
    const size_t scheme = link.find("://");
    const size_t slash = link.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    if (slash == std::string_view::npos || slash + 1 >= link.size()) return std::nullopt;
    Add(out, begin, end, FindingKind::kSocialMedia);
    return end;
  });
  ForEachMatch(*p.social_handle, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    const size_t end = End(text, g[0]);
    const char32_t before = CodePointBefore(text, begin);
    if (IsWordChar(before) || before == U'.' || before == U'@' || before == U'/' ||
        before == U'-' || before == U'+') {
      return std::nullopt;
    }
    const std::string_view handle = View(g[1]);
    if (handle.size() < 2 || DigitsOf(handle).size() == handle.size()) return std::nullopt;
    const char32_t after = CodePointAt(text, end);
    if (after == U'@' || IsLetter(after)) return std::nullopt;
    Add(out, begin, end, FindingKind::kSocialMedia);
    return end;
  });
  ForEachMatch(*p.social_context, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[4]);
    size_t end = End(text, g[4]);
    while (end > begin && (text[end - 1] == '.' || text[end - 1] == '-')) --end;
    const std::string_view handle = text.substr(begin, end - begin);
    if (handle.size() < 2 || handle.size() > 30 || IsCommonWord(handle)) return std::nullopt;
    const bool has_marks = handle.find_first_of("0123456789_.-") != std::string_view::npos;
    const bool named = Matched(g[1]);
    const bool connector = Matched(g[2]) || Matched(g[3]);
    const bool colon = Matched(g[2]);
    // "Snapchat: sara_k2008", "snapchatkontot ali.2008", "Instagram-namn: fatima".
    if (!connector && !(named && has_marks)) return std::nullopt;
    if (!has_marks && !(named && colon)) return std::nullopt;
    if (DigitsOf(handle).size() == handle.size()) return std::nullopt;
    size_t start = begin;
    if (start > 0 && text[start - 1] == '@') --start;
    Add(out, start, end, FindingKind::kSocialMedia);
    return end;
  });
  // "hon heter lisa_b09 på snap"
  ForEachMatch(*p.social_context_after, text, [&](const Groups& g) -> std::optional<size_t> {
    size_t begin = Begin(text, g[1]);
    const size_t end = End(text, g[1]);
    const std::string_view handle = View(g[1]);
    if (handle.size() > 30 || IsCommonWord(handle)) return std::nullopt;
    if (DigitsOf(handle).size() == handle.size()) return std::nullopt;
    if (begin > 0 && text[begin - 1] == '@') --begin;
    Add(out, begin, end, FindingKind::kSocialMedia);
    return end;
  });
}

// IPv4 (four octets 0-255) and IPv6 (validated with inet_pton).
void DetectIpAddresses(std::string_view text, std::vector<Candidate>* out) {
  const Patterns& p = GetPatterns();
  ForEachMatch(*p.ipv4, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    const size_t end = End(text, g[0]);
    if (ContinuesNumberBefore(text, begin) || WordCharBefore(text, begin)) return std::nullopt;
    if (WordCharAt(text, end)) return std::nullopt;
    if (end < text.size() && text[end] == '.' && DigitAt(text, end + 1)) return std::nullopt;
    const std::string_view candidate = View(g[0]);
    if (candidate.size() == 7) return std::nullopt;  // "2.3.1.4": a section number
    // Octets 0-255; leading zeros ("192.168.001.001") are allowed.
    for (size_t start = 0; start <= candidate.size();) {
      const size_t dot = std::min(candidate.find('.', start), candidate.size());
      if (ToInt(candidate.substr(start, dot - start)) > 255) return std::nullopt;
      start = dot + 1;
    }
    Add(out, begin, end, FindingKind::kIpAddress);
    return end;
  });
  ForEachMatch(*p.ipv6, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    const size_t end = End(text, g[0]);
    const char32_t before = CodePointBefore(text, begin);
    if (IsWordChar(before) || before == U':') return std::nullopt;
    if (WordCharAt(text, end) || CodePointAt(text, end) == U':') return std::nullopt;
    const std::string candidate(View(g[0]));
    size_t hex_digits = 0;
    for (char c : candidate) hex_digits += absl::ascii_isxdigit(c) ? 1 : 0;
    if (hex_digits < 4) return std::nullopt;
    in6_addr address;
    if (inet_pton(AF_INET6, candidate.c_str(), &address) != 1) return std::nullopt;
    Add(out, begin, end, FindingKind::kIpAddress);
    return end;
  });
}

// Swedish plates: three letters (no I, Q, V) and two digits plus a digit or
// a letter (no O), upper case, optionally spaced ("ABC 123", "ABC12A").
void DetectVehicleRegistrations(std::string_view text, std::vector<Candidate>* out) {
  static const auto* const not_plates = new absl::flat_hash_set<std::string_view>{
      "SEK", "EUR", "USD", "NOK", "DKK", "GBP", "CHF", "JPY", "SFS", "SOU", "TEL", "MOB", "FAX",
      "TFN", "NPF", "BUP", "KBT", "DSM", "NUM", "NRO", "ART", "KAP", "SMS", "SOS", "MMS", "TTY",
  };
  ForEachMatch(*GetPatterns().vehicle, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    const size_t end = End(text, g[0]);
    if (WordCharBefore(text, begin) || WordCharAt(text, end)) return std::nullopt;
    if (not_plates->contains(View(g[1]))) return std::nullopt;
    if (View(g[2]) == "112") return std::nullopt;  // "SMS 112", the emergency number
    const char32_t after = CodePointAt(text, end);
    if ((after == U':' || after == U'.' || after == U',' || after == U'/') &&
        DigitAt(text, end + 1)) {
      return std::nullopt;
    }
    Add(out, begin, end, FindingKind::kVehicleRegistration);
    return end;
  });
  // After a plate word ("regnr abc123") the case does not matter.
  ForEachMatch(*GetPatterns().vehicle_context, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[1]);
    const size_t end = End(text, g[1]);
    if (WordCharAt(text, end)) return std::nullopt;
    Add(out, begin, end, FindingKind::kVehicleRegistration);
    return end;
  });
}

bool HasBankWordBefore(std::string_view text, size_t pos) {
  const size_t from = pos > 48 ? pos - 48 : 0;
  return RE2::PartialMatch(re2::StringPiece(text.data() + from, pos - from),
                           *GetPatterns().bank_word);
}

// Swedish bank accounts: a clearing number (4 digits, or Swedbank's 8xxx-x)
// and 6 to 10 account digits ("8327-9 123 456 789-0", "1234-123456",
// "6000-123 456 789"). A clearing number that reads like a year (1900-2099)
// or a comma separator needs a bank word within the 48 bytes before. After
// an account word ("kontonummer:", "clearing") 7 to 16 digits in any grouping.
void DetectBankAccounts(std::string_view text, std::vector<Candidate>* out) {
  const Patterns& p = GetPatterns();
  ForEachMatch(*p.bank_account, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    if (ContinuesNumberBefore(text, begin) || WordCharBefore(text, begin)) return std::nullopt;
    const int clearing = ToInt(View(g[1]));
    if (clearing < 1100) return std::nullopt;
    if (Matched(g[2]) && (clearing < 8000 || clearing > 8999)) return std::nullopt;
    const bool year_like = clearing >= 1900 && clearing <= 2099;
    const bool comma = View(g[3]).find(',') != std::string_view::npos;
    if ((year_like || comma) && !HasBankWordBefore(text, begin)) return std::nullopt;
    const std::optional<DigitPrefix> account =
        LongestDigitPrefix(text, Begin(text, g[4]), End(text, g[4]), 6, 10);
    if (!account.has_value()) return std::nullopt;
    if (WordCharAt(text, account->end)) return std::nullopt;
    Add(out, begin, account->end, FindingKind::kBankAccount);
    return account->end;
  });
  ForEachMatch(*p.bank_context, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[1]);
    const std::optional<DigitPrefix> account =
        LongestDigitPrefix(text, begin, End(text, g[1]), 7, 16);
    if (!account.has_value() || WordCharAt(text, account->end)) return std::nullopt;
    Add(out, begin, account->end, FindingKind::kBankAccount);
    return account->end;
  });
}

// IBAN length per country (ISO 13616 registry, the countries Swedish case
// work meets most).
int IbanLength(std::string_view country) {
  static const auto* const lengths = new absl::flat_hash_map<std::string_view, int>{
      {"SE", 24}, {"NO", 15}, {"DK", 18}, {"FI", 18}, {"IS", 26}, {"DE", 22}, {"GB", 22},
      {"FR", 27}, {"ES", 24}, {"IT", 27}, {"NL", 18}, {"BE", 16}, {"PL", 28}, {"TR", 26},
      {"CH", 21}, {"AT", 20}, {"EE", 20}, {"LV", 21}, {"LT", 20}, {"IE", 22}, {"PT", 25},
      {"GR", 27}, {"SA", 24}, {"AE", 23}, {"IQ", 23}, {"LB", 28}, {"JO", 30}, {"PS", 29},
      {"EG", 29}, {"SO", 23}, {"RO", 24}, {"BG", 22}, {"HR", 21}, {"SI", 19}, {"SK", 24},
      {"CZ", 24}, {"HU", 28}, {"LU", 20}, {"CY", 28}, {"MT", 31}, {"BA", 20}, {"RS", 22},
      {"AL", 28}, {"MK", 19}, {"XK", 20}, {"UA", 29}, {"GE", 22}, {"AZ", 28}, {"KW", 30},
      {"QA", 29}, {"BH", 22}, {"TN", 24}, {"PK", 24}, {"IL", 23},
  };
  const auto it = lengths->find(country);
  return it == lengths->end() ? 0 : it->second;
}

// IBANs of any country, compact or in groups of four, mod-97 verified.
void DetectIbans(std::string_view text, std::vector<Candidate>* out) {
  ForEachMatch(*GetPatterns().iban, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    if (WordCharBefore(text, begin)) return std::nullopt;
    // Collect the characters after the check digits, remembering where each
    // one ends, so the IBAN can be cut at the registered length.
    std::string compact(View(g[1]));
    compact.append(View(g[2]));
    std::vector<size_t> ends;  // ends[k]: text offset after compact[4 + k]
    const size_t rest_end = End(text, g[3]);
    for (size_t i = Begin(text, g[3]); i < rest_end; ++i) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(text[i]))) {
        compact.push_back(text[i]);
        ends.push_back(i + 1);
      }
    }
    const int registered = IbanLength(View(g[1]));
    std::vector<size_t> lengths;
    if (registered > 0) {
      lengths.push_back(static_cast<size_t>(registered));
    } else {
      for (size_t len = std::min<size_t>(compact.size(), 34); len >= 15; --len) {
        lengths.push_back(len);
      }
    }
    for (size_t len : lengths) {
      if (len > compact.size()) continue;
      const size_t end = ends[len - 5];
      if (WordCharAt(text, end)) continue;  // an IBAN ends at a group boundary
      if (!IbanChecksumValid(std::string_view(compact).substr(0, len))) continue;
      Add(out, begin, end, FindingKind::kIban);
      return end;
    }
    return std::nullopt;
  });
}

bool IsNotATown(std::string_view word) {
  static const auto* const words = new absl::flat_hash_set<std::string>{
      "hon",    "han",     "hen",     "de",       "det",    "den",     "vi",       "jag",
      "du",     "ni",      "man",     "och",      "men",    "eller",   "som",      "efter",
      "under",  "kronor",  "kr",      "euro",     "dollar", "elever",  "personer", "barn",
      "barnet", "flickan", "pojken",  "familjen", "mamma",  "pappa",   "vecka",    "år",
      "dagar",  "timmar",  "minuter", "procent",  "st",     "stycken", "ärenden",  "anmälningar",
      "the",    "and",     "in",      "on",       "sek",    "eur",     "usd",      "nok",
      "dkk",    "msek",    "mkr",     "tkr",      "ksek",
  };
  return words->contains(ToLowerUtf8(word));
}

// Swedish postcodes (100 00 - 984 99): "123 45 Stockholm", "12345 Ort",
// "SE-123 45", or after "postnummer". 114 14 (the police) and 113 13 are
// public service numbers, not postcodes.
void DetectPostcodes(std::string_view text, std::vector<Candidate>* out) {
  // Both patterns match five digits; with fewer neither need be compiled.
  if (std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) < 5) {
    return;
  }
  const Patterns& p = GetPatterns();
  ForEachMatch(*p.postcode, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[0]);
    size_t end = End(text, g[0]);
    // Inside a longer number every later start fails the same way.
    if (ContinuesNumberBefore(text, begin)) return EndOfDigitRun(text, begin);
    if (WordCharBefore(text, begin)) return std::nullopt;
    const size_t digits_end = End(text, g[4]);
    if (DigitAt(text, digits_end)) return EndOfDigitRun(text, digits_end);
    const std::string digits = std::string(View(g[3])) + std::string(View(g[4]));
    const int value = ToInt(digits);
    if (value > 98499 || IsPublicServiceNumber(digits)) return std::nullopt;
    const bool prefixed = Matched(g[1]) || Matched(g[2]);
    const bool town = Matched(g[5]) && !IsNotATown(View(g[5]).substr(0, View(g[5]).find(' ')));
    if (!town) end = digits_end;
    if (!prefixed && !town) return std::nullopt;
    if (WordCharAt(text, end)) return std::nullopt;
    Add(out, begin, end, FindingKind::kPostcode);
    return end;
  });
  ForEachMatch(*p.postcode_context, text, [&](const Groups& g) -> std::optional<size_t> {
    const size_t begin = Begin(text, g[1]);
    const size_t end = End(text, g[1]);
    if (DigitAt(text, end)) return std::nullopt;
    Add(out, begin, end, FindingKind::kPostcode);
    return end;
  });
}

enum class SuffixClass {
  kStrong,           // -gatan, -vägen ...: an address in any case
  kCapitalRequired,  // -plan, -platsen, -hagen ...: only as a capitalised name
};

SuffixClass ClassifySuffix(std::string_view suffix_lower) {
  static const auto* const strong = new absl::flat_hash_set<std::string_view>{
      "gatan", "gata", "vägen", "väg",    "gränden", "gränd",  "allén",
      "allé",  "alle", "leden", "torget", "stigen",  "backen", "kajen",
  };
  return strong->contains(suffix_lower) ? SuffixClass::kStrong : SuffixClass::kCapitalRequired;
}

// Compound nouns that end like a street but name something else
// ("handlingsplan 2", "motorvägen 3 mil").
bool IsNonStreetCompound(std::string_view word_lower) {
  return RE2::FullMatch(re2::StringPiece(word_lower.data(), word_lower.size()),
                        *GetPatterns().non_street_compound);
}

bool StartsUpper(std::string_view word) {
  const char32_t c = CodePointAt(word, 0);
  if (c < 0x80) return c >= U'A' && c <= U'Z';
  return (c >= 0xC0 && c <= 0xDE && c != 0xD7);  // À-Þ, including Å Ä Ö
}

bool IsStreetPrefixWord(std::string_view word) {
  static const auto* const prefixes = new absl::flat_hash_set<std::string_view>{
      "S:t",    "St.",   "Sankt",      "Lilla", "Stora",  "Norra",  "Södra",      "Östra",
      "Västra", "Gamla", "Nya",        "Övre",  "Nedre",  "Yttre",  "Inre",       "Drottning",
      "Kung",   "Prins", "Prinsessan", "Fru",   "Doktor", "Biskop", "Kyrkoherde",
  };
  return prefixes->contains(word);
}

// Street addresses: a street name ending in a Swedish street suffix and a
// house number, optionally a letter and "lgh 1102". A compound name
// ("Storgatan 12") is enough for the strong suffixes; "-plan", "-platsen",
// "-hagen" and the like need a capitalised name; a separate suffix word
// ("Sergels torg 12") needs a capitalised word before it.
void DetectStreetAddresses(std::string_view text, std::vector<Candidate>* out) {
  ForEachMatch(*GetPatterns().street, text, [&](const Groups& g) -> std::optional<size_t> {
    // A rejected candidate is rejected for every later start before its house
    // number too (same number, same word, or a start inside the word), so the
    // search resumes after the number: linear even on giant words.
    const size_t rejected = End(text, g[4]);
    size_t end = End(text, g[0]);
    if (DigitAt(text, End(text, g[4]))) return rejected;
    // "Storgatan 12 bor": the letter after the number is the start of a word.
    if (Matched(g[5]) && WordCharAt(text, End(text, g[5]))) end = End(text, g[4]);
    if (WordCharAt(text, end)) return rejected;
    re2::StringPiece rest(text.data() + End(text, g[4]), text.size() - End(text, g[4]));
    if (end == End(text, g[4]) && RE2::Consume(&rest, *GetPatterns().unit_after)) {
      return rejected;  // "Storgatan 5 minuter": a quantity, not a house number
    }
    const std::string_view stem = View(g[2]);
    const std::string_view suffix = View(g[3]);
    const size_t word_begin = Begin(text, g[2]);
    const std::string_view word = text.substr(word_begin, End(text, g[3]) - word_begin);
    const std::string word_lower = ToLowerUtf8(word);
    if (WordCharBefore(text, word_begin)) return rejected;
    const std::string_view name_before =
        Matched(g[1]) ? StripTrailingSpace(View(g[1])) : std::string_view();
    size_t begin = word_begin;
    if (stem.empty() || std::all_of(stem.begin(), stem.end(), [](char c) { return c == '-'; })) {
      // Separate suffix word: "Sergels torg 12", "Drottning Kristinas väg 3".
      if (name_before.empty() || IsNotATown(name_before) || IsCommonWord(name_before)) {
        return rejected;
      }
      begin = Begin(text, g[1]);
    } else {
      // Compound: "Storgatan 12". At least two letters before the suffix.
      size_t stem_letters = 0;
      for (size_t i = 0; i < stem.size(); i = NextCodePoint(stem, i)) {
        if (IsLetter(CodePointAt(stem, i))) ++stem_letters;
      }
      if (stem_letters < 2) return rejected;
      if (IsNonStreetCompound(word_lower)) return rejected;
      if (ClassifySuffix(ToLowerUtf8(suffix)) == SuffixClass::kCapitalRequired &&
          !StartsUpper(word)) {
        return rejected;
      }
      if (IsStreetPrefixWord(name_before)) begin = Begin(text, g[1]);
    }
    if (WordCharBefore(text, begin)) return rejected;
    Add(out, begin, end, FindingKind::kStreetAddress);
    return end;
  });
}

// Exact birth dates after (or before) a birth word; see guard.h for the rule.
void DetectBirthDates(std::string_view text, int current_year, std::vector<Candidate>* out) {
  const Patterns& p = GetPatterns();
  auto accept = [&](const re2::StringPiece& date_group,
                    bool year_required) -> std::optional<size_t> {
    const size_t begin = Begin(text, date_group);
    size_t end = End(text, date_group);
    if (text[end - 1] == '.') --end;  // "född 14 mars." ends a sentence
    if (ContinuesNumberBefore(text, begin) || WordCharBefore(text, begin)) return std::nullopt;
    if (WordCharAt(text, end)) return std::nullopt;
    const char32_t after = CodePointAt(text, end);
    if ((after == U'-' || after == U'.' || after == U'/' || after == U':') &&
        DigitAt(text, end + 1)) {
      return std::nullopt;
    }
    const std::optional<Date> date = ParseDate(View(date_group));
    if (!date.has_value() || !IsPlausibleBirthDate(*date, current_year)) return std::nullopt;
    if (year_required && date->year == 0) return std::nullopt;
    Add(out, begin, end, FindingKind::kBirthDate);
    return end;
  };
  ForEachMatch(*p.birth_after_word, text, [&](const Groups& g) -> std::optional<size_t> {
    const std::string word = ToLowerUtf8(View(g[1]));
    return accept(g[2], /*year_required=*/word == "dob" || word == "born");
  });
  ForEachMatch(*p.birth_after_identity_word, text, [&](const Groups& g) -> std::optional<size_t> {
    return accept(g[2], /*year_required=*/true);
  });
  ForEachMatch(*p.birth_before_word, text,
               [&](const Groups& g) -> std::optional<size_t> { return accept(g[1], false); });
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  // Weights 2, 1, 2, 1 ... from the left for the ten-digit Swedish form;
  // generally from the right, the check digit has weight 1.
  const size_t parity = digits.size() % 2;
  for (size_t i = 0; i < digits.size(); ++i) {
    const char c = digits[i];
    if (c < '0' || c > '9') return false;
    int d = c - '0';
    if (i % 2 == parity) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

bool IbanChecksumValid(std::string_view iban) {
  if (iban.size() < 5 || iban.size() > 34) return false;
  for (size_t i = 0; i < iban.size(); ++i) {
    const char c = iban[i];
    const bool letter = c >= 'A' && c <= 'Z';
    const bool digit = c >= '0' && c <= '9';
    if (i < 2 ? !letter : (i < 4 ? !digit : !(letter || digit))) return false;
  }
  int remainder = 0;
  for (size_t k = 0; k < iban.size(); ++k) {
    const char c = iban[(k + 4) % iban.size()];
    if (c >= '0' && c <= '9') {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return remainder == 1;
}

bool IsCalendarDate(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && day == 29) {
    if (year == 0) return true;
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  }
  return day <= kDays[month - 1];
}

std::vector<Candidate> DetectAll(std::string_view text, int current_year) {
  std::vector<Candidate> out;
  DetectIdentityNumbers(text, current_year, &out);
  DetectMaskedIdentityNumbers(text, current_year, &out);
  DetectIbans(text, &out);
  DetectBankAccounts(text, &out);
  DetectBirthDates(text, current_year, &out);
  DetectNationalPhones(text, &out);
  DetectInternationalPhones(text, &out);
  DetectContextPhones(text, &out);
  DetectEmails(text, &out);
  DetectSocialMedia(text, &out);
  DetectIpAddresses(text, &out);
  DetectVehicleRegistrations(text, &out);
  DetectPostcodes(text, &out);
  DetectStreetAddresses(text, &out);
  DetectNamesAndPlaces(text, &out);
  return out;
}

}  // namespace samrad::client::guard::internal

#undef SP
#undef MONTH
#undef DATE
#undef BIRTH_WORD
#undef IDENTITY_WORD
#undef STREET_SUFFIX
#undef QUOTE
