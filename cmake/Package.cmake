# Describes the Debian package that `cpack -G DEB` makes from an install of this tree.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME iotrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "trace where a network server waits and copies as it reads")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "libiotrace.so is an LD_PRELOAD shim that records an unmodified program's\n"
    "select, poll, epoll, recv, read and accept calls into one trace file per\n"
    "process: how long each call waited and how long it copied, the fds the kernel\n"
    "scanned and the bytes it moved. The iotrace viewer turns the traces into\n"
    "summaries, text timelines, Chrome/CSV exports and HTML or SVG pictures.")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
set(IOTRACE_DEB_MAINTAINER "iotrace maintainers <iotrace@example.org>" CACHE STRING
    "The Maintainer field of the .deb")
set(CPACK_PACKAGE_CONTACT "${IOTRACE_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The package installs where this tree installs, so the paths the man pages and `iotrace run`
# were built with are the ones on disk; Debian's layout needs -DCMAKE_INSTALL_PREFIX=/usr.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "A .deb made from this tree installs under ${CMAKE_INSTALL_PREFIX}: "
                 "configure with -DCMAKE_INSTALL_PREFIX=/usr for Debian's layout")
endif()
set(CPACK_STRIP_FILES ON)
# dpkg-shlibdeps finds what the viewer and the shim link (libc6). libunwind is not linked but
# opened with dlopen when IOTRACE_STACK is set, so its package is named here, from its soname.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
string(REGEX REPLACE "^lib(.*)\\.so\\.([0-9]+)$" "lib\\1\\2" IOTRACE_UNWIND_PACKAGE "${LIBUNWIND_SONAME}")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${IOTRACE_UNWIND_PACKAGE}")

# The package's own files under debian's names: the changelog every package carries (one entry,
# this version, dated by SOURCE_DATE_EPOCH when set so rebuilds compare equal), the ldconfig
# trigger a library directory asks for, and the lintian remarks that do not apply to a shim.
set(_deb ${CMAKE_BINARY_DIR}/deb)
string(TIMESTAMP IOTRACE_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${PROJECT_SOURCE_DIR}/cmake/deb/changelog.in ${_deb}/changelog @ONLY)
execute_process(COMMAND gzip -9n -c ${_deb}/changelog OUTPUT_FILE ${_deb}/changelog.gz)
install(FILES ${_deb}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/cmake/deb/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME iotrace)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/cmake/deb/triggers)
include(CPack)
