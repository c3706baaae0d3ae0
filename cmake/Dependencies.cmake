# Finds libunwind (through pkg-config) and uthash; a missing one stops configure naming its Debian package.
find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: install it with 'apt-get install pkg-config'")
endif()

pkg_check_modules(LIBUNWIND QUIET libunwind)
if(NOT LIBUNWIND_FOUND)
  message(FATAL_ERROR "libunwind not found: install it with 'apt-get install libunwind-dev'")
endif()
# The shim loads libunwind with dlopen(RTLD_LOCAL) only when IOTRACE_STACK is set: linked
# normally, its _Unwind_* and backtrace exports would take over the traced program's own.
find_library(LIBUNWIND_LIBRARY NAMES unwind HINTS ${LIBUNWIND_LIBRARY_DIRS} REQUIRED)
get_filename_component(LIBUNWIND_REAL "${LIBUNWIND_LIBRARY}" REALPATH)
execute_process(COMMAND objdump -p "${LIBUNWIND_REAL}" OUTPUT_VARIABLE _unw_dyn ERROR_QUIET)
string(REGEX MATCH "SONAME +([^\n ]+)" _unw_soname "${_unw_dyn}")
if(CMAKE_MATCH_1)
  set(LIBUNWIND_SONAME "${CMAKE_MATCH_1}")
else()
  set(LIBUNWIND_SONAME "libunwind.so.8")
endif()

include(CheckIncludeFile)
set(CMAKE_REQUIRED_QUIET ON)
check_include_file(uthash.h HAVE_UTHASH_H)
if(NOT HAVE_UTHASH_H)
  message(FATAL_ERROR "uthash.h not found: install it with 'apt-get install uthash-dev'")
endif()
