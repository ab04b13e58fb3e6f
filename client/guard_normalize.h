// Internal to the anonymisation guard: the copy of a text that the detectors
// scan, and the map from its bytes back to the original. Not part of the
// client's interface; include client/guard.h instead.
// Pure functions; thread-safe. Results own their bytes (no views into the
// input outlive the call).
#ifndef SAMRAD_CLIENT_GUARD_NORMALIZE_H_
#define SAMRAD_CLIENT_GUARD_NORMALIZE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace samrad::client::guard::internal {

// `original` (valid UTF-8) normalised so that spelling tricks cannot hide a
// detail: NFKC (full-width digits and letters, ＠, ligatures, composed
// accents), default-ignorable code points removed (zero-width spaces and
// joiners, soft hyphens, word joiners, BOM, bidi controls, variation
// selectors), and decimal digits of every script mapped to ASCII
// (Arabic-Indic ٠-٩, Persian ۰-۹, Devanagari ...).
//
// Every byte of `text` comes from one "segment" of the original (a code point
// or a run that NFKC composes); Original(begin, end) maps a span of `text` to
// the smallest span of the original that produced it. When nothing changed
// the copy is the original itself and the map the identity.
class NormalizedText {
 public:
  explicit NormalizedText(std::string_view original);

  std::string_view text() const { return identity_ ? original_ : std::string_view(text_); }
  bool identity() const { return identity_; }

  // The original span [begin, end) that produced text()[begin, end); `end`
  // must be greater than `begin` and at most text().size().
  void Original(size_t begin, size_t end, size_t* original_begin, size_t* original_end) const;

 private:
  std::string_view original_;
  bool identity_ = true;
  std::string text_;
  std::vector<uint32_t> segment_begin_;  // per byte of text_
  std::vector<uint32_t> segment_end_;    // per byte of text_
};

}  // namespace samrad::client::guard::internal

#endif  // SAMRAD_CLIENT_GUARD_NORMALIZE_H_
