#include "client/guard_names.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <initializer_list>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "client/guard_lexicon.h"
#include "client/guard_text.h"

namespace samrad::client::guard::internal {
namespace {

// One word of the text: letters, with inner hyphens and apostrophes
// ("Al-Hassan", "O'Brien").
struct Word {
  size_t begin = 0;
  size_t end = 0;
  std::string lower;
  bool capital = false;         // the first letter is upper case
  bool all_caps = false;        // two or more letters, all upper case
  bool sentence_start = false;  // first word, or after . ! ? : ; a newline, a quote, a bracket
  bool joined = false;          // only spaces between the previous word and this one
  bool comma_before = false;    // a comma (and spaces) between the previous word and this one
  bool colon_before = false;    // a colon between the previous word and this one
};

using WordSet = absl::flat_hash_set<std::string_view>;

bool In(const WordSet& set, std::string_view word) { return set.contains(word); }

// Words after which a capitalised word (or a listed name in lower case) is a
// person's name.
const WordSet& NamingCues() {
  static const auto* const set = new WordSet{
      "heter",  "hette", "heta",   "kallas",  "kallad",    "kallade",   "kallat",      "namn",
      "namnet", "named", "called", "förnamn", "förnamnet", "efternamn", "efternamnet", "name",
  };
  return *set;
}

// Kinship and relation words: "brodern Yusuf", "hennes kompis Hiba".
const WordSet& KinshipCues() {
  static const auto* const set = new WordSet{
      "bror",        "brodern",      "brorsan",     "lillebror",     "storebror",  "syster",
      "systern",     "syrran",       "lillasyster", "storasyster",   "mamma",      "mamman",
      "pappa",       "pappan",       "mor",         "modern",        "far",        "fadern",
      "farbror",     "farbrodern",   "morbror",     "morbrodern",    "faster",     "moster",
      "kusin",       "kusinen",      "farmor",      "mormor",        "farfar",     "morfar",
      "make",        "maken",        "maka",        "makan",         "man",        "hustru",
      "hustrun",     "frun",         "fru",         "fästman",       "fästmannen", "fästmö",
      "pojkvän",     "pojkvännen",   "flickvän",    "flickvännen",   "sambo",      "sambon",
      "dotter",      "dottern",      "son",         "sonen",         "styvpappa",  "styvpappan",
      "styvmamma",   "styvmamman",   "styvfar",     "styvmor",       "halvbror",   "halvsyster",
      "kompis",      "kompisen",     "kamrat",      "kamraten",      "vän",        "vännen",
      "väninna",     "väninnan",     "klasskompis", "klasskompisen", "pojken",     "flickan",
      "killen",      "tjejen",       "eleven",      "barnet",        "kvinnan",    "mannen",
      "svärmor",     "svärfar",      "svåger",      "svägerska",     "brorson",    "systerson",
      "brorsdotter", "systerdotter", "barnbarn",    "släktingen",    "grannen",    "imamen",
      "imam",        "pojkvän",      "mentorn",     "läraren",       "tolken",     "handläggaren",
      "brother",     "sister",       "mother",      "father",        "uncle",      "aunt",
      "cousin",      "husband",      "wife",        "daughter",      "friend",     "boyfriend",
      "girlfriend",
  };
  return *set;
}

// Words after which a capitalised unknown word is a place.
const WordSet& PlacePrepositions() {
  static const auto* const set = new WordSet{
      "i",      "på",   "vid",   "från",    "till",   "utanför", "nära", "mot",
      "genom",  "in",   "at",    "near",    "from",   "to",      "inom", "öster",
      "väster", "norr", "söder", "ovanför", "bortom", "kring",   "runt",
  };
  return *set;
}

// Nouns after which a capitalised word names a place: "området Hjällbo".
const WordSet& PlaceNouns() {
  static const auto* const set = new WordSet{
      "området",   "stadsdelen",     "förorten",     "byn",    "orten",
      "kvarteret", "bostadsområdet", "stadsdel",     "förort", "by",
      "samhället", "tätorten",       "ön",           "gården", "centrum",
      "torget",    "parken",         "villaområdet",
  };
  return *set;
}

// Verbs that make the following "på/hos/vid" name a workplace.
const WordSet& WorkVerbs() {
  static const auto* const set = new WordSet{
      "jobbar",    "jobbade",      "jobbat",     "jobba",       "arbetar",
      "arbetade",  "arbetat",      "arbeta",     "praktiserar", "praktiserade",
      "praktik",   "anställd",     "anställda",  "anställt",    "extrajobbar",
      "extrajobb", "sommarjobbar", "sommarjobb", "jobb",        "driver",
      "drev",      "äger",         "ägde",       "works",       "worked",
  };
  return *set;
}

// Nouns for a business: "pizzerian Roma", "Restaurang Aleppo".
const WordSet& BusinessNouns() {
  static const auto* const set = new WordSet{
      "pizzeria",
      "pizzerian",
      "restaurang",
      "restaurangen",
      "café",
      "caféet",
      "cafe",
      "kafé",
      "kaféet",
      "frisör",
      "frisören",
      "frisörsalong",
      "frisörsalongen",
      "salong",
      "salongen",
      "kiosk",
      "kiosken",
      "bageri",
      "bageriet",
      "konditori",
      "konditoriet",
      "bilverkstad",
      "bilverkstaden",
      "verkstad",
      "verkstaden",
      "butik",
      "butiken",
      "affär",
      "affären",
      "mataffär",
      "mataffären",
      "företaget",
      "firma",
      "firman",
      "städfirma",
      "städfirman",
      "byggfirma",
      "byggfirman",
      "åkeri",
      "åkeriet",
      "taxi",
      "taxibolaget",
      "gatukök",
      "gatuköket",
      "grillen",
      "hotell",
      "hotellet",
      "lager",
      "lagret",
      "fabrik",
      "fabriken",
      "restaurant",
      "shop",
      "bakery",
      "barbershop",
      "barber",
      "livsmedelsbutik",
      "livsmedelsbutiken",
      "tvätteri",
      "tvätteriet",
      "bilfirma",
      "bilfirman",
      "bolaget",
      "bolag",
      "rörelse",
      "rörelsen",
      "market",
      "kebab",
      "sushi",
      "grill",
      "livs",
      "bilhandel",
      "nagelsalong",
      "nagelsalongen",
      "bazar",
      "basar",
      "basaren",
      "skönhetssalong",
      "skönhetssalongen",
      "tobak",
  };
  return *set;
}

// Words that end a business name: "Hassans Livs", "Yilmaz Bygg AB".
const WordSet& BusinessSuffixes() {
  static const auto* const set = new WordSet{
      "ab",          "hb",         "kb",         "bygg",    "städ",      "livs",       "trading",
      "import",      "export",     "transport",  "service", "group",     "consulting", "pizzeria",
      "restaurang",  "café",       "cafe",       "kebab",   "grill",     "frisör",     "salong",
      "market",      "bageri",     "bilservice", "däck",    "taxi",      "åkeri",      "shop",
      "barbershop",  "sushi",      "konditori",  "tobak",   "måleri",    "el",         "vvs",
      "fastigheter", "restaurant", "bakery",     "kiosk",   "livsmedel", "gatukök",    "mekaniska",
  };
  return *set;
}

// School nouns that follow a school's name: "Rinkeby skola".
const WordSet& SchoolNouns() {
  static const auto* const set = new WordSet{
      "skola",     "skolan",         "skolas",         "förskola",   "förskolan",   "förskolas",
      "gymnasium", "gymnasiet",      "gymnasiets",     "grundskola", "grundskolan", "friskola",
      "friskolan", "gymnasieskola",  "gymnasieskolan", "school",     "academy",     "akademi",
      "akademin",  "högstadieskola", "högstadium",     "skolor",
  };
  return *set;
}

// Endings of a school's one-word name: "Rinkebyskolan", "Rudbecksgymnasiet".
constexpr std::string_view kSchoolEndings[] = {
    "skolan",    "skola",     "skolans",  "gymnasiet",  "gymnasiets",
    "gymnasium", "förskolan", "förskola", "förskolans",
};

// Generic school words that end like a school's name.
const WordSet& GenericSchoolWords() {
  static const auto* const set = new WordSet{
      "skolan",
      "skola",
      "förskolan",
      "förskola",
      "gymnasiet",
      "gymnasium",
      "grundskolan",
      "grundskola",
      "gymnasieskolan",
      "gymnasieskola",
      "högstadieskolan",
      "högstadieskola",
      "mellanstadieskolan",
      "lågstadieskolan",
      "särskolan",
      "friskolan",
      "friskola",
      "folkhögskolan",
      "högskolan",
      "sommarskolan",
      "språkskolan",
      "kulturskolan",
      "musikskolan",
      "koranskolan",
      "koranskola",
      "resursskolan",
      "hemskolan",
      "körskolan",
      "trafikskolan",
      "dansskolan",
      "simskolan",
      "byskolan",
      "skolans",
      "förskolans",
      "gymnasiets",
      "grundskolans",
      "grundsärskolan",
      "gymnasiesärskolan",
      "specialskolan",
      "sjukhusskolan",
      "nattskolan",
      "helgskolan",
      "läxskolan",
      "moskéskolan",
      "kyrkskolan",
      "modersmålsskolan",
      "introduktionsskolan",
      "mottagningsskolan",
      "kommunala",
      "fristående",
      "samma",
      "nya",
      "gamla",
      "vanliga",
  };
  return *set;
}

// Endings of a street's name: "Storgatan", "Kungsvägen".
constexpr std::string_view kStreetEndings[] = {
    "gatan", "vägen", "gränden", "gränd", "allén", "torget",  "stigen",     "backen",
    "kajen", "leden", "gata",    "väg",   "torg",  "stråket", "esplanaden", "promenaden",
};
// Separate street words after a name: "Sergels torg", "Drottning Kristinas väg".
const WordSet& StreetWords() {
  static const auto* const set = new WordSet{
      "torg", "väg", "gata", "plats", "allé", "gränd", "park", "backe", "kaj", "stig",
  };
  return *set;
}

bool EndsWith(std::string_view word, std::string_view suffix) {
  return word.size() > suffix.size() && word.substr(word.size() - suffix.size()) == suffix;
}

size_t LetterCount(std::string_view word) {
  size_t count = 0;
  for (size_t i = 0; i < word.size(); i = NextCodePoint(word, i)) {
    if (IsLetter(CodePointAt(word, i))) ++count;
  }
  return count;
}

bool IsSpaceChar(char32_t c) { return c == U' ' || c == U'\t' || c == 0xA0 || c == 0x202F; }

std::vector<Word> SplitWords(std::string_view text) {
  std::vector<Word> words;
  size_t pos = 0;
  size_t gap_start = 0;
  bool first = true;
  while (pos < text.size()) {
    const char32_t c = CodePointAt(text, pos);
    if (!IsLetter(c)) {
      pos = NextCodePoint(text, pos);
      continue;
    }
    // A word starts here; it must not continue a run of digits ("9B" is not
    // a word, "B2" neither).
    const bool after_digit = IsAsciiDigit(CodePointBefore(text, pos));
    Word word;
    word.begin = pos;
    size_t end = pos;
    while (end < text.size()) {
      const char32_t d = CodePointAt(text, end);
      if (IsLetter(d)) {
        end = NextCodePoint(text, end);
        continue;
      }
      if ((d == U'-' || d == U'\'' || d == 0x2019) && end > word.begin) {
        const size_t next = NextCodePoint(text, end);
        if (next < text.size() && IsLetter(CodePointAt(text, next))) {
          end = next;
          continue;
        }
      }
      break;
    }
    word.end = end;
    pos = end;
    if (after_digit || IsAsciiDigit(CodePointAt(text, end))) {
      gap_start = end;  // part of a code like "9B" or "B12": not a word
      first = false;
      continue;
    }
    const std::string_view gap = text.substr(gap_start, word.begin - gap_start);
    bool boundary = first;
    bool only_spaces = !first;
    for (size_t i = 0; i < gap.size(); i = NextCodePoint(gap, i)) {
      const char32_t g = CodePointAt(gap, i);
      if (!IsSpaceChar(g)) only_spaces = false;
      if (g == U',') word.comma_before = true;
      if (g == U':') word.colon_before = true;
      switch (g) {
        case U'.':
        case U'!':
        case U'?':
        case U':':
        case U';':
        case U'\n':
        case U'\r':
        case U'"':
        case U'(':
        case U')':
        case U'[':
        case U']':
        case 0x201C:
        case 0x201D:
        case 0x00AB:
        case 0x00BB:
        case 0x2022:
        case U'*':
        case U'>':
        case U'–':
        case U'—':
          boundary = true;
          break;
        default:
          break;
      }
    }
    if (!only_spaces && !word.comma_before && !boundary) {
      // Other punctuation or digits in between ("3 Fatima", "/ Ali").
      word.joined = false;
    }
    word.joined = only_spaces;
    word.sentence_start = boundary;
    const std::string_view raw = text.substr(word.begin, word.end - word.begin);
    const UChar32 first_letter = static_cast<UChar32>(CodePointAt(raw, 0));
    word.capital = u_isupper(first_letter) || u_istitle(first_letter);
    word.lower = LowerUtf8(raw);
    if (word.capital) {
      // "BrB", "SoL", "HVB-hemmet": an upper-case letter after the first
      // makes an abbreviation (all_caps), not a name.
      size_t letters = 0;
      bool inner_upper = false;
      bool all_upper = true;
      UChar32 previous = 0;
      for (size_t i = 0; i < raw.size(); i = NextCodePoint(raw, i)) {
        const UChar32 l = static_cast<UChar32>(CodePointAt(raw, i));
        const UChar32 before = previous;
        previous = l;
        if (!IsLetter(static_cast<char32_t>(l))) continue;
        ++letters;
        if (!u_isupper(l)) all_upper = false;
        // Upper case inside a part ("BrB", "HVB-"), not after a hyphen or an
        // apostrophe ("Al-Hassan", "O'Brien").
        if (letters > 1 && u_isupper(l) && before != U'-' && before != U'\'' && before != 0x2019) {
          inner_upper = true;
        }
      }
      word.all_caps = (all_upper && letters >= 2) || inner_upper;
    }
    words.push_back(std::move(word));
    gap_start = end;
    first = false;
  }
  return words;
}

enum class Label { kNone, kAllowed, kName, kPlace, kSchool, kWorkplace };

class Scanner {
 public:
  Scanner(std::string_view text, std::vector<Candidate>* out)
      : text_(text), out_(out), lex_(Lexicon::Get()), words_(SplitWords(text)) {
    lowers_.reserve(words_.size());
    for (const Word& w : words_) lowers_.push_back(w.lower);
    labels_.assign(words_.size(), Label::kNone);
    // run_end_[i]: one past the last word joined to i by spaces only.
    run_end_.assign(words_.size(), 0);
    for (size_t i = words_.size(); i-- > 0;) {
      run_end_[i] = (i + 1 < words_.size() && words_[i + 1].joined) ? run_end_[i + 1] : i + 1;
    }
  }

