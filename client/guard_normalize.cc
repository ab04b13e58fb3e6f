#include "client/guard_normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "common/check.h"

namespace samrad::client::guard::internal {
namespace {

const icu::Normalizer2& Nfkc() {
  static const icu::Normalizer2* const nfkc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
    SAMRAD_CHECK(U_SUCCESS(status) && n != nullptr, "ICU has no NFKC data");
    return n;
  }();
  return *nfkc;
}

bool IsIgnorable(UChar32 c) {
  return c == 0xAD || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

// True when the code point needs more than copying: not ASCII, or ASCII
// followed by a combining mark (checked by the caller through the next code
// point).
bool NeedsWork(UChar32 c) { return c >= 0x80; }

}  // namespace

NormalizedText::NormalizedText(std::string_view original) : original_(original) {
  const size_t n = original.size();
  // Fast path: pure ASCII text is already normal.
  size_t first = 0;
  while (first < n && static_cast<unsigned char>(original[first]) < 0x80) ++first;
  if (first == n) return;
  identity_ = false;
  text_.reserve(n);
  segment_begin_.reserve(n);
  segment_end_.reserve(n);
  auto emit = [&](std::string_view bytes, size_t begin, size_t end) {
    text_.append(bytes);
    segment_begin_.insert(segment_begin_.end(), bytes.size(), static_cast<uint32_t>(begin));
    segment_end_.insert(segment_end_.end(), bytes.size(), static_cast<uint32_t>(end));
  };
  // Copy the ASCII prefix except its last character, which may take a
  // combining mark.
  const size_t copied = first > 0 ? first - 1 : 0;
  for (size_t i = 0; i < copied; ++i) emit(original.substr(i, 1), i, i + 1);
  const icu::Normalizer2& nfkc = Nfkc();
  size_t i = copied;
  std::string utf8;
  while (i < n) {
    const size_t begin = i;
    UChar32 c;
    U8_NEXT(original.data(), i, n, c);
    if (c < 0) c = 0xFFFD;  // not reached: the text was validated
    if (IsIgnorable(c)) continue;
    if (NeedsWork(c) && u_charType(c) == U_DECIMAL_DIGIT_NUMBER) {
      const char digit = static_cast<char>('0' + u_charDigitValue(c));
      emit(std::string_view(&digit, 1), begin, i);
      continue;
    }
    // The segment: this code point and every following one that NFKC may
    // combine with it (no normalisation boundary before it), skipping
    // ignorables inside.
    icu::UnicodeString segment(c);
    size_t end = i;
    bool simple = !NeedsWork(c);
    while (end < n) {
      size_t next = end;
      UChar32 d;
      U8_NEXT(original.data(), next, n, d);
      if (d < 0) break;
      if (IsIgnorable(d) && d != 0x034F) break;  // removed on its own turn
      if (nfkc.hasBoundaryBefore(d)) break;
      segment.append(d);
      simple = false;
      end = next;
    }
    if (simple) {
      emit(original.substr(begin, end - begin), begin, end);
    } else {
      UErrorCode status = U_ZERO_ERROR;
      const icu::UnicodeString normal = nfkc.normalize(segment, status);
      utf8.clear();
      if (U_SUCCESS(status)) {
        normal.toUTF8String(utf8);
      } else {
        utf8.assign(original.substr(begin, end - begin));
      }
      // NFKC may yield non-ASCII digits or ignorables too ("①" -> "1").
      std::string cleaned;
      for (size_t k = 0; k < utf8.size();) {
        const size_t kb = k;
        UChar32 e;
        U8_NEXT(utf8.data(), k, utf8.size(), e);
        if (e < 0 || IsIgnorable(e)) continue;
        if (e >= 0x80 && u_charType(e) == U_DECIMAL_DIGIT_NUMBER) {
          cleaned.push_back(static_cast<char>('0' + u_charDigitValue(e)));
        } else {
          cleaned.append(utf8, kb, k - kb);
        }
      }
      emit(cleaned, begin, end);
    }
    i = end;
  }
}

void NormalizedText::Original(size_t begin, size_t end, size_t* original_begin,
                              size_t* original_end) const {
  if (identity_) {
    *original_begin = begin;
    *original_end = end;
    return;
  }
  *original_begin = segment_begin_[begin];
  *original_end = segment_end_[end - 1];
}

}  // namespace samrad::client::guard::internal
