/* Blocks every signal around a short section of the shim's own work, and restores the mask. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "sigblock.h"

void iot_sigblock(struct iot_sigblock *b) {
  b->masked = 0;
  if (iot_sandboxed)
    return;
  uint64_t all = ~(uint64_t)0; /* SIGKILL and SIGSTOP stay deliverable: the kernel says so */
  int saved = errno;
  b->masked = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &b->old_mask, sizeof all) == 0;
  errno = saved;
}

void iot_sigrestore(struct iot_sigblock *b) {
  if (!b->masked)
    return;
  int saved = errno;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &b->old_mask, NULL, sizeof b->old_mask);
  errno = saved;
}
