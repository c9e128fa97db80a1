# Cross-compiles for Windows with Debian's mingw-w64 (posix-thread
# compilers: GoogleTest >= 1.12 needs std::thread / std::mutex): 64-bit by
# default, 32-bit with ICMPKIT_MINGW_TRIPLE=i686-w64-mingw32 (the mingw32
# preset).
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64.cmake \
#         -DICMPKIT_MINGW_PREFIX=$PWD/.deps/mingw ...
# ICMPKIT_MINGW_PREFIX is where libevent and GoogleTest were installed for
# mingw (scripts/test-windows builds them there). Executables and a shared
# libicmpkit.dll are linked -static so Wine (and Windows) need no
# libstdc++/libgcc/libwinpthread DLLs next to them; executables run through
# wine when it is installed (ctest, gtest_discover_tests).
set(CMAKE_SYSTEM_NAME Windows)

# try_compile projects re-read this file without the cache: pass both on.
if(NOT ICMPKIT_MINGW_TRIPLE AND DEFINED ENV{ICMPKIT_MINGW_TRIPLE})
  set(ICMPKIT_MINGW_TRIPLE $ENV{ICMPKIT_MINGW_TRIPLE})
endif()
if(NOT ICMPKIT_MINGW_TRIPLE)
  set(ICMPKIT_MINGW_TRIPLE x86_64-w64-mingw32)
endif()
string(REGEX REPLACE "-.*" "" CMAKE_SYSTEM_PROCESSOR "${ICMPKIT_MINGW_TRIPLE}")
set(CMAKE_C_COMPILER ${ICMPKIT_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${ICMPKIT_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${ICMPKIT_MINGW_TRIPLE}-windres)

if(NOT ICMPKIT_MINGW_PREFIX AND DEFINED ENV{ICMPKIT_MINGW_PREFIX})
  set(ICMPKIT_MINGW_PREFIX $ENV{ICMPKIT_MINGW_PREFIX})
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ICMPKIT_MINGW_PREFIX ICMPKIT_MINGW_TRIPLE)

set(CMAKE_FIND_ROOT_PATH /usr/${ICMPKIT_MINGW_TRIPLE} ${ICMPKIT_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")

# wine64 itself, not Debian's wine wrapper, which warns on stderr about a
# missing wine32 (and ctest matches some outputs against stderr too); for
# 32-bit programs Debian's 32-bit loader (package wine32).
if(CMAKE_SYSTEM_PROCESSOR STREQUAL "x86_64")
  find_program(ICMPKIT_WINE NAMES wine64 wine PATHS /usr/lib/wine /usr/lib64/wine)
else()
  find_program(ICMPKIT_WINE NAMES wine NAMES_PER_DIR PATHS /usr/lib/wine NO_DEFAULT_PATH)
endif()
# With BUILD_SHARED_LIBS, libicmpkit.dll stays in <build>/src, which Wine
# searches through WINEPATH (Z: is Wine's drive for /).
if(ICMPKIT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_COMMAND} -E env "WINEPATH=Z:${CMAKE_BINARY_DIR}/src" ${ICMPKIT_WINE})
endif()
