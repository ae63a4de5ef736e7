# transport.cmake -- the transport room's two libraries (included from
# transport/CMakeLists.txt):
#   mamori_outbox     what the resident agent needs to keep reports safe on
#                     disk: report document, seq, spool, pending events,
#                     backoff.  No cryptography, no network: the agent must
#                     stay small (docs/agent.md, "Memory").
#   mamori_transport  everything that signs or talks TLS: JWS, device key,
#                     enrolment, HTTPS client, the courier's sender.  Used by
#                     mamori-courier, mamorictl and mamori-server.
add_library(mamori_outbox STATIC durable_file.c report.c spool.c outbox.c)
target_include_directories(mamori_outbox PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mamori_outbox PUBLIC mamori_event mamori_policy mamori_catalogue
                      PkgConfig::CJSON)

add_library(mamori_transport STATIC device_key.c enroll.c https_client.c jws.c policy_fetch.c
                                    sender.c)
target_include_directories(mamori_transport PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mamori_transport PUBLIC mamori_outbox mamori_event mamori_policy
                      PkgConfig::OPENSSL PkgConfig::SODIUM PkgConfig::CURL PkgConfig::CJSON)
