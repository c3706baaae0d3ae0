# IOTRACE_SANITIZE: ASan+UBSan for programs; the preloaded shim gets UBSan only (ASan must load first).
if(IOTRACE_SANITIZE)
  set(IOTRACE_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  set(IOTRACE_SHIM_SAN_FLAGS -fsanitize=undefined -fno-sanitize-recover=undefined)
else()
  set(IOTRACE_SAN_FLAGS "")
  set(IOTRACE_SHIM_SAN_FLAGS "")
endif()

# iotrace_program(target): applies the program sanitizer flags to an executable target.
function(iotrace_program target)
  if(IOTRACE_SAN_FLAGS)
    target_compile_options(${target} PRIVATE ${IOTRACE_SAN_FLAGS})
    target_link_options(${target} PRIVATE ${IOTRACE_SAN_FLAGS})
  endif()
endfunction()

# iotrace_fixture(target): test programs that pass bad pointers on purpose (to compare EFAULT
# with and without the shim) and exit without freeing get UBSan only, like the shim they load.
function(iotrace_fixture target)
  if(IOTRACE_SHIM_SAN_FLAGS)
    target_compile_options(${target} PRIVATE ${IOTRACE_SHIM_SAN_FLAGS})
    target_link_options(${target} PRIVATE ${IOTRACE_SHIM_SAN_FLAGS})
  endif()
endfunction()
