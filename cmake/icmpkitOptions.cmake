# Compiler settings shared by every icmpkit target: call icmpkit_target_defaults(t).
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(ICMPKIT_SANITIZE)
  if(MSVC)
    message(FATAL_ERROR "ICMPKIT_SANITIZE is for gcc/clang")
  endif()
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# ThreadSanitizer (.ci/run). libevent from the system is not instrumented:
# TSan sees the threads, locks and descriptors through its interceptors,
# and accesses inside libevent go unchecked (no base is shared between
# threads: each worker's is made before its thread starts and freed after
# it is joined). No suppressions are needed.
if(ICMPKIT_TSAN)
  if(MSVC OR ICMPKIT_SANITIZE)
    message(FATAL_ERROR "ICMPKIT_TSAN is for gcc/clang, without ICMPKIT_SANITIZE")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

if(ICMPKIT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "ICMPKIT_FUZZ needs clang (libFuzzer): CC=clang CXX=clang++")
  endif()
  # Coverage in every object, so libFuzzer sees inside the library; the
  # fuzz executables add -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

function(icmpkit_target_defaults target)
  if(MSVC)
    # The sources call the standard C functions (strcpy, fopen, strerror)
    # with bounds checked; MSVC's _s variants are not portable C.
    target_compile_definitions(${target} PRIVATE _CRT_SECURE_NO_WARNINGS)
    target_compile_options(${target} PRIVATE /W4)
    if(ICMPKIT_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(ICMPKIT_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
