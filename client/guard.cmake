# The anonymisation guard (client/guard.h): RE2 detectors for identifying
# details in case texts, redaction, and the `samrad check` command's logic.
add_library(samrad_guard
  ${CMAKE_CURRENT_LIST_DIR}/guard.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_detectors.cc
  ${CMAKE_CURRENT_LIST_DIR}/guard_text.cc)
target_include_directories(samrad_guard PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(samrad_guard
  PUBLIC absl::status absl::statusor absl::span
  PRIVATE PkgConfig::RE2 absl::strings absl::str_format absl::flat_hash_map
          absl::flat_hash_set absl::time absl::raw_logging_internal)
samrad_strict_warnings(samrad_guard)
