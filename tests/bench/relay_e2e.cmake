# samrad-bench against the real relay process (server/'s samrad-relay).
samrad_add_test(NAME bench_relay_e2e_test LABEL integration TIMEOUT 600
  SOURCES relay_e2e_test.cc LIBS samrad_bench_test_pki PkgConfig::RE2 absl::strings)
add_dependencies(bench_relay_e2e_test samrad-bench samrad-relay)
