#include "client/guard_lexicon.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/check.h"

namespace samrad::client::guard::internal {
namespace {

// Lines of a list file without comments and surrounding spaces.
template <typename OnLine>
void ForEachLine(std::string_view file, OnLine&& on_line) {
  size_t pos = 0;
  while (pos < file.size()) {
    size_t end = file.find('\n', pos);
    if (end == std::string_view::npos) end = file.size();
    std::string_view line = file.substr(pos, end - pos);
    pos = end + 1;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const absl::string_view stripped =
        absl::StripAsciiWhitespace(absl::string_view(line.data(), line.size()));
    if (!stripped.empty()) on_line(std::string_view(stripped.data(), stripped.size()));
  }
}

// Name lists: several names a line, separated by spaces.
void AddWords(std::string_view file, absl::flat_hash_set<std::string>* set) {
  ForEachLine(file, [&](std::string_view line) {
    for (absl::string_view word :
         absl::StrSplit(absl::string_view(line.data(), line.size()), ' ', absl::SkipEmpty())) {
      set->insert(LowerUtf8(std::string_view(word.data(), word.size())));
    }
  });
}

// Phrase lists: one entry a line, words joined by single spaces.
size_t AddPhrases(std::string_view file, absl::flat_hash_set<std::string>* set) {
  size_t max_words = 1;
  ForEachLine(file, [&](std::string_view line) {
    std::string phrase;
    size_t words = 0;
    for (absl::string_view word :
         absl::StrSplit(absl::string_view(line.data(), line.size()), ' ', absl::SkipEmpty())) {
      if (!phrase.empty()) phrase.push_back(' ');
      phrase.append(LowerUtf8(std::string_view(word.data(), word.size())));
      ++words;
    }
    max_words = std::max(max_words, words);
    set->insert(std::move(phrase));
  });
  return max_words;
}

// Prefixes of Arabic, Somali and Dutch/German family names.
constexpr std::string_view kNamePrefixes[] = {"al",   "el",  "abu", "abd", "bin", "ibn",
                                              "bint", "van", "von", "de",  "da",  "di"};

}  // namespace

std::string LowerUtf8(std::string_view word) {
  std::string lower;
  lower.reserve(word.size());
  for (size_t i = 0; i < word.size();) {
    UChar32 c;
    U8_NEXT(word.data(), i, word.size(), c);
    if (c < 0) c = 0xFFFD;
    c = u_tolower(c);
    char buffer[4];
    size_t length = 0;
    UBool error = false;
    U8_APPEND(buffer, length, 4, c, error);
    if (!error) lower.append(buffer, length);
  }
  return lower;
}

const Lexicon& Lexicon::Get() {
  static const Lexicon* const lexicon = new Lexicon();
  return *lexicon;
}

Lexicon::Lexicon() {
  AddWords(LexiconFile(LexiconId::kGivenNames), &given_);
  AddWords(LexiconFile(LexiconId::kSurnames), &surnames_);
  AddWords(LexiconFile(LexiconId::kAmbiguous), &ambiguous_);
  places_max_words_ = AddPhrases(LexiconFile(LexiconId::kPlaces), &places_);
  allow_max_words_ = AddPhrases(LexiconFile(LexiconId::kAllow), &allow_);
  dictionary_ = LexiconFile(LexiconId::kDictionary);
  dictionary_words_ = static_cast<size_t>(std::count(dictionary_.begin(), dictionary_.end(), '\n'));
  // The build embeds these files; an empty one means a broken build, and a
  // guard without its lists must not run.
  SAMRAD_CHECK(given_.size() > 1000 && surnames_.size() > 500 && places_.size() > 300 &&
                   allow_.size() > 1000 && dictionary_words_ > 50000,
               "the anonymisation guard's word lists are missing from this build");
}

bool Lexicon::IsNameWord(std::string_view lower) const {
  if (given_.contains(Sv(lower)) || surnames_.contains(Sv(lower))) return true;
  // Genitive: "fatimas", "hassans" (not "ines" -> "ine").
  if (lower.size() >= 4 && lower.back() == 's') {
    const std::string_view base = lower.substr(0, lower.size() - 1);
    if (given_.contains(Sv(base)) || surnames_.contains(Sv(base))) return true;
  }
  return false;
}

bool Lexicon::IsName(std::string_view lower) const {
  if (IsNameWord(lower)) return true;
  // "al-hassan", "abu-bakr", "anna-karin": every part that is not a prefix
  // must be a name, and at least one part must be.
  if (lower.find('-') == std::string_view::npos) return false;
  bool any = false;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(lower.data(), lower.size()), '-')) {
    const std::string_view p(part.data(), part.size());
    if (std::find(std::begin(kNamePrefixes), std::end(kNamePrefixes), p) !=
        std::end(kNamePrefixes)) {
      continue;
    }
    if (!IsNameWord(p)) return false;
    any = true;
  }
  return any;
}

bool Lexicon::IsDictionaryWord(std::string_view lower) const {
  // Binary search over the sorted lines: [lo, hi) is a byte range whose
  // first byte starts a line.
  if (lower.empty()) return false;
  size_t lo = 0;
  size_t hi = dictionary_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    while (mid > lo && dictionary_[mid - 1] != '\n') --mid;  // start of mid's line
    size_t end = dictionary_.find('\n', mid);
    if (end == std::string_view::npos) end = dictionary_.size();
    const std::string_view word = dictionary_.substr(mid, end - mid);
    if (word == lower) return true;
    if (word < lower) {
      lo = end + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

bool Lexicon::IsAmbiguous(std::string_view lower) const {
  if (ambiguous_.contains(Sv(lower)) || IsDictionaryWord(lower)) return true;
  if (lower.size() >= 4 && lower.back() == 's') {
    const std::string_view base = lower.substr(0, lower.size() - 1);
    return ambiguous_.contains(Sv(base)) || IsDictionaryWord(base);
  }
  return false;
}

size_t Lexicon::PhraseAt(const absl::flat_hash_set<std::string>& set, size_t max_words,
                         absl::Span<const std::string> words) {
  const size_t limit = std::min(max_words, words.size());
  std::string phrase;
  size_t best = 0;
  for (size_t k = 0; k < limit; ++k) {
    if (k > 0) phrase.push_back(' ');
    phrase.append(words[k]);
    if (set.contains(absl::string_view(phrase))) {
      best = k + 1;
    } else if (phrase.size() > 3 && phrase.back() == 's' &&
               set.contains(absl::string_view(phrase).substr(0, phrase.size() - 1))) {
      best = k + 1;  // genitive: "migrationsverkets", "rädda barnens"
    }
  }
  return best;
}

}  // namespace samrad::client::guard::internal
