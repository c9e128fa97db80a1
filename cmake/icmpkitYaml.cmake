# libyaml, for the command-line tool only (tools/monitor_config.c reads the
# monitor's --config file): a CMake config package (vcpkg, our mingw prefix,
# both from libyaml's own CMake build: target yaml) or pkg-config (Debian's
# libyaml-dev, Homebrew's libyaml: yaml-0.1). Either way the result is the
# target icmpkit_yaml.
# Included by tools/CMakeLists.txt.
if(NOT TARGET icmpkit_yaml)
  find_package(yaml CONFIG QUIET)
  add_library(icmpkit_yaml INTERFACE)
  if(TARGET yaml)
    target_link_libraries(icmpkit_yaml INTERFACE yaml)
  else()
    find_package(PkgConfig REQUIRED)
    pkg_check_modules(LIBYAML IMPORTED_TARGET yaml-0.1)
    if(NOT LIBYAML_FOUND)
      message(FATAL_ERROR "The icmpkit tool needs libyaml (Debian: libyaml-dev; Homebrew: libyaml; "
                          "vcpkg: libyaml), or -DICMPKIT_BUILD_TOOLS=OFF")
    endif()
    target_link_libraries(icmpkit_yaml INTERFACE PkgConfig::LIBYAML)
  endif()
endif()