  void Run() {
    for (size_t i = 0; i < words_.size();) i += Classify(i);
    Emit();
  }

 private:
  const Word& W(size_t i) const { return words_[i]; }
  bool Joined(size_t i) const { return i < words_.size() && words_[i].joined; }
  absl::Span<const std::string> RunFrom(size_t i) const {
    return absl::Span<const std::string>(lowers_).subspan(i, run_end_[i] - i);
  }
  const std::string& Prev(size_t i, size_t back = 1) const {
    static const std::string kEmpty;
    return i >= back ? lowers_[i - back] : kEmpty;
  }

  // An ordinary word of the dictionary, also as the last part of a hyphenated
  // compound ("K-nummer", "BVC-kontrollen").
  bool IsOrdinary(const std::string& lower) const {
    if (lex_.IsDictionaryWord(lower)) return true;
    const size_t hyphen = lower.rfind('-');
    return hyphen != std::string::npos && hyphen + 1 < lower.size() &&
           lex_.IsDictionaryWord(std::string_view(lower).substr(hyphen + 1));
  }

  bool IsAllowedWord(size_t i) const {
    return lex_.AllowedPhraseAt(absl::Span<const std::string>(lowers_).subspan(i, 1)) == 1;
  }

  // A capitalised word that is a name of something: not at the start of a
  // sentence unless it is no ordinary word.
  bool ProperNounLike(size_t i) const {
    const Word& w = W(i);
    if (!w.capital) return false;
    if (!w.sentence_start) return true;
    return !lex_.IsDictionaryWord(w.lower);
  }

