# Tests of the anonymisation guard (client/guard.h).
samrad_add_test(NAME guard_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/guard_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/guard_check_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/guard_corpus_test.cc
  LIBS samrad_guard absl::strings absl::str_format)
