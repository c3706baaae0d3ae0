/* Seccomp: notices a filter going on (prctl, seccomp, syscall) and readies the shim for it first.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "writer.h"

/*
 * A filter forbids what the program did not need; the shim's own system calls (fallocate, mmap,
 * prctl, fstat...) would kill it with SIGSYS.  So before the filter goes on, the writer takes a
 * reserve of file, allocated and mapped, and iot_sandboxed tells every slow path to do without
 * system calls from then on.  A filter once on never comes off, and is inherited by children.
 */
static void iot_sandbox_before(void) {
  if (iot_sandboxed || iot_in_vfork_child())
    return;
  int saved = errno;
  if (iot_ready)
    iot_space_sandbox();
  __atomic_store_n(&iot_sandboxed, 1, __ATOMIC_SEQ_CST);
  errno = saved;
}

#if defined(__x86_64__)
/* The kernel's own calling convention, so that syscall() needs no symbol looked up. */
static long iot_raw_syscall(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  if (ret < 0 && ret > -4096) {
    errno = (int)-ret;
    return -1;
  }
  return ret;
}
#else
static long iot_raw_syscall(long n, long a, long b, long c, long d, long e, long f) {
  static long (*real)(long, ...);
  if (!real)
    real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  return real(n, a, b, c, d, e, f);
}
#endif

/*
 * syscall(SYS_clone, flags, NULL, ...) without CLONE_VM is a fork that runs no atfork handler, as
 * sandboxing servers make their session processes (vsftpd, with new namespaces).  The child
 * returns here on a copy of the caller's stack, so it takes a file of its own at once: later it
 * may chroot or drop privileges and could no longer create one.
 */
static long iot_clone_like_fork(long flags, long ptid, long ctid, long tls) {
  long pid = iot_raw_syscall(SYS_clone, flags, 0, ptid, ctid, tls, 0);
  if (pid == 0 && !iot_sandboxed) {
    int saved = errno;
    iot_become_new_process(1);
    errno = saved;
  }
  return pid;
}

/* Like glibc's: six arguments are passed on whatever the call takes, as the kernel ignores the
 * rest. */
IOT_EXPORT long syscall(long n, ...) {
  va_list ap;
  va_start(ap, n);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long), d = va_arg(ap, long),
       e = va_arg(ap, long), f = va_arg(ap, long);
  va_end(ap);
  if (IOT_UNLIKELY(n == SYS_seccomp) &&
      (a == SECCOMP_SET_MODE_FILTER || a == SECCOMP_SET_MODE_STRICT))
    iot_sandbox_before();
  if (IOT_UNLIKELY(n == SYS_clone) && !(a & CLONE_VM) && b == 0)
    return iot_clone_like_fork(a, c, d, e);
  return iot_raw_syscall(n, a, b, c, d, e, f);
}

IOT_EXPORT int prctl(int option, ...) {
  va_list ap;
  va_start(ap, option);
  unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long),
                c = va_arg(ap, unsigned long), d = va_arg(ap, unsigned long);
  va_end(ap);
  if (option == PR_SET_SECCOMP)
    iot_sandbox_before();
  return (int)iot_raw_syscall(SYS_prctl, option, (long)a, (long)b, (long)c, (long)d, 0);
}

/* Not in glibc 2.36, but in later ones: a program that has it gets the same preparation. */
IOT_EXPORT int seccomp(unsigned op, unsigned flags, void *args) {
  if (op == SECCOMP_SET_MODE_FILTER || op == SECCOMP_SET_MODE_STRICT)
    iot_sandbox_before();
  return (int)iot_raw_syscall(SYS_seccomp, op, flags, (long)args, 0, 0, 0);
}