  // "heter", "kallas", "kallar sig" right before word i.
  bool HasStrongNamingCue(size_t i) const {
    if (i == 0) return false;
    const std::string& prev = Prev(i);
    if (In(NamingCues(), prev)) return true;
    return prev == "sig" && (Prev(i, 2) == "kallar" || Prev(i, 2) == "kallade");
  }

  // A strong naming cue, or a kinship word ("brodern Yusuf", "kusinen, Ali,").
  bool HasNamingCue(size_t i) const {
    if (HasStrongNamingCue(i)) return true;
    return i > 0 && In(KinshipCues(), Prev(i)) && (W(i).joined || W(i).comma_before);
  }

  // ", 14 år", " 14 år", " (14)", ", 14-åring": an age right after the word.
  bool HasAgeAfter(size_t i) const {
    size_t pos = W(i).end;
    size_t skipped = 0;
    while (pos < text_.size() && (text_[pos] == ',' || text_[pos] == ' ' || text_[pos] == '(') &&
           skipped < 4) {
      ++pos;
      ++skipped;
    }
    const size_t digits_begin = pos;
    while (pos < text_.size() && text_[pos] >= '0' && text_[pos] <= '9') ++pos;
    const size_t digits = pos - digits_begin;
    if (digits == 0 || digits > 2) return false;
    if (pos < text_.size() && text_[pos] == ')') return true;
    if (pos < text_.size() && text_[pos] == '-') ++pos;
    while (pos < text_.size() && text_[pos] == ' ') ++pos;
    const std::string_view rest = text_.substr(pos, 8);
    return rest.starts_with("år") || rest.starts_with("åring") || rest.starts_with("years") ||
           rest.starts_with("y/o") || rest.starts_with("mån");
  }

