# server.cmake -- mamori_server_core (everything but main) and mamori-server.
# Included from server/CMakeLists.txt.  Needs mamori_transport (JWS).
if(TARGET mamori_transport)
  file(GLOB MAMORI_SERVER_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  list(REMOVE_ITEM MAMORI_SERVER_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
  add_library(mamori_server_core STATIC ${MAMORI_SERVER_SOURCES})
  target_include_directories(mamori_server_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(mamori_server_core PUBLIC mamori_transport PkgConfig::OPENSSL
                        PkgConfig::CJSON PkgConfig::SQLITE PkgConfig::LIBPQ PkgConfig::LIBEVENT
                        PkgConfig::CURL Threads::Threads)
  add_executable(mamori-server ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
  target_link_libraries(mamori-server PRIVATE mamori_server_core)
  install(TARGETS mamori-server RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
else()
  message(STATUS "mamori-server: transport library missing, server not built")
endif()
