/* The trace fd: kept at the top of the fd range, given up when the program takes its number. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "writer.h"

int iot_trace_fd = -1;

int iot_fd_to_top(int fd) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return fd;
  /* however low the limit: the program's own numbering starts at 3, and must stay there */
  long want = rl.rlim_cur > (1u << 20) ? (1 << 20) - 1 : (long)rl.rlim_cur - 1;
  for (int i = 0; i < 32 && want - i > fd; i++) {
    int hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, want - i);
    if (hi >= 0) {
      syscall(SYS_close, fd);
      return hi;
    }
  }
  return fd;
}

/* Gives the number up: from now on it is the program's, and the shim reopens its file by path when
 * it needs an fd again. */
static void iot_lose_own_fd(int fd) {
  __atomic_compare_exchange_n(&iot_trace_fd, &fd, -1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

void iot_move_own_fd_away(int fd) {
  if (fd == iot_trace_fd && fd >= 0) {
    int moved = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
    if (moved >= 0 && moved != fd) {
      iot_trace_fd = iot_fd_to_top(moved);
      /* the old number is now free for the program's dup2 to take */
      syscall(SYS_close, fd);
    } else {
      /* no fd free (or ours already gone): the program's dup2 must still happen, on its number */
      iot_lose_own_fd(fd);
    }
  }
}

static int iot_is_trace_file(int fd) {
  struct stat st;
  return syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == iot_dev &&
         st.st_ino == iot_ino;
}

/* For close(): 1 if fd is the trace fd and still the trace file, so the program's close of it is
 * to be skipped; 0 if the program should close it for real (a raw close let the number be reused,
 * or it was never ours). */
int iot_own_fd_still_ours(int fd) {
  if (fd < 0 || fd != iot_trace_fd)
    return 0;
  if (iot_sandboxed)
    return 1; /* cannot ask the kernel any more: keep the number, as before the sandbox */
  int saved = errno, ours = iot_is_trace_file(fd);
  errno = saved;
  if (!ours)
    iot_lose_own_fd(fd);
  return ours;
}

/* Reopens the file by path, refusing anything but the very file the shim created. */
static int iot_reopen(void) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, iot_path,
                        O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (!iot_is_trace_file(fd)) {
    syscall(SYS_close, fd);
    return -1;
  }
  fd = iot_fd_to_top(fd);
  int none = -1;
  if (!__atomic_compare_exchange_n(&iot_trace_fd, &none, fd, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_RELAXED)) {
    syscall(SYS_close, fd); /* another thread reopened it first */
    return none;
  }
  return fd;
}

int iot_own_fd(void) {
  if (iot_sandboxed)
    return -1;
  int saved = errno, fd = __atomic_load_n(&iot_trace_fd, __ATOMIC_ACQUIRE);
  if (fd >= 0 && !iot_is_trace_file(fd)) {
    iot_lose_own_fd(fd); /* the number is the program's now: never touch its file */
    fd = -1;
  }
  if (fd < 0)
    fd = iot_reopen();
  errno = saved;
  return fd;
}