  // A listed name that counts here.
  bool IsNameHere(size_t i, bool cue) const {
    const Word& w = W(i);
    if (!lex_.IsName(w.lower)) return false;
    if (w.all_caps && w.lower.size() <= 3) return false;  // "ALI" yes, "EK" no
    if (cue) return true;
    if (!lex_.IsAmbiguous(w.lower)) return true;
    return w.capital && !w.sentence_start;
  }

  // Adds a candidate over words [first, last].
  void AddWords(size_t first, size_t last, FindingKind kind) {
    out_->push_back(Candidate{W(first).begin, W(last).end, kind});
  }

  // A class designation right before `school_word` ("9B på", "klass 4C i"):
  // the byte offset where it starts, or the word's own start.
  size_t ClassBefore(size_t school_word) const {
    if (school_word == 0) return W(school_word).begin;
    const std::string& prep = Prev(school_word);
    if (prep != "på" && prep != "i" && prep != "vid") return W(school_word).begin;
    size_t pos = W(school_word - 1).begin;
    while (pos > 0 && text_[pos - 1] == ' ') --pos;
    // [1-9][A-Fa-f] (or "9:B") before the preposition.
    if (pos < 2) return W(school_word).begin;
    const char letter = text_[pos - 1];
    if (!((letter >= 'A' && letter <= 'F') || (letter >= 'a' && letter <= 'f'))) {
      return W(school_word).begin;
    }
    size_t start = pos - 1;
    if (start > 0 && text_[start - 1] == ':') --start;
    if (start == 0 || text_[start - 1] < '1' || text_[start - 1] > '9') {
      return W(school_word).begin;
    }
    --start;
    if (start > 0 &&
        (IsLetter(CodePointBefore(text_, start)) || IsAsciiDigit(CodePointBefore(text_, start)))) {
      return W(school_word).begin;
    }
    return start;
  }

