# The samrad Debian package (issue 18): `cpack -G DEB` in a build configured
# with -DSAMRAD_TEST_HOOKS=OFF -DSAMRAD_BUILD_TESTS=OFF (deploy/package.sh
# does both). Installs samrad-relay and samrad to /usr/bin, the systemd unit,
# the commented conffile /etc/samrad/relay.textproto, /var/lib/samrad (0700),
# man pages and bash completion; postinst makes the `samrad` system user.
# Test binaries are never installed (only the two executables have rules).
set(SAMRAD_DEBIAN_DIR ${PROJECT_SOURCE_DIR}/deploy/debian)
set(SAMRAD_PACKAGE_STAGE ${PROJECT_BINARY_DIR}/package-files)
file(MAKE_DIRECTORY ${SAMRAD_PACKAGE_STAGE})

# The relay's man page and the Debian changelog, with the version filled in,
# compressed as Debian wants them (gzip -9n: no name or time stamp, so
# reproducible). samrad(1), English and Swedish, is generated from the
# command table at build time (target samrad_man, client/cli.cmake).
set(VERSION ${PROJECT_VERSION})
foreach(doc samrad-relay.8 changelog)
  configure_file(${SAMRAD_DEBIAN_DIR}/${doc} ${SAMRAD_PACKAGE_STAGE}/${doc} @ONLY)
  execute_process(
    COMMAND gzip -9nf ${SAMRAD_PACKAGE_STAGE}/${doc}
    RESULT_VARIABLE gzip_result)
  if(NOT gzip_result EQUAL 0)
    message(FATAL_ERROR "gzip ${doc} failed")
  endif()
endforeach()

install(TARGETS samrad-relay samrad RUNTIME DESTINATION bin COMPONENT samrad)
install(FILES ${SAMRAD_DEBIAN_DIR}/samrad-relay.service
        DESTINATION /lib/systemd/system COMPONENT samrad)
install(FILES ${SAMRAD_DEBIAN_DIR}/relay.textproto DESTINATION /etc/samrad COMPONENT samrad)
install(DIRECTORY DESTINATION /var/lib/samrad
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE COMPONENT samrad)
install(FILES ${SAMRAD_PACKAGE_STAGE}/samrad-relay.8.gz DESTINATION share/man/man8
        COMPONENT samrad)
install(FILES ${PROJECT_BINARY_DIR}/man/samrad.1.gz DESTINATION share/man/man1 COMPONENT samrad)
install(FILES ${PROJECT_BINARY_DIR}/man/sv/man1/samrad.1.gz DESTINATION share/man/sv/man1
        COMPONENT samrad)
install(FILES ${SAMRAD_DEBIAN_DIR}/samrad-relay.bash-completion
        DESTINATION share/bash-completion/completions RENAME samrad-relay COMPONENT samrad)
install(FILES ${SAMRAD_DEBIAN_DIR}/samrad.bash-completion
        DESTINATION share/bash-completion/completions RENAME samrad COMPONENT samrad)
install(FILES ${SAMRAD_DEBIAN_DIR}/copyright ${SAMRAD_PACKAGE_STAGE}/changelog.gz
        DESTINATION share/doc/samrad COMPONENT samrad)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME samrad)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "Samrad Operations <ops@samrad.invalid>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libmicrohttpd12 serves the relay's metrics endpoint (server/metrics_http.h);
# dpkg-shlibdeps finds it too, it is named so the dependency is on record.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libmicrohttpd12")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "secure consultation relay and its command line")
# CPack writes the summary as the synopsis and this as the extended text.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Samrad lets professionals ask anonymised, end-to-end encrypted case questions to advisers of regional resource centres. samrad-relay stores only ciphertext and runs as the systemd service samrad-relay; samrad is the command line for professionals, advisers and administrators.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SAMRAD_DEBIAN_DIR}/conffiles ${SAMRAD_DEBIAN_DIR}/postinst ${SAMRAD_DEBIAN_DIR}/postrm
    ${SAMRAD_DEBIAN_DIR}/prerm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
