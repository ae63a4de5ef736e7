# agent.cmake -- the mamori-agent daemon and its delivery helper mamori-courier
# (included from agent/CMakeLists.txt).  The daemon links no TLS and no
# OpenSSL: delivery, the device key and libcurl live in the courier, which the
# daemon starts as an unprivileged user when reports wait (docs/agent.md).
set(MAMORI_COURIER_DIR ${CMAKE_INSTALL_LIBEXECDIR}/mamori-agent)
add_executable(mamori-agent agentd.c agentd_log.c agentd_work.c agentd_checks.c
               agentd_delivery.c agentd_reenrol.c agentd_enforce.c agentd_policy.c control.c)
target_include_directories(mamori-agent PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR})
target_link_libraries(mamori-agent PRIVATE mamori_collectors mamori_enforce mamori_policy
                      mamori_event mamori_outbox PkgConfig::CJSON)
target_compile_definitions(mamori-agent PRIVATE
  MAMORI_COURIER_PATH="${CMAKE_INSTALL_PREFIX}/${MAMORI_COURIER_DIR}/mamori-courier"
  MAMORI_CTL_PATH="${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/mamorictl")
if(TARGET PkgConfig::SYSTEMD)
  target_compile_definitions(mamori-agent PRIVATE MAMORI_HAVE_SYSTEMD)
  target_link_libraries(mamori-agent PRIVATE PkgConfig::SYSTEMD)
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/enforce/usb_enforcer.h)
  target_compile_definitions(mamori-agent PRIVATE MAMORI_HAVE_USB_ENFORCER)
endif()
install(TARGETS mamori-agent DESTINATION ${CMAKE_INSTALL_SBINDIR})

add_executable(mamori-courier courier.c agentd_log.c)
target_include_directories(mamori-courier PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mamori-courier PRIVATE mamori_transport PkgConfig::CURL PkgConfig::CJSON)
# Tests start the agent from the build tree, which runs both from there.
add_dependencies(mamori-agent mamori-courier mamorictl)
install(TARGETS mamori-courier DESTINATION ${MAMORI_COURIER_DIR})