  // "i Järfälla" after a school or workplace name: the last word to include.
  size_t TownAfter(size_t last) const {
    if (last + 2 < words_.size() && W(last + 1).joined && W(last + 2).joined &&
        (lowers_[last + 1] == "i" || lowers_[last + 1] == "in") && W(last + 2).capital) {
      return last + 2;
    }
    return last;
  }

  bool IsSchoolWord(size_t i) const {
    const Word& w = W(i);
    if (!w.capital || w.all_caps) return false;
    if (In(GenericSchoolWords(), w.lower)) return false;
    bool ends = false;
    for (std::string_view ending : kSchoolEndings) {
      if (EndsWith(w.lower, ending) && w.lower.size() >= ending.size() + 3) ends = true;
    }
    if (!ends) return false;
    return !lex_.IsDictionaryWord(w.lower);
  }

  size_t Classify(size_t i) {
    const Word& w = W(i);
    const bool cue = HasNamingCue(i);
    // --- Schools: "Rinkebyskolan", "Rinkeby skola", "Internationella Engelska Skolan i X".
    if (IsSchoolWord(i) ||
        (w.capital && Joined(i + 1) && In(SchoolNouns(), lowers_[i + 1]) &&
         !In(GenericSchoolWords(), w.lower) && ProperNounLike(i) && !In(SchoolNouns(), w.lower))) {
      size_t first = i;
      // Capitalised words before it belong to the name ("Internationella Engelska").
      while (first > 0 && W(first).joined && W(first - 1).capital && !W(first - 1).all_caps &&
             labels_[first - 1] == Label::kNone && i - first < 3) {
        --first;
      }
      size_t last = IsSchoolWord(i) ? i : i + 1;
      last = TownAfter(last);
      const size_t begin = std::min(ClassBefore(first), W(first).begin);
      out_->push_back(Candidate{begin, W(last).end, FindingKind::kSchool});
      for (size_t k = first; k <= last; ++k) labels_[k] = Label::kSchool;
      return last - i + 1;
    }
    // Capitalised run ending in a school noun: "Internationella Engelska Skolan".
    if (w.capital && run_end_[i] - i >= 2) {
      const size_t end = std::min(run_end_[i], i + 4);
      for (size_t k = i + 1; k < end; ++k) {
        if (!W(k).capital) break;
        if (In(SchoolNouns(), lowers_[k]) && ProperNounLike(i)) {
          const size_t last = TownAfter(k);
          out_->push_back(
              Candidate{std::min(ClassBefore(i), W(i).begin), W(last).end, FindingKind::kSchool});
          for (size_t m = i; m <= last; ++m) labels_[m] = Label::kSchool;
          return last - i + 1;
        }
      }
    }
    // --- Workplaces.
    if (size_t n = Workplace(i); n > 0) return n;
    // --- Allowed words and phrases (a naming cue or an age wins for names).
    if (const size_t allowed = lex_.AllowedPhraseAt(RunFrom(i)); allowed > 0) {
      const bool name_wins =
          (w.capital && allowed == 1 && HasStrongNamingCue(i)) ||
          (lex_.IsName(w.lower) && w.capital &&
           (cue || (allowed == 1 && HasAgeAfter(i)) ||
            (allowed == 1 && Joined(i + 1) && IsNameHere(i + 1, false) && !IsAllowedWord(i + 1))));
      if (!name_wins) {
        for (size_t k = i; k < i + allowed; ++k) labels_[k] = Label::kAllowed;
        return allowed;
      }
      labels_[i] = Label::kName;
      return 1;
    }
    // --- Places: the list, streets without a number, after a place cue.
    if (const size_t place = lex_.PlacePhraseAt(RunFrom(i)); place > 0) {
      const bool ambiguous = place == 1 && lex_.IsDictionaryWord(w.lower);
      if (!ambiguous || (w.capital && !w.sentence_start)) {
        for (size_t k = i; k < i + place; ++k) labels_[k] = Label::kPlace;
        return place;
      }
    }
    if (IsStreetName(i)) {
      labels_[i] = Label::kPlace;
      // "Hjalmar Brantingsgatan": capitalised words before belong to it.
      for (size_t k = i; k > 0 && W(k).joined && W(k - 1).capital && i - k < 3; --k) {
        if (labels_[k - 1] != Label::kName && labels_[k - 1] != Label::kNone) break;
        if (W(k - 1).sentence_start && IsOrdinary(lowers_[k - 1])) break;
        labels_[k - 1] = Label::kPlace;
      }
      return 1;
    }
    if (w.capital && !w.all_caps && Joined(i + 1) && In(StreetWords(), lowers_[i + 1]) &&
        ProperNounLike(i)) {
      labels_[i] = labels_[i + 1] = Label::kPlace;
      return 2;
    }
    // --- Names.
    if (IsNameHere(i, cue)) {
      labels_[i] = Label::kName;
      return 1;
    }
    // Single capitals ("sal B") and acronyms name nothing here.
    if (!w.capital || w.all_caps || LetterCount(w.lower) < 2) return 1;
    if (cue && !IsAllowedWord(i)) {
      labels_[i] = Label::kName;
      return 1;
    }
    const bool ordinary = IsOrdinary(w.lower);
    if (HasPlaceCue(i) && (!w.sentence_start || !ordinary)) {
      labels_[i] = Label::kPlace;
      return 1;
    }
    if (HasAgeAfter(i) && !ordinary) {
      labels_[i] = Label::kName;
      return 1;
    }
    // Any other capitalised word inside a sentence that is no ordinary word
    // names something: after a place preposition a place, else a person.
    if (!w.sentence_start && !ordinary) {
      const bool place = i > 0 && In(PlacePrepositions(), Prev(i)) && W(i).joined;
      labels_[i] = place ? Label::kPlace : Label::kName;
      return 1;
    }
    // A capitalised word at the start of a sentence followed by a name
    // ("Ugbaad Warsame kom"): decided in Emit.
    return 1;
  }

