# Tests of the anonymisation guard (client/guard.h).
samrad_add_test(NAME guard_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/guard_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/guard_check_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/guard_corpus_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/guard_names_test.cc
  LIBS samrad_guard absl::strings absl::str_format)

# Throughput benchmark (not a test): ./build/tests/client/guard_benchmark
if(SAMRAD_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
  add_executable(guard_benchmark ${CMAKE_CURRENT_LIST_DIR}/guard_benchmark.cc)
  target_link_libraries(guard_benchmark PRIVATE samrad_guard benchmark::benchmark)
  # BM_SamradProcess runs the built client/samrad.
  target_compile_definitions(guard_benchmark PRIVATE SAMRAD_BINARY_DIR="${PROJECT_BINARY_DIR}")
  samrad_strict_warnings(guard_benchmark)
endif()
