# transport.cmake -- mamori_transport: JWS, device key, report, spool, HTTPS delivery.
# Included from transport/CMakeLists.txt (owned by the lead).
file(GLOB MAMORI_TRANSPORT_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
list(REMOVE_ITEM MAMORI_TRANSPORT_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/event.c)
add_library(mamori_transport STATIC ${MAMORI_TRANSPORT_SOURCES})
target_include_directories(mamori_transport PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mamori_transport PUBLIC mamori_event mamori_policy mamori_catalogue PkgConfig::OPENSSL
                      PkgConfig::CURL PkgConfig::CJSON)
