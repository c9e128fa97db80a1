# Install rules: library, headers, CMake package (icmpkit::icmpkit) and
# pkg-config file. Included from src/CMakeLists.txt after the icmpkit target
# exists; does nothing unless ICMPKIT_INSTALL is on.
if(NOT ICMPKIT_INSTALL)
  return()
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ICMPKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/icmpkit)

install(TARGETS icmpkit EXPORT icmpkitTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ ${PROJECT_BINARY_DIR}/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# icmpkit_libevent is not exported: libevent may be found differently on the
# consumer's machine, so icmpkitConfig.cmake recreates it as icmpkit::libevent.
install(EXPORT icmpkitTargets NAMESPACE icmpkit:: DESTINATION ${ICMPKIT_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/icmpkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/icmpkitConfig.cmake INSTALL_DESTINATION ${ICMPKIT_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only 0.1.y satisfies 0.1.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/icmpkitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/icmpkitConfig.cmake ${PROJECT_BINARY_DIR}/icmpkitConfigVersion.cmake
        DESTINATION ${ICMPKIT_CMAKE_DIR})

# pkg-config: paths relative to the .pc file so `cmake --install --prefix`
# anywhere gives a working file.
set(ICMPKIT_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ICMPKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(ICMPKIT_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(ICMPKIT_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  string(REGEX REPLACE "[^/]+" ".." ICMPKIT_PC_UP "${ICMPKIT_PC_DIR}")
  set(ICMPKIT_PC_PREFIX "\${pcfiledir}/${ICMPKIT_PC_UP}")
  set(ICMPKIT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(ICMPKIT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
  else()
    set(ICMPKIT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
endif()
# A static libicmpkit.a needs libevent and the system libraries on every
# link line, and `pkg-config --libs` without --static leaves out the
# .private fields: so they are public for a static build, private (needed
# only to link statically against a shared build's deps) for a shared one.
set(ICMPKIT_PC_SYSTEM_LIBS "")
foreach(lib IN LISTS ICMPKIT_SYSTEM_LIBS)
  string(APPEND ICMPKIT_PC_SYSTEM_LIBS " -l${lib}")
endforeach()
if(BUILD_SHARED_LIBS)
  set(ICMPKIT_PC_REQUIRES "Requires.private")
  set(ICMPKIT_PC_LIBS "")
  set(ICMPKIT_PC_LIBS_PRIVATE "${ICMPKIT_PC_SYSTEM_LIBS}")
else()
  set(ICMPKIT_PC_REQUIRES "Requires")
  set(ICMPKIT_PC_LIBS "${ICMPKIT_PC_SYSTEM_LIBS}")
  set(ICMPKIT_PC_LIBS_PRIVATE "")
endif()
set(ICMPKIT_PC_CFLAGS "")
if(BUILD_SHARED_LIBS AND WIN32)
  set(ICMPKIT_PC_CFLAGS " -DICMPKIT_USING_SHARED")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/icmpkit.pc.in ${PROJECT_BINARY_DIR}/icmpkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/icmpkit.pc DESTINATION ${ICMPKIT_PC_DIR})
