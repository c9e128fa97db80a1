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
