// Internal to the anonymisation guard: UTF-8 validation and the code-point
// level helpers the detectors use for word boundaries and columns. Not part of
// the client's interface; include client/guard.h instead.
// Pure functions; thread-safe.
#ifndef SAMRAD_CLIENT_GUARD_TEXT_H_
#define SAMRAD_CLIENT_GUARD_TEXT_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace samrad::client::guard::internal {

// Byte offset of the first byte that does not start (or continue) a valid
// UTF-8 sequence, or nullopt when `text` is valid UTF-8. Overlong encodings,
// UTF-16 surrogates and code points above U+10FFFF are invalid.
std::optional<size_t> FirstInvalidUtf8Byte(std::string_view text);

// The code point that starts at `pos`, or U+0000 when `pos` is at the end.
// `text` must be valid UTF-8 and `pos` on a code point boundary.
char32_t CodePointAt(std::string_view text, size_t pos);

// The code point that ends just before `pos`, or U+0000 when `pos` is 0.
char32_t CodePointBefore(std::string_view text, size_t pos);

// Byte offset of the code point after the one that starts at `pos`.
size_t NextCodePoint(std::string_view text, size_t pos);

// True for letters of any script (approximated: ASCII letters and every code
// point from U+00C0 up that is not punctuation, a symbol or an emoji).
bool IsLetter(char32_t c);
bool IsAsciiDigit(char32_t c);
inline bool IsWordChar(char32_t c) { return IsLetter(c) || IsAsciiDigit(c) || c == U'_'; }

// 1-based line and column (in code points) of byte `pos` in `text`.
struct LineColumn {
  int line = 1;
  int column = 1;
};
LineColumn LineColumnAt(std::string_view text, size_t pos);

// Incremental LineColumnAt for increasing positions (O(total length)).
class LineColumnTracker {
 public:
  explicit LineColumnTracker(std::string_view text) : text_(text) {}
  // `pos` must not be smaller than in the previous call.
  LineColumn At(size_t pos);

 private:
  std::string_view text_;
  size_t pos_ = 0;
  LineColumn current_;
};

}  // namespace samrad::client::guard::internal

#endif  // SAMRAD_CLIENT_GUARD_TEXT_H_
