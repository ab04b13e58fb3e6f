// Internal to the anonymisation guard: the word lists of client/guard_data/
// and the Swedish dictionary, compiled into the binary
// (client/guard_lexicon_data.cc) and parsed once on first use. Not part of the
// client's interface; include client/guard.h instead.
#ifndef SAMRAD_CLIENT_GUARD_LEXICON_H_
#define SAMRAD_CLIENT_GUARD_LEXICON_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace samrad::client::guard::internal {

enum class LexiconId { kGivenNames, kSurnames, kPlaces, kAllow, kAmbiguous, kDictionary };

// Debian's Abseil has its own string_view type.
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The bytes of one compiled-in file (never empty in a correct build).
std::string_view LexiconFile(LexiconId id);

// `word` (valid UTF-8) with every code point lower-cased (Unicode simple case
// mapping).
std::string LowerUtf8(std::string_view word);

// The parsed lists. All lookups take lower-case UTF-8 (LowerUtf8).
// Thread-safe: built once, then only read.
class Lexicon {
 public:
  static const Lexicon& Get();

  bool IsGivenName(std::string_view lower) const { return given_.contains(Sv(lower)); }
  bool IsSurname(std::string_view lower) const { return surnames_.contains(Sv(lower)); }
  // A given name or surname, also in the genitive ("fatimas") and as a part
  // of a hyphenated or prefixed name ("al-hassan", "abu-bakr").
  bool IsName(std::string_view lower) const;
  // A name that is also an ordinary word: listed in ambiguous.txt, or a
  // lower-case entry of the dictionary.
  bool IsAmbiguous(std::string_view lower) const;
  // A lower-case entry of the Swedish dictionary (an ordinary word).
  bool IsDictionaryWord(std::string_view lower) const;

  // Length in words of the longest allow-list (or place) phrase that starts
  // at words[0]; 0 when none. The last word may carry a genitive -s.
  size_t AllowedPhraseAt(absl::Span<const std::string> words) const {
    return PhraseAt(allow_, allow_max_words_, words);
  }
  size_t PlacePhraseAt(absl::Span<const std::string> words) const {
    return PhraseAt(places_, places_max_words_, words);
  }

  // Entry counts, for tests and the documentation.
  size_t given_count() const { return given_.size(); }
  size_t surname_count() const { return surnames_.size(); }
  size_t place_count() const { return places_.size(); }
  size_t allow_count() const { return allow_.size(); }
  size_t dictionary_count() const { return dictionary_words_; }

 private:
  Lexicon();
  static size_t PhraseAt(const absl::flat_hash_set<std::string>& set, size_t max_words,
                         absl::Span<const std::string> words);
  bool IsNameWord(std::string_view lower) const;

  absl::flat_hash_set<std::string> given_;
  absl::flat_hash_set<std::string> surnames_;
  absl::flat_hash_set<std::string> places_;  // phrases joined by one space
  absl::flat_hash_set<std::string> allow_;   // phrases joined by one space
  absl::flat_hash_set<std::string> ambiguous_;
  // Lower-case dictionary entries, UTF-8, sorted by bytes, one a line
  // (made at build time by guard_dictionary_gen); searched in place.
  std::string_view dictionary_;
  size_t dictionary_words_ = 0;
  size_t places_max_words_ = 1;
  size_t allow_max_words_ = 1;
};

}  // namespace samrad::client::guard::internal

#endif  // SAMRAD_CLIENT_GUARD_LEXICON_H_
