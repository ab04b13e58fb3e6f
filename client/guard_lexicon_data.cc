// The guard's word lists and the Swedish dictionary, compiled into the binary
// with the assembler's .incbin (paths from client/guard.cmake), so the guard
// never depends on finding a file at run time. ccache does not cache objects
// that use .incbin, so a changed list is always rebuilt.
#include <cstddef>
#include <string_view>

#include "client/guard_lexicon.h"

#define SAMRAD_INCBIN(name, path)       \
  __asm__(                              \
      ".section .rodata\n"              \
      ".global " #name                  \
      "_begin\n"                        \
      ".balign 16\n" #name              \
      "_begin:\n"                       \
      ".incbin \"" path                 \
      "\"\n"                            \
      ".global " #name "_end\n" #name   \
      "_end:\n"                         \
      ".byte 0\n"                       \
      ".previous\n");                   \
  extern "C" const char name##_begin[]; \
  extern "C" const char name##_end[];

SAMRAD_INCBIN(samrad_guard_given_names, SAMRAD_GUARD_DATA_DIR "/given_names.txt")
SAMRAD_INCBIN(samrad_guard_surnames, SAMRAD_GUARD_DATA_DIR "/surnames.txt")
SAMRAD_INCBIN(samrad_guard_places, SAMRAD_GUARD_DATA_DIR "/places.txt")
SAMRAD_INCBIN(samrad_guard_allow, SAMRAD_GUARD_DATA_DIR "/allow.txt")
SAMRAD_INCBIN(samrad_guard_ambiguous, SAMRAD_GUARD_DATA_DIR "/ambiguous.txt")
SAMRAD_INCBIN(samrad_guard_dictionary, SAMRAD_GUARD_WORDS)

namespace samrad::client::guard::internal {

std::string_view LexiconFile(LexiconId id) {
  auto view = [](const char* begin, const char* end) {
    return std::string_view(begin, static_cast<size_t>(end - begin));
  };
  switch (id) {
    case LexiconId::kGivenNames:
      return view(samrad_guard_given_names_begin, samrad_guard_given_names_end);
    case LexiconId::kSurnames:
      return view(samrad_guard_surnames_begin, samrad_guard_surnames_end);
    case LexiconId::kPlaces:
      return view(samrad_guard_places_begin, samrad_guard_places_end);
    case LexiconId::kAllow:
      return view(samrad_guard_allow_begin, samrad_guard_allow_end);
    case LexiconId::kAmbiguous:
      return view(samrad_guard_ambiguous_begin, samrad_guard_ambiguous_end);
    case LexiconId::kDictionary:
      return view(samrad_guard_dictionary_begin, samrad_guard_dictionary_end);
  }
  return {};
}

}  // namespace samrad::client::guard::internal
