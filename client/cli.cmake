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
