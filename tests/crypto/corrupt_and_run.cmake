# Makes a corrupted copy of a vector file and checks that samrad-vectors
# reports failures for it: exit status 1 and a closing "N passed, M failed"
# line with M > 0.
#
#   cmake -DTOOL=... -DKIND=hpke|wycheproof -DIN=file.json -DOUT=copy.json
#         -DFIELD=ct -P corrupt_and_run.cmake
# FIELD names a hex field; the first hex digit of its first occurrence is
# changed, which no correct implementation can accept.
file(READ "${IN}" content)
string(FIND "${content}" "\"${FIELD}\": \"" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "field ${FIELD} not found in ${IN}")
endif()
string(LENGTH "\"${FIELD}\": \"" prefix_len)
math(EXPR digit_pos "${pos} + ${prefix_len}")
string(SUBSTRING "${content}" ${digit_pos} 1 digit)
if(digit STREQUAL "0")
  set(new_digit "1")
else()
  set(new_digit "0")
endif()
string(SUBSTRING "${content}" 0 ${digit_pos} head)
math(EXPR tail_pos "${digit_pos} + 1")
string(SUBSTRING "${content}" ${tail_pos} -1 tail)
file(WRITE "${OUT}" "${head}${new_digit}${tail}")

execute_process(COMMAND "${TOOL}" "${KIND}" "${OUT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(REMOVE "${OUT}")
string(REGEX MATCH "([0-9]+) passed, ([0-9]+) failed\n?$" closing "${out}")
if(NOT closing)
  message(FATAL_ERROR "no closing 'N passed, M failed' line; rc=${rc}\n${out}\n${err}")
endif()
if(rc EQUAL 0 OR CMAKE_MATCH_2 EQUAL 0)
  message(FATAL_ERROR "corrupted ${FIELD} was not detected: rc=${rc}, ${closing}")
endif()
message(STATUS "corruption detected as expected: rc=${rc}, ${closing}")
