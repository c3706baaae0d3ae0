/* Reads the kernel's own list of an epoll set from /proc/self/fdinfo, for sets the shim cannot
 * follow by itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtab.h"
#include "iot_shim.h"

/* Counts the "tfd:" lines: one per registration. */
long iot_count_fdinfo(int epfd) {
  if (iot_sandboxed)
    return -1; /* opening /proc is a call the program did not ask for: the size stays unknown */
  char path[64], buf[8192];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
  int saved = errno;
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    errno = saved;
    return -1;
  }
  long count = 0;
  int at_line_start = 1;
  char prev[4] = {0};
  for (;;) {
    long n = syscall(SYS_read, fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    for (long i = 0; i < n; i++) {
      char c = buf[i];
      if (at_line_start >= 1 && at_line_start <= 4) {
        prev[at_line_start - 1] = c;
        if (at_line_start == 4 && prev[0] == 't' && prev[1] == 'f' && prev[2] == 'd' && c == ':')
          count++;
        at_line_start = at_line_start == 4 ? 0 : at_line_start + 1;
      }
      if (c == '\n')
        at_line_start = 1;
    }
  }
  syscall(SYS_close, fd);
  errno = saved;
  return count;
}
