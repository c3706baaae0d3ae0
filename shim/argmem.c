/* Whether the shim may read a call's argument memory before the call: only where the kernel could.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "iot_shim.h"

/*
 * A bad pointer gets EFAULT from the kernel; read by the shim it would crash the
 * program.  An address the kernel accepted from this thread before is trusted
 * (programs pass the same sets and headers again and again); a new one is
 * probed once with process_vm_readv on this process, which fails instead of
 * faulting, touching one byte of every page of the range.
 */
int iot_readable(const void *p, size_t len) {
  if (p == NULL)
    return 0;
  if (iot_ptr_seen(p))
    return 1;
  if (iot_sandboxed)
    return 0; /* probing is a call the program did not ask for: do without the measurement */
  enum { MAX_PAGES = 64 };
  uintptr_t a = (uintptr_t)p, end = a + (len ? len : 1);
  if (end < a || (end - a) / IOT_PAGE_SIZE + 2 > MAX_PAGES)
    return 0;
  char sink[MAX_PAGES];
  struct iovec local = {sink, 0}, remote[MAX_PAGES];
  int n = 0;
  for (uintptr_t at = a; at < end; at = (at & ~(uintptr_t)(IOT_PAGE_SIZE - 1)) + IOT_PAGE_SIZE) {
    remote[n].iov_base = (void *)at;
    remote[n].iov_len = 1;
    n++;
  }
  remote[n].iov_base = (void *)(end - 1);
  remote[n].iov_len = 1;
  n++;
  local.iov_len = (size_t)n;
  int saved = errno;
  pid_t pid = iot_hdr ? (pid_t)iot_hdr->pid : getpid();
  long got = syscall(SYS_process_vm_readv, pid, &local, 1, remote, n, 0);
  errno = saved;
  if (got != n)
    return 0;
  iot_ptr_ok(p);
  return 1;
}

size_t iot_iov_bytes(const struct iovec *iov, size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += iov[i].iov_len;
  return total;
}
