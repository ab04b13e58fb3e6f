# Runs samrad-vectors on input it must refuse and checks that it exits with
# status 2 and says why on stderr, without a "passed, failed" line.
#
#   cmake -DTOOL=... -DKIND=hpke|wycheproof -DIN=file [-DCONTENT=text -DOUT=file]
#         -DEXPECT=regex -P expect_tool_error.cmake
# With CONTENT, the file OUT is written first (and removed afterwards) and used
# as the input.
if(DEFINED CONTENT)
  file(WRITE "${OUT}" "${CONTENT}")
  set(IN "${OUT}")
endif()
execute_process(COMMAND "${TOOL}" "${KIND}" "${IN}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(DEFINED CONTENT)
  file(REMOVE "${OUT}")
endif()
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "expected exit status 2, got ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr does not match '${EXPECT}': ${err}")
endif()
if(out MATCHES "passed, [0-9]+ failed")
  message(FATAL_ERROR "a refused file must not print a result line: ${out}")
endif()
message(STATUS "refused as expected: ${err}")
