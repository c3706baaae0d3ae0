# Builds the manual pages iotrace(1) and libiotrace(7) from their scdoc sources in docs/man, and installs them.
find_program(IOTRACE_SCDOC scdoc)
if(NOT IOTRACE_SCDOC)
  message(STATUS "scdoc not found: the manual pages are not built (apt-get install scdoc)")
  return()
endif()

set(IOTRACE_MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(_man_outputs "")
foreach(page iotrace.1 libiotrace.7)
  string(REGEX MATCH "[0-9]$" section "${page}")
  # The pages name the installed paths (the shim's multiarch directory, the docs), so they are
  # filled in for this install prefix before scdoc sees them.
  configure_file(${PROJECT_SOURCE_DIR}/docs/man/${page}.scd ${IOTRACE_MAN_DIR}/${page}.scd @ONLY)
  add_custom_command(
    OUTPUT ${IOTRACE_MAN_DIR}/${page} ${IOTRACE_MAN_DIR}/${page}.gz
    COMMAND sh -c "'${IOTRACE_SCDOC}' < ${page}.scd | awk -f '${PROJECT_SOURCE_DIR}/cmake/man-tidy.awk' > ${page}"
    # Debian installs pages compressed, and -n keeps the time stamp out so builds compare equal.
    COMMAND sh -c "gzip -9n -c ${page} > ${page}.gz"
    DEPENDS ${IOTRACE_MAN_DIR}/${page}.scd ${PROJECT_SOURCE_DIR}/cmake/man-tidy.awk
    WORKING_DIRECTORY ${IOTRACE_MAN_DIR}
    COMMENT "Building the manual page ${page}"
    VERBATIM)
  list(APPEND _man_outputs ${IOTRACE_MAN_DIR}/${page} ${IOTRACE_MAN_DIR}/${page}.gz)
  install(FILES ${IOTRACE_MAN_DIR}/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(iotrace_man ALL DEPENDS ${_man_outputs})
