# Fails unless the newest section of CHANGELOG.md is the project version,
# dated or "Unreleased" (docs/releasing.md).
# cmake -DCHANGELOG=<file> -DVERSION=<X.Y.Z> -P check-changelog.cmake
file(STRINGS "${CHANGELOG}" sections REGEX "^## \\[")
if(NOT sections)
  message(FATAL_ERROR "${CHANGELOG}: no '## [X.Y.Z] - date' section")
endif()
list(GET sections 0 newest)
if(NOT newest MATCHES "^## \\[([0-9]+\\.[0-9]+\\.[0-9]+)\\] - (Unreleased|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])$")
  message(FATAL_ERROR "${CHANGELOG}: the newest section '${newest}' is not '## [X.Y.Z] - YYYY-MM-DD' or '- Unreleased'")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
  message(FATAL_ERROR "${CHANGELOG}: the newest section is ${CMAKE_MATCH_1}, the project version is ${VERSION}: "
                      "update one of them (docs/releasing.md)")
endif()
message(STATUS "CHANGELOG.md: newest section ${CMAKE_MATCH_1} (${CMAKE_MATCH_2}) is the project version")
