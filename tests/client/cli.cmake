# Tests of the samrad client (label unit). End-to-end runs with the real
# relay are in cli_e2e_test.cc (label e2e).
samrad_add_test(NAME client_args_test LABEL unit
  SOURCES args_test.cc LIBS samrad_client)
samrad_add_test(NAME client_output_test LABEL unit
  SOURCES output_test.cc LIBS samrad_client)
samrad_add_test(NAME client_config_test LABEL unit
  SOURCES config_test.cc LIBS samrad_client)
samrad_add_test(NAME client_localized_status_test LABEL unit
  SOURCES localized_status_test.cc LIBS samrad_client)
samrad_add_test(NAME client_keystore_test LABEL unit
  SOURCES keystore_test.cc LIBS samrad_client)
samrad_add_test(NAME client_directory_admin_test LABEL unit
  SOURCES directory_admin_test.cc LIBS samrad_client)
samrad_add_test(NAME client_cli_test LABEL unit
  SOURCES cli_test.cc LIBS samrad_client)
samrad_add_test(NAME client_thread_crypto_test LABEL unit
  SOURCES thread_crypto_test.cc LIBS samrad_client)
samrad_add_test(NAME client_watch_loop_test LABEL unit
  SOURCES watch_loop_test.cc LIBS samrad_client)
samrad_add_test(NAME client_case_filter_test LABEL unit
  SOURCES case_filter_test.cc LIBS samrad_client)
samrad_add_test(NAME client_admin_audit_test LABEL unit
  SOURCES admin_audit_test.cc LIBS samrad_client samrad_storage RocksDB::rocksdb)
# The whole story with the real relay (server/'s samrad-relay).
samrad_add_test(NAME client_cli_e2e_test LABEL e2e TIMEOUT 300
  SOURCES cli_e2e_test.cc LIBS samrad_client samrad_storage)
add_dependencies(client_cli_e2e_test samrad samrad-relay)
# The admin commands (revoke, audit, stats, purge, backup) with the real relay.
# Runs the relay "days later" for retention (LD_PRELOAD, tests only).
add_library(samrad_test_time_shift SHARED time_shift.c)
target_link_libraries(samrad_test_time_shift PRIVATE ${CMAKE_DL_LIBS})
samrad_add_test(NAME client_admin_e2e_test LABEL e2e TIMEOUT 180
  SOURCES admin_e2e_test.cc LIBS samrad_client)
target_compile_definitions(client_admin_e2e_test PRIVATE
  SAMRAD_TIME_SHIFT_LIB="$<TARGET_FILE:samrad_test_time_shift>")
add_dependencies(client_admin_e2e_test samrad samrad-relay samrad_test_time_shift)
# resend, release, check and close --forget with the real relay; resend needs
# a relay whose store cannot write (its SAMRAD_TEST_DISK_FULL_MARKER test hook).
samrad_add_test(NAME client_cli_features_e2e_test LABEL e2e TIMEOUT 240
  SOURCES cli_features_e2e_test.cc LIBS samrad_client)
add_dependencies(client_cli_features_e2e_test samrad samrad-relay)
# samrad(1) generated from the command table (client/man_page.h): the built
# pages name every command and flag, and groff renders them cleanly.
samrad_add_test(NAME client_man_page_test LABEL unit
  SOURCES man_page_test.cc LIBS samrad_client)
add_dependencies(client_man_page_test samrad_man)
