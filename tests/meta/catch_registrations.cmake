# Every test that catch_discover_tests registered in ctest runs a real Catch test case.
#
#   cmake -D CTEST=<ctest> -D BUILD_DIR=<build dir> -P catch_registrations.cmake <binary>...
#
# catch_discover_tests registers one ctest test per line of `<binary> --list-test-names-only`
# and runs it as `<binary> <name, escaped>`. A name Catch cannot match back (a ';' splits it
# into two registrations; a '\' means something to Catch's test spec) registers tests that
# match no test case, and Catch exits 0 when nothing matched: the test "passes" and its
# checks never run. `-w NoTests` makes such a run fail; this check finds them without
# running anything, so it also catches a registration that lost that flag:
#
#   - every registered test of <binary> (its command starts with <binary>) selects exactly one
#     test case, its name is that case's name after a prefix that is the same for all of
#     <binary>'s tests, and it runs with `-w NoTests`;
#   - every test case <binary> lists is registered under that prefix and its name.
#
# It lists only (`--list-test-names-only`), so it takes seconds and needs no database.
cmake_minimum_required(VERSION 3.19) # string(JSON)

if(NOT CTEST OR NOT BUILD_DIR)
  message(FATAL_ERROR "usage: cmake -D CTEST=... -D BUILD_DIR=... -P ${CMAKE_CURRENT_LIST_FILE} <binary>...")
endif()

# The binaries: the arguments after the script's path.
set(first_binary 0)
math(EXPR last_argv "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last_argv})
  if("${CMAKE_ARGV${i}}" MATCHES "catch_registrations\\.cmake$")
    math(EXPR first_binary "${i} + 1")
    break()
  endif()
endforeach()
if(first_binary EQUAL 0 OR first_binary GREATER last_argv)
  message(FATAL_ERROR "no binaries given")
endif()

set(failures 0)
function(fail text)
  message("FAIL: ${text}")
  math(EXPR counted "${failures} + 1")
  set(failures ${counted} PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${CTEST} --test-dir ${BUILD_DIR} --show-only=json-v1
                OUTPUT_VARIABLE listing RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctest --show-only=json-v1 failed (${rc}): ${err}")
endif()
string(JSON test_count LENGTH "${listing}" tests)

# Names are kept in one string, each between newlines, rather than in CMake lists: a name
# may hold '[', ']' or ';', which lists treat specially.
set(registered "\n")
set(catch_tests 0)
math(EXPR last_test "${test_count} - 1")
foreach(t RANGE ${last_test})
  string(JSON test GET "${listing}" tests ${t})
  string(JSON name GET "${test}" name)
  string(JSON argc ERROR_VARIABLE no_command LENGTH "${test}" command)
  if(no_command OR argc LESS 2)
    continue()
  endif()
  string(JSON executable GET "${test}" command 0)
  # Which of the Catch binaries runs it, if any; b is its index among the arguments.
  set(b "")
  foreach(i RANGE ${first_binary} ${last_argv})
    if("${executable}" STREQUAL "${CMAKE_ARGV${i}}")
      set(b ${i})
    endif()
  endforeach()
  if("${b}" STREQUAL "")
    continue()
  endif()
  set(binary "${CMAKE_ARGV${b}}")
  math(EXPR catch_tests "${catch_tests} + 1")

  string(JSON spec GET "${test}" command 1)
  set(no_tests_warning FALSE)
  set(previous "")
  math(EXPR last_arg "${argc} - 1")
  foreach(a RANGE 1 ${last_arg})
    string(JSON arg GET "${test}" command ${a})
    if("${arg}" STREQUAL "NoTests" AND "${previous}" STREQUAL "-w")
      set(no_tests_warning TRUE)
    endif()
    set(previous "${arg}")
  endforeach()
  if(NOT no_tests_warning)
    fail("'${name}' runs without -w NoTests: a name that matches nothing would pass")
  endif()

  execute_process(COMMAND ${binary} "${spec}" --list-test-names-only
                  OUTPUT_VARIABLE selected ERROR_VARIABLE err RESULT_VARIABLE rc)
  string(LENGTH "${selected}" length)
  string(FIND "${selected}" "\n" newline)
  math(EXPR last_char "${length} - 1")
  if(length EQUAL 0)
    fail("'${name}' runs `${binary} ${spec}`, which selects no test case: it would pass without running a check")
  elseif(NOT newline EQUAL last_char)
    fail("'${name}' runs `${binary} ${spec}`, which selects several test cases:\n${selected}")
  else()
    string(SUBSTRING "${selected}" 0 ${last_char} case_name)
    # The name is a prefix, then the case's name; one prefix for all tests of a binary.
    string(LENGTH "${name}" name_length)
    math(EXPR prefix_length "${name_length} - ${last_char}")
    set(prefix "")
    set(case_in_name "")
    if(prefix_length GREATER_EQUAL 0)
      string(SUBSTRING "${name}" 0 ${prefix_length} prefix)
      string(SUBSTRING "${name}" ${prefix_length} -1 case_in_name)
    endif()
    if(NOT "${case_in_name}" STREQUAL "${case_name}")
      fail("'${name}' runs the test case '${case_name}'")
    elseif(NOT DEFINED prefix_${b})
      set(prefix_${b} "${prefix}")
    elseif(NOT "${prefix}" STREQUAL "${prefix_${b}}")
      fail("'${name}' has the prefix '${prefix}', other tests of ${binary} '${prefix_${b}}'")
    endif()
  endif()
  string(APPEND registered "${name}\n")
endforeach()

# The other way round: no test case is left unregistered (a split name registers halves).
set(catch_cases 0)
foreach(b RANGE ${first_binary} ${last_argv})
  set(binary "${CMAKE_ARGV${b}}")
  if(NOT DEFINED prefix_${b})
    fail("no registered test runs a test case of ${binary}")
    continue()
  endif()
  execute_process(COMMAND ${binary} --list-test-names-only OUTPUT_VARIABLE cases)
  while(NOT "${cases}" STREQUAL "")
    string(FIND "${cases}" "\n" newline)
    if(newline EQUAL -1)
      set(case_name "${cases}")
      set(cases "")
    else()
      string(SUBSTRING "${cases}" 0 ${newline} case_name)
      math(EXPR rest "${newline} + 1")
      string(SUBSTRING "${cases}" ${rest} -1 cases)
    endif()
    math(EXPR catch_cases "${catch_cases} + 1")
    string(FIND "${registered}" "\n${prefix_${b}}${case_name}\n" at)
    if(at EQUAL -1)
      fail("the test case '${case_name}' of ${binary} is not registered as '${prefix_${b}}${case_name}'")
    endif()
  endwhile()
endforeach()

if(catch_tests EQUAL 0)
  fail("no registered test runs one of the given binaries")
endif()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} problem(s) among ${catch_tests} registered Catch tests")
endif()
message("${catch_tests} registered Catch tests, ${catch_cases} test cases: each runs exactly one, under its own name")
