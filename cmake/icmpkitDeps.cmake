# libevent: a CMake config package (vcpkg, our mingw prefix) or pkg-config
# (Debian, Homebrew). Either way the result is the target icmpkit_libevent:
# core, and extra for evdns (src/resolve_async.c), extra first so that a
# static link resolves it against core.
find_package(Libevent 2.1 CONFIG QUIET COMPONENTS core extra)
add_library(icmpkit_libevent INTERFACE)
if(Libevent_FOUND)
  target_link_libraries(icmpkit_libevent INTERFACE libevent::extra libevent::core)
  set(ICMPKIT_LIBEVENT_FROM "config")
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_extra>=2.1 libevent_core>=2.1)
  target_link_libraries(icmpkit_libevent INTERFACE PkgConfig::LIBEVENT)
  set(ICMPKIT_LIBEVENT_FROM "pkg-config")
endif()

# icmpkit monitor's HTTP server is libevent's own evhttp (libevent_extra):
# the target icmpkit_libevent_extra, for the tools only.
add_library(icmpkit_libevent_extra INTERFACE)
if(Libevent_FOUND)
  find_package(Libevent 2.1 CONFIG QUIET COMPONENTS core extra)
  target_link_libraries(icmpkit_libevent_extra INTERFACE libevent::extra)
else()
  pkg_check_modules(LIBEVENT_EXTRA REQUIRED IMPORTED_TARGET libevent_extra>=2.1)
  target_link_libraries(icmpkit_libevent_extra INTERFACE PkgConfig::LIBEVENT_EXTRA)
endif()
