# The OpenAPI document served at /openapi.json, generated at build time from the protos'
# descriptor set (with comments) and proto/openapi/overlay.json. Included by the top-level
# CMakeLists.txt after the proto section (it needs MU_PROTO_DESCRIPTOR_SET).
#   MU_OPENAPI_JSON: the generated document (the server embeds it, the tests read it).

# The generator: protobuf's descriptor library and nlohmann/json, nothing of the service.
file(GLOB MU_OPENAPI_GEN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
list(FILTER MU_OPENAPI_GEN_SOURCES EXCLUDE REGEX "(_test|openapi_gen)\\.cpp$")
add_library(mu_openapi_gen STATIC ${MU_OPENAPI_GEN_SOURCES})
target_link_libraries(mu_openapi_gen PUBLIC protobuf::libprotobuf nlohmann_json::nlohmann_json)
mu_own_code(mu_openapi_gen)
mu_layer(mu_openapi_gen proto/openapi)
add_executable(openapi-gen ${CMAKE_CURRENT_LIST_DIR}/openapi_gen.cpp)
target_link_libraries(openapi-gen PRIVATE mu_openapi_gen)
mu_own_code(openapi-gen)

set(MU_OPENAPI_OVERLAY ${CMAKE_CURRENT_LIST_DIR}/overlay.json)
set(MU_OPENAPI_JSON ${PROJECT_BINARY_DIR}/generated/openapi.json)
add_custom_command(
  OUTPUT ${MU_OPENAPI_JSON}
  COMMAND openapi-gen ${MU_PROTO_DESCRIPTOR_SET} ${MU_OPENAPI_OVERLAY} ${MU_OPENAPI_JSON}
  DEPENDS openapi-gen ${MU_PROTO_DESCRIPTOR_SET} ${MU_OPENAPI_OVERLAY}
  COMMENT "Generating openapi.json from the protos and proto/openapi/overlay.json"
  VERBATIM)
