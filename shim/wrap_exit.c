/* _exit and _Exit: the trace file is closed and cut to its data, as on a normal exit. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"

/*
 * Forked workers end with _exit, which runs no destructor: without this their files keep the
 * space allocated ahead.  A vfork child shares its parent's memory and file and must touch
 * neither; a child made by clone() without fork's handlers is refused by iot_writer_close.
 */
__attribute__((noreturn)) static void iot_exit_now(int status) {
  if (iot_ready && !iot_in_vfork_child())
    iot_writer_close(0);
  for (;;)
    syscall(SYS_exit_group, status);
}

IOT_EXPORT void _exit(int status) {
  iot_exit_now(status);
}

IOT_EXPORT void _Exit(int status) {
  iot_exit_now(status);
}