  bool IsStreetName(size_t i) const {
    const Word& w = W(i);
    if (!w.capital || w.all_caps) return false;
    bool ends = false;
    for (std::string_view ending : kStreetEndings) {
      if (EndsWith(w.lower, ending) && LetterCount(w.lower) >= LetterCount(ending) + 2) ends = true;
    }
    if (!ends) return false;
    return !lex_.IsDictionaryWord(w.lower) && !IsAllowedWord(i);
  }

  bool HasPlaceCue(size_t i) const {
    if (i == 0 || !W(i).joined) return false;
    const std::string& prev = Prev(i);
    if (In(PlaceNouns(), prev)) return true;
    if (prev == "i" || prev == "på" || prev == "vid" || prev == "till" || prev == "från" ||
        prev == "utanför") {
      const std::string& verb = Prev(i, 2);
      static const auto* const verbs = new WordSet{
          "bor",     "bodde",      "boende",   "bosatt",  "bosatta", "uppvuxen",
          "uppväxt", "upp",        "flyttade", "flyttat", "flyttar", "flytta",
          "ute",     "hemma",      "lives",    "lived",   "området", "kommer",
          "kom",     "stadsdelen", "förorten", "byn",     "bodde",   "lägenhet",
      };
      return In(*verbs, verb);
    }
    return false;
  }

