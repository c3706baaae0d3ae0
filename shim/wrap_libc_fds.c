/* fds that libc opens, closes or sends on the program's behalf (fclose, closedir, pclose, open,
 * sendmsg with SCM_RIGHTS): followed so that a number reused behind the table's back is not taken
 * for what it was before. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"

/*
 * glibc closes a FILE's or a DIR's fd with its internal close, which no preload
 * sees: without these, the number keeps its old kind, and a regular file that
 * reuses it would be read as a socket.  Opens are followed too, for numbers
 * closed by raw system calls.  None of these is recorded, and each costs one
 * load when the table holds nothing for the number (the usual case).
 */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

#define IOT_LIBC_FD_SYMBOLS(X)                                                                     \
  X(fclose)                                                                                        \
  X(closedir) X(pclose) X(open) X(open64) X(openat) X(openat64) X(creat) X(creat64) X(__open_2)    \
      X(__open64_2) X(__openat_2) X(__openat64_2) X(sendmsg)

#define IOT_LIBC_DEFINE(name)                                                                      \
  static __typeof__(name) *iot_next_##name;                                                        \
  static __typeof__(name) *iot_get_##name(void) {                                                  \
    __typeof__(name) *f = __atomic_load_n(&iot_next_##name, __ATOMIC_ACQUIRE);                     \
    if (IOT_UNLIKELY(!f)) {                                                                        \
      f = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);                                             \
      __atomic_store_n(&iot_next_##name, f, __ATOMIC_RELEASE);                                     \
    }                                                                                              \
    return f;                                                                                      \
  }
IOT_LIBC_FD_SYMBOLS(IOT_LIBC_DEFINE)
#undef IOT_LIBC_DEFINE

/* Resolved at load, so that the async-signal-safe ones never call dlsym in a handler. */
__attribute__((constructor)) static void iot_libc_fds_resolve(void) {
  int saved = errno;
#define IOT_LIBC_RESOLVE(name) (void)iot_get_##name();
  IOT_LIBC_FD_SYMBOLS(IOT_LIBC_RESOLVE)
#undef IOT_LIBC_RESOLVE
  errno = saved;
}

/* A symbol libc does not have: the call fails as an unknown system call would. */
#define IOT_CALL_OR(name, fail, ...)                                                               \
  (iot_get_##name() ? iot_get_##name()(__VA_ARGS__) : (errno = ENOSYS, (fail)))

static void iot_closed_by_libc(int fd) {
  if (fd >= 0) {
    int err = errno;
    if (!iot_in_vfork_child())
      iot_fd_closed(fd);
    errno = err;
  }
}

static int iot_opened(int fd) {
  if (fd >= 0)
    iot_fd_reused(fd);
  return fd;
}

IOT_EXPORT int fclose(FILE *f) {
  int fd = fileno(f); /* -1 for memory streams: they have no fd */
  int ret = IOT_CALL_OR(fclose, EOF, f);
  iot_closed_by_libc(fd); /* the fd is released even when fclose reports an error */
  return ret;
}

IOT_EXPORT int closedir(DIR *d) {
  int fd = dirfd(d); /* closedir(NULL) would crash in libc first */
  int ret = IOT_CALL_OR(closedir, -1, d);
  if (ret == 0)
    iot_closed_by_libc(fd);
  return ret;
}

IOT_EXPORT int pclose(FILE *f) {
  int fd = fileno(f);
  int ret = IOT_CALL_OR(pclose, -1, f);
  if (!(ret < 0 && errno == EINVAL)) /* EINVAL: not a popen stream, nothing was closed */
    iot_closed_by_libc(fd);
  return ret;
}

/* The mode argument is there only with O_CREAT or O_TMPFILE, as open(2) says. */
#define IOT_MODE_ARG(flags)                                                                        \
  mode_t mode = 0;                                                                                 \
  if ((flags) & (O_CREAT | __O_TMPFILE)) {                                                         \
    va_list ap;                                                                                    \
    va_start(ap, flags);                                                                           \
    mode = (mode_t)va_arg(ap, int);                                                                \
    va_end(ap);                                                                                    \
  }

IOT_EXPORT int open(const char *path, int flags, ...) {
  IOT_MODE_ARG(flags)
  return iot_opened(IOT_CALL_OR(open, -1, path, flags, mode));
}
IOT_EXPORT int open64(const char *path, int flags, ...) {
  IOT_MODE_ARG(flags)
  return iot_opened(IOT_CALL_OR(open64, -1, path, flags, mode));
}
IOT_EXPORT int openat(int dirfd, const char *path, int flags, ...) {
  IOT_MODE_ARG(flags)
  return iot_opened(IOT_CALL_OR(openat, -1, dirfd, path, flags, mode));
}
IOT_EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
  IOT_MODE_ARG(flags)
  return iot_opened(IOT_CALL_OR(openat64, -1, dirfd, path, flags, mode));
}
IOT_EXPORT int creat(const char *path, mode_t mode) {
  return iot_opened(IOT_CALL_OR(creat, -1, path, mode));
}
IOT_EXPORT int creat64(const char *path, mode_t mode) {
  return iot_opened(IOT_CALL_OR(creat64, -1, path, mode));
}
IOT_EXPORT int __open_2(const char *path, int flags) {
  return iot_opened(IOT_CALL_OR(__open_2, -1, path, flags));
}
IOT_EXPORT int __open64_2(const char *path, int flags) {
  return iot_opened(IOT_CALL_OR(__open64_2, -1, path, flags));
}
IOT_EXPORT int __openat_2(int dirfd, const char *path, int flags) {
  return iot_opened(IOT_CALL_OR(__openat_2, -1, dirfd, path, flags));
}
IOT_EXPORT int __openat64_2(int dirfd, const char *path, int flags) {
  return iot_opened(IOT_CALL_OR(__openat64_2, -1, dirfd, path, flags));
}

/* fds passed out with SCM_RIGHTS: another process now holds their descriptions (an epoll set it
 * may change, a registered fd it keeps registered).  Read after the kernel accepted the header. */
IOT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  ssize_t ret = IOT_CALL_OR(sendmsg, -1, fd, msg, flags);
  if (ret < 0 || !msg->msg_control || iot_in_vfork_child())
    return ret;
  int err = errno;
  iot_each_passed_fd(msg, iot_fd_sent);
  errno = err;
  return ret;
}
