# The OpenAPI document (generated at build time into MU_OPENAPI_JSON, proto/openapi/) against
# what the service answers.
#
# Every e2e test appends its HTTP exchanges to one file (MU_RECORD_EXCHANGES, see
# tests/support/exchange_recorder.cpp). ctest orders the three steps with a fixture,
# also under -j: "recording starts" (FIXTURES_SETUP) empties the file before any e2e
# test runs (each FIXTURES_REQUIRED); the response check is the fixture's cleanup, so
# it runs after the last of them, whichever were selected (-L e2e, -R openapi, ...).
# Run alone (ctest -R 'matches openapi'), it checks the last recording, and fails on
# an empty or missing one.
set(MU_EXCHANGES_FILE ${CMAKE_BINARY_DIR}/rest_exchanges.jsonl)
set(MU_RECORDING_PROPERTIES ENVIRONMENT "MU_RECORD_EXCHANGES=${MU_EXCHANGES_FILE}"
                            FIXTURES_REQUIRED rest_exchanges)

# The e2e test compares the served document with the generated one.
target_compile_definitions(mu_e2e_tests PRIVATE MU_OPENAPI_SOURCE="${MU_OPENAPI_JSON}")

add_test(NAME "wire: REST exchanges recording starts"
         COMMAND ${CMAKE_COMMAND} -E rm -f ${MU_EXCHANGES_FILE})
# No label: `ctest -L wire` checks the last recording instead of emptying it first.
set_tests_properties("wire: REST exchanges recording starts" PROPERTIES
                     FIXTURES_SETUP rest_exchanges)

find_program(MU_NODE node)
set(MU_NODE_TESTS ${CMAKE_CURRENT_SOURCE_DIR}/node)
set(MU_OPENAPI_DOCUMENT ${MU_OPENAPI_JSON})
set(MU_VALIDATE_TEST "wire: openapi.json is a valid OpenAPI document")
set(MU_RESPONSES_TEST "wire: every e2e REST response matches openapi.json")
if(MU_NODE)
  add_test(NAME ${MU_VALIDATE_TEST}
           COMMAND ${MU_NODE} ${MU_NODE_TESTS}/openapi_validate.mjs ${MU_OPENAPI_DOCUMENT})
  add_test(NAME ${MU_RESPONSES_TEST}
           COMMAND ${MU_NODE} ${MU_NODE_TESTS}/openapi_responses.mjs ${MU_EXCHANGES_FILE}
                   ${MU_OPENAPI_DOCUMENT})
else()
  # Registered all the same, so that every run says why they did not run.
  message(STATUS "node not found: the OpenAPI checks (wire: ...) will be skipped")
  foreach(name ${MU_VALIDATE_TEST} ${MU_RESPONSES_TEST})
    add_test(NAME ${name} COMMAND sh -c "echo 'SKIP: node not found (install nodejs, then npm ci in tests/node)'; exit 77")
  endforeach()
endif()
# 77: node or the npm packages are missing (the scripts say which): counted as skipped.
set_tests_properties(${MU_VALIDATE_TEST} PROPERTIES LABELS wire SKIP_RETURN_CODE 77)
set_tests_properties(${MU_RESPONSES_TEST} PROPERTIES LABELS wire SKIP_RETURN_CODE 77
                                                     FIXTURES_CLEANUP rest_exchanges)