  // "jobbar på Pizzeria Roma", "pizzerian Roma", "Hassans Livs", "Yilmaz Bygg AB".
  size_t Workplace(size_t i) {
    const Word& w = W(i);
    // A business noun followed by a capitalised name.
    if (In(BusinessNouns(), w.lower) && Joined(i + 1) && W(i + 1).capital) {
      size_t last = i + 1;
      while (last + 1 < run_end_[i] && W(last + 1).capital && last - i < 4) ++last;
      // "restaurangen Sverige"? A name made only of allowed words is no workplace.
      size_t first = w.capital ? i : i + 1;
      if (w.sentence_start && w.capital && !In(BusinessSuffixes(), w.lower)) first = i + 1;
      return MarkWorkplace(first, TownAfter(last), i);
    }
    // Capitalised words followed by a business suffix word.
    if (w.capital && !w.all_caps && ProperNounLike(i) && !In(BusinessNouns(), w.lower)) {
      size_t k = i + 1;
      while (k < run_end_[i] && k - i <= 3) {
        if (In(BusinessSuffixes(), lowers_[k])) {
          size_t last = k;
          while (last + 1 < run_end_[i] && In(BusinessSuffixes(), lowers_[last + 1])) ++last;
          return MarkWorkplace(i, TownAfter(last), i);
        }
        if (!W(k).capital) break;
        ++k;
      }
    }
    // A work verb, "på/hos/vid/för", maybe "en/ett" and a lower-case noun, then names.
    if (In(WorkVerbs(), w.lower) && i + 2 < words_.size()) {
      size_t k = i + 1;
      const std::string& prep = lowers_[k];
      if (!(prep == "på" || prep == "hos" || prep == "vid" || prep == "för" || prep == "at" ||
            prep == "en" || prep == "ett") ||
          !W(k).joined) {
        return 0;
      }
      ++k;
      if (k < words_.size() && W(k).joined && (lowers_[k] == "en" || lowers_[k] == "ett")) ++k;
      if (k < words_.size() && W(k).joined && !W(k).capital && In(BusinessNouns(), lowers_[k])) {
        ++k;
      }
      if (k >= words_.size() || !W(k).joined || !W(k).capital || W(k).all_caps) return 0;
      size_t last = k;
      while (last + 1 < run_end_[k] && W(last + 1).capital && last - k < 4) ++last;
      bool all_allowed = lex_.AllowedPhraseAt(absl::Span<const std::string>(lowers_).subspan(
                             k, last - k + 1)) == last - k + 1;
      for (size_t m = k; m <= last && !all_allowed; ++m) {
        if (!IsAllowedWord(m)) break;
        if (m == last) all_allowed = true;
      }
      if (all_allowed) return 0;  // "jobbar på Migrationsverket"
      for (size_t m = i; m < k; ++m) labels_[m] = Label::kAllowed;
      const size_t marked = MarkWorkplace(k, TownAfter(last), k);
      return marked + (k - i);
    }
    return 0;
  }

