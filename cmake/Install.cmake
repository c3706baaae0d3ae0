# Installs what the shim and the viewer do not install themselves: docs, examples and the bash completion.

# bash-completion loads a command's completion on demand from this directory, by the command's name.
install(FILES ${PROJECT_SOURCE_DIR}/contrib/completion/iotrace.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME iotrace)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The README's pictures and links point into docs/, so docs/ keeps its shape under the doc dir.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        PATTERN man EXCLUDE)
# The example servers as sources to read and build, not as programs on PATH.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
