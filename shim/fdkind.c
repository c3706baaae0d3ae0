/* What each fd number is (socket, pipe, other, epoll): a lock-free cache, asked of the kernel once
 * per fd and forgotten when the number may have changed hands. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtab.h"
#include "iot_shim.h"

static int iot_kind_of_mode(mode_t m) {
  return S_ISSOCK(m) ? IOT_FD_SOCKET : S_ISFIFO(m) ? IOT_FD_PIPE : IOT_FD_OTHER;
}

int iot_fd_kind(int fd) {
  if (fd < 0)
    return IOT_FD_UNKNOWN;
  if ((unsigned)fd < iot_fds_cap) {
    uint8_t k = __atomic_load_n(&iot_fds[fd].kind, __ATOMIC_RELAXED);
    if (IOT_LIKELY(k != IOT_FD_UNKNOWN))
      return k;
  }
  if (iot_sandboxed)
    return IOT_FD_UNASKED; /* fstat is a call the program did not ask for */
  struct stat st;
  int saved = errno;
  long r = syscall(SYS_fstat, fd, &st); /* once per fd: the answer is kept below */
  errno = saved;
  if (r != 0)
    return IOT_FD_UNKNOWN;
  int k = iot_kind_of_mode(st.st_mode);
  if ((unsigned)fd < iot_fds_cap) {
    uint8_t expect = IOT_FD_UNKNOWN;
    __atomic_compare_exchange_n(&iot_fds[fd].kind, &expect, (uint8_t)k, 0, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
  }
  return k;
}

/* A number libc may have closed and reused where the shim could not see: if the table still
 * holds something for it, it is stale.  Lock-free when the entry is already empty, which it is
 * whenever the program closed the number through close(). */
void iot_fd_reused(int fd) {
  if (fd < 0 || (unsigned)fd >= iot_fds_cap || iot_in_vfork_child())
    return;
  if (!__atomic_load_n(&iot_fds[fd].kind, __ATOMIC_RELAXED) &&
      !__atomic_load_n(&iot_fds[fd].ofd, __ATOMIC_RELAXED))
    return;
  int err = errno;
  iot_fd_closed(fd);
  errno = err;
}
