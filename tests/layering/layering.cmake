# The layers hold: an include against them fails the build. Each case is a probe, a
# one-line source that includes one header, compiled as part of one library's layer
# (linked to that library alone, as the library's own sources are). A probe that
# crosses a layer must fail with "<header>: No such file or directory"; its control,
# which includes a header the library may use, must build, so that a failure is the
# layering's and not the probe's. Built only by these tests (EXCLUDE_FROM_ALL).
set(MU_PROBE_DIR ${CMAKE_BINARY_DIR}/layering_probes)

# mu_layer_probe(<library> <header> FAILS|BUILDS)
function(mu_layer_probe library header outcome)
  string(MAKE_C_IDENTIFIER "${library}_${header}" id)
  set(source ${MU_PROBE_DIR}/${id}.cpp)
  file(WRITE ${source} "#include \"${header}\"\n")
  add_library(probe_${id} OBJECT EXCLUDE_FROM_ALL ${source})
  target_link_libraries(probe_${id} PRIVATE ${library})
  if(outcome STREQUAL "FAILS")
    set(name "layers: ${library} cannot include ${header}")
  else()
    set(name "layers: ${library} can include ${header} (control)")
  endif()
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -D BUILD_DIR=${CMAKE_BINARY_DIR} -D TARGET=probe_${id}
                   -D HEADER=${header} -D OUTCOME=${outcome}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/layering/expect_build.cmake)
  # One probe at a time: they run the build tool in the build directory.
  set_tests_properties(${name} PROPERTIES LABELS layers RESOURCE_LOCK build_directory)
endfunction()

# Down the stack only: domain <- eventstore <- projections <- platform <- commands <- handlers
# <- pipeline <- rest, grpc; the transports do not see each other, nor the jobs and the CLI the
# service core; the command core knows no wire message.
mu_layer_probe(mu_domain "domain/time.hpp" BUILDS)
mu_layer_probe(mu_domain "eventstore/event_store.hpp" FAILS)
mu_layer_probe(mu_eventstore "projections/registry.hpp" FAILS)
mu_layer_probe(mu_projections "app/platform/log.hpp" FAILS)
mu_layer_probe(mu_platform "projections/registry.hpp" BUILDS)
mu_layer_probe(mu_platform "app/commands/call_context.hpp" FAILS)
mu_layer_probe(mu_commands "app/platform/log.hpp" BUILDS)
mu_layer_probe(mu_commands "app/handlers/handler_bindings.hpp" FAILS)
mu_layer_probe(mu_commands "zitadel/management.pb.h" FAILS)
mu_layer_probe(mu_handlers "app/commands/command_runner.hpp" BUILDS)
mu_layer_probe(mu_queries "app/commands/command_runner.hpp" FAILS)
mu_layer_probe(mu_commands "app/queries/read_models.hpp" FAILS)
mu_layer_probe(mu_rest "app/queries/read_models.hpp" FAILS)
mu_layer_probe(mu_handlers "app/pipeline/rpc_table.hpp" FAILS)
mu_layer_probe(mu_handlers "app/rest/routes.hpp" FAILS)
mu_layer_probe(mu_pipeline "app/commands/call_context.hpp" BUILDS)
mu_layer_probe(mu_pipeline "app/grpc/status_codec.hpp" FAILS)
mu_layer_probe(mu_rest "app/pipeline/rpc_table.hpp" BUILDS)
mu_layer_probe(mu_rest "app/grpc/status_codec.hpp" FAILS)
mu_layer_probe(mu_grpc "app/rest/routes.hpp" FAILS)
mu_layer_probe(mu_jobs "app/commands/call_context.hpp" FAILS)
mu_layer_probe(mu_cli "app/pipeline/rpc_table.hpp" FAILS)
# app/oauth: the OAuth/OIDC endpoints read the queries and use the command core, but know no
# RPC, handler or transport; REST dispatches to them, the pipeline and gRPC do not see them.
mu_layer_probe(mu_oauth "app/commands/call_context.hpp" BUILDS)
mu_layer_probe(mu_oauth "app/platform/signing_keys.hpp" BUILDS)
mu_layer_probe(mu_oauth "app/pipeline/rpc_table.hpp" FAILS)
mu_layer_probe(mu_oauth "app/handlers/handler_bindings.hpp" FAILS)
mu_layer_probe(mu_oauth "app/rest/routes.hpp" FAILS)
mu_layer_probe(mu_oauth "zitadel/management.pb.h" FAILS)
mu_layer_probe(mu_rest "app/oauth/oauth_endpoints.hpp" BUILDS)
mu_layer_probe(mu_pipeline "app/oauth/oauth_endpoints.hpp" FAILS)
mu_layer_probe(mu_grpc "app/oauth/oauth_endpoints.hpp" FAILS)
