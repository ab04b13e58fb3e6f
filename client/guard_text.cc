#include "client/guard_text.h"

#include <cstdint>

namespace samrad::client::guard::internal {
namespace {

inline bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Length of the sequence a lead byte announces, 0 for an invalid lead byte.
inline size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // continuation byte, overlong 0xC0/0xC1, or beyond U+10FFFF
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8Byte(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t len = SequenceLength(lead);
    if (len == 0) return i;
    if (len == 1) {
      ++i;
      continue;
    }
    if (i + len > text.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      if (!IsContinuation(static_cast<unsigned char>(text[i + k]))) return i;
    }
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (lead == 0xE0 && second < 0xA0) return i;   // overlong 3-byte form
    if (lead == 0xED && second >= 0xA0) return i;  // UTF-16 surrogate
    if (lead == 0xF0 && second < 0x90) return i;   // overlong 4-byte form
    if (lead == 0xF4 && second >= 0x90) return i;  // above U+10FFFF
    i += len;
  }
  return std::nullopt;
}

char32_t CodePointAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  const auto lead = static_cast<unsigned char>(text[pos]);
  size_t len = SequenceLength(lead);
  if (len == 0 || pos + len > text.size()) return 0xFFFD;
  if (len == 1) return lead;
  char32_t c = lead & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    c = (c << 6) | (static_cast<unsigned char>(text[pos + k]) & 0x3F);
  }
  return c;
}

char32_t CodePointBefore(std::string_view text, size_t pos) {
  if (pos == 0 || pos > text.size()) return 0;
  size_t start = pos - 1;
  while (start > 0 && IsContinuation(static_cast<unsigned char>(text[start]))) --start;
  return CodePointAt(text, start);
}

size_t NextCodePoint(std::string_view text, size_t pos) {
  if (pos >= text.size()) return text.size();
  ++pos;
  while (pos < text.size() && IsContinuation(static_cast<unsigned char>(text[pos]))) ++pos;
  return pos;
}

bool IsAsciiDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

bool IsLetter(char32_t c) {
  if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;  // ª µ º
  if (c == 0xD7 || c == 0xF7) return false;                  // × ÷
  if (c >= 0x2000 && c <= 0x2BFF) return false;              // punctuation, symbols, arrows
  if (c >= 0x3000 && c <= 0x303F) return false;              // CJK punctuation
  if (c >= 0xFE00 && c <= 0xFE6F) return false;              // variation selectors, small forms
  if (c >= 0xFF00 && c <= 0xFF20) return false;              // full-width punctuation
  if (c == 0xFFFD) return false;
  if (c >= 0x1F000) return false;  // emoji and pictographs
  return true;
}

LineColumn LineColumnAt(std::string_view text, size_t pos) {
  LineColumnTracker tracker(text);
  return tracker.At(pos);
}

LineColumn LineColumnTracker::At(size_t pos) {
  if (pos > text_.size()) pos = text_.size();
  for (; pos_ < pos; ++pos_) {
    const auto b = static_cast<unsigned char>(text_[pos_]);
    if (b == '\n') {
      ++current_.line;
      current_.column = 1;
    } else if (!IsContinuation(b)) {
      ++current_.column;
    }
  }
  return current_;
}

}  // namespace samrad::client::guard::internal
