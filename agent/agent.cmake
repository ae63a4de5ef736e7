# agent.cmake -- the mamori-agent daemon (included from agent/CMakeLists.txt).
add_executable(mamori-agent agentd.c agentd_work.c agentd_courier.c agentd_enforce.c control.c)
target_include_directories(mamori-agent PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR})
target_link_libraries(mamori-agent PRIVATE mamori_collectors mamori_enforce mamori_policy
                      mamori_event mamori_transport PkgConfig::CJSON Threads::Threads)
if(TARGET PkgConfig::SYSTEMD)
  target_compile_definitions(mamori-agent PRIVATE MAMORI_HAVE_SYSTEMD)
  target_link_libraries(mamori-agent PRIVATE PkgConfig::SYSTEMD)
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/enforce/usb_enforcer.h)
  target_compile_definitions(mamori-agent PRIVATE MAMORI_HAVE_USB_ENFORCER)
endif()
install(TARGETS mamori-agent DESTINATION ${CMAKE_INSTALL_SBINDIR})
