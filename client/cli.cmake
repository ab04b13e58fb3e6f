# samrad_client: the CLI's library (parser, messages, profile, keystore,
# directory workspace, relay calls, commands); `samrad`: its tiny main.
# client -> crypto, proto (never storage or server).
add_library(samrad_client
  admin_audit.cc
  agent.cc
  args.cc
  case_filter.cc
  case_search.cc
  cli.cc
  certificate.cc
  command_helpers.cc
  commands_admin.cc
  commands_admin_relay.cc
  commands_agent.cc
  commands_adviser.cc
  commands_professional.cc
  commands_setup.cc
  config.cc
  directory_admin.cc
  draft.cc
  exit_codes.cc
  file_util.cc
  keystore.cc
  localized_status.cc
  man_page.cc
  messages.cc
  output.cc
  relay_client.cc
  sealed_file.cc
  session.cc
  team_share.cc
  stats_report.cc
  status_class.cc
  thread_crypto.cc
  values.cc
  unread.cc
  watch_loop.cc
)
target_link_libraries(samrad_client
  PUBLIC samrad_crypto samrad_guard samrad_proto gRPC::grpc++ absl::status absl::statusor
         absl::strings absl::span absl::time
  PRIVATE PkgConfig::ARGON2 OpenSSL::Crypto)
samrad_strict_warnings(samrad_client)

add_executable(samrad main.cc)
target_link_libraries(samrad PRIVATE samrad_client)
samrad_strict_warnings(samrad)

# samrad(1) in English and Swedish, generated from the command table by the
# program itself (`samrad __man`, client/man_page.h), with the gzip -9n form
# Debian installs (deploy/package.cmake).
set(SAMRAD_MAN_DIR ${PROJECT_BINARY_DIR}/man)
add_custom_command(
  OUTPUT ${SAMRAD_MAN_DIR}/samrad.1 ${SAMRAD_MAN_DIR}/samrad.1.gz
         ${SAMRAD_MAN_DIR}/sv/man1/samrad.1 ${SAMRAD_MAN_DIR}/sv/man1/samrad.1.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SAMRAD_MAN_DIR}/sv/man1
  COMMAND samrad __man --lang en > ${SAMRAD_MAN_DIR}/samrad.1
  COMMAND samrad __man --lang sv > ${SAMRAD_MAN_DIR}/sv/man1/samrad.1
  COMMAND gzip -9nkf ${SAMRAD_MAN_DIR}/samrad.1 ${SAMRAD_MAN_DIR}/sv/man1/samrad.1
  DEPENDS samrad
  COMMENT "Generating samrad(1) from the command table"
  VERBATIM)
add_custom_target(samrad_man ALL
  DEPENDS ${SAMRAD_MAN_DIR}/samrad.1.gz ${SAMRAD_MAN_DIR}/sv/man1/samrad.1.gz)