  // Adds a workplace over words [first, last] and labels [from, last];
  // returns how many words from `from` on were consumed.
  size_t MarkWorkplace(size_t first, size_t last, size_t from) {
    AddWords(first, last, FindingKind::kWorkplace);
    for (size_t k = from; k <= last; ++k) labels_[k] = Label::kWorkplace;
    return last - from + 1;
  }

  // Turns the labels into candidates: joined words with the same label are
  // one finding; a name extends over joined capitalised words around it
  // ("Fatima Okänd", "Okänd Hassan") that are not allowed or ordinary.
  void Emit() {
    const size_t n = words_.size();
    for (size_t i = 0; i < n; ++i) {
      if (labels_[i] != Label::kName) continue;
      // Forwards.
      for (size_t k = i + 1; k < n && W(k).joined && labels_[k] == Label::kNone; ++k) {
        const Word& next = W(k);
        if (!next.capital || next.all_caps) break;
        if (!lex_.IsSurname(next.lower) && (IsAllowedWord(k) || IsOrdinary(next.lower))) {
          break;
        }
        labels_[k] = Label::kName;
      }
      // Backwards.
      for (size_t k = i; k > 0 && W(k).joined && labels_[k - 1] == Label::kNone; --k) {
        const Word& before = W(k - 1);
        if (!before.capital || before.all_caps) break;
        if (!lex_.IsName(before.lower) && (IsAllowedWord(k - 1) || IsOrdinary(before.lower))) {
          break;
        }
        labels_[k - 1] = Label::kName;
      }
    }
    for (size_t i = 0; i < n;) {
      const Label label = labels_[i];
      if (label != Label::kName && label != Label::kPlace) {
        ++i;
        continue;
      }
      size_t last = i;
      while (last + 1 < n && labels_[last + 1] == label && W(last + 1).joined) ++last;
      AddWords(i, last, label == Label::kName ? FindingKind::kName : FindingKind::kPlace);
      i = last + 1;
    }
  }

  std::string_view text_;
  std::vector<Candidate>* out_;
  const Lexicon& lex_;
  std::vector<Word> words_;
  std::vector<std::string> lowers_;
  std::vector<Label> labels_;
  std::vector<size_t> run_end_;
};

}  // namespace

void DetectNamesAndPlaces(std::string_view text, std::vector<Candidate>* out) {
  Scanner scanner(text, out);
  scanner.Run();
}

}  // namespace samrad::client::guard::internal
