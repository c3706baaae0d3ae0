/* Raw-syscall file helpers: the shim's own I/O must not go through its own read() or close(). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

int iot_sys_write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    long n = syscall(SYS_write, fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n, len -= (size_t)n;
  }
  return 0;
}

int iot_sys_pwrite_all(int fd, const void *buf, size_t len, uint64_t off) {
  const char *p = buf;
  while (len > 0) {
    long n = syscall(SYS_pwrite64, fd, p, len, (long)off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n, len -= (size_t)n, off += (uint64_t)n;
  }
  return 0;
}

size_t iot_sys_read_file(const char *path, char *buf, size_t cap) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  size_t got = 0;
  while (got < cap) {
    long n = syscall(SYS_read, fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  syscall(SYS_close, fd);
  return got;
}

uint64_t iot_sys_proc_start_ticks(void) {
  char buf[1024];
  size_t n = iot_sys_read_file("/proc/self/stat", buf, sizeof buf - 1);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
  if (!p)
    return 0;
  for (int field = 2; *p && field < 22; p++)
    if (*p == ' ')
      field++;
  return strtoull(p, NULL, 10);
}
