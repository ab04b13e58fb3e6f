# The anonymisation guard (client/guard.h): RE2 detectors for identifying
# details in case texts, the name/school/place/workplace detector with its
# word lists (client/guard_data/, compiled in), redaction, and the `samrad
# check` command's logic.
#
# The Swedish dictionary (Debian's wswedish, deploy/install-deps.sh) is
# compiled into the binary like the word lists, so the guard can never run
# without it: a missing file is a configure error, not a weaker guard.
set(SAMRAD_GUARD_DICTIONARY "/usr/share/dict/swedish" CACHE FILEPATH
    "Swedish word list (ISO-8859-1, one word a line) compiled into the guard")
if(NOT EXISTS "${SAMRAD_GUARD_DICTIONARY}")
  message(FATAL_ERROR "the anonymisation guard needs the Swedish dictionary "
                      "${SAMRAD_GUARD_DICTIONARY}: install the Debian package wswedish "
                      "(deploy/install-deps.sh) or set -DSAMRAD_GUARD_DICTIONARY=FILE")
endif()
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)

set(SAMRAD_GUARD_DATA
    ${CMAKE_CURRENT_LIST_DIR}/guard_data/given_names.txt
    ${CMAKE_CURRENT_LIST_DIR}/guard_data/surnames.txt
    ${CMAKE_CURRENT_LIST_DIR}/guard_data/places.txt
    ${CMAKE_CURRENT_LIST_DIR}/guard_data/allow.txt
    ${CMAKE_CURRENT_LIST_DIR}/guard_data/ambiguous.txt)

# The dictionary's lower-case words in UTF-8, sorted, for binary search.
add_executable(guard_dictionary_gen ${CMAKE_CURRENT_LIST_DIR}/guard_dictionary_gen.cc)
set(SAMRAD_GUARD_WORDS ${CMAKE_CURRENT_BINARY_DIR}/guard_dictionary.txt)
add_custom_command(OUTPUT ${SAMRAD_GUARD_WORDS}
  COMMAND guard_dictionary_gen ${SAMRAD_GUARD_DICTIONARY} ${SAMRAD_GUARD_WORDS}
  DEPENDS guard_dictionary_gen ${SAMRAD_GUARD_DICTIONARY}
  COMMENT "Sorting the Swedish dictionary for the anonymisation guard")
add_custom_target(samrad_guard_words DEPENDS ${SAMRAD_GUARD_WORDS})

add_library(samrad_guard
  ${CMAKE_CURRENT_LIST_DIR}/guard.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_detectors.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_lexicon.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_lexicon_data.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_names.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_normalize.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_text.cc)
# .incbin reads these files while assembling guard_lexicon_data.cc.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/guard_lexicon_data.cc PROPERTIES
  OBJECT_DEPENDS "${SAMRAD_GUARD_DATA};${SAMRAD_GUARD_WORDS}"
  COMPILE_DEFINITIONS
    "SAMRAD_GUARD_DATA_DIR=\"${CMAKE_CURRENT_LIST_DIR}/guard_data\";SAMRAD_GUARD_WORDS=\"${SAMRAD_GUARD_WORDS}\"")
add_dependencies(samrad_guard samrad_guard_words)
target_include_directories(samrad_guard PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(samrad_guard
  PUBLIC absl::status absl::statusor absl::span
  PRIVATE PkgConfig::RE2 PkgConfig::ICU absl::strings absl::str_format absl::flat_hash_map
          absl::flat_hash_set absl::time)
samrad_strict_warnings(samrad_guard)
