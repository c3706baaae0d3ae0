/* close, dup*, fcntl, socket, pipe and friends: followed only to keep the fd table true. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iot_shim.h"
#include "real.h"

/* The program closing the shim's trace fd (a daemon closing everything) gets the success it
 * expects; the fd stays the shim's. */
IOT_EXPORT int close(int fd) {
  if (IOT_UNLIKELY(iot_is_own_fd(fd)) && !iot_in_vfork_child())
    return 0;
  int ret = IOT_REAL(close)(fd);
  if (!(ret < 0 && errno == EBADF) && !iot_in_vfork_child()) {
    int err = errno;
    iot_fd_closed(fd); /* Linux releases the fd even when close reports EINTR */
    errno = err;
  }
  return ret;
}

static int iot_dup_done(int oldfd, int ret) {
  if (ret >= 0 && !iot_in_vfork_child()) {
    int err = errno;
    iot_fd_dup(oldfd, ret);
    errno = err;
  }
  return ret;
}

IOT_EXPORT int dup(int fd) {
  return iot_dup_done(fd, IOT_REAL(dup)(fd));
}

IOT_EXPORT int dup2(int fd, int fd2) {
  if (IOT_UNLIKELY(iot_is_own_fd(fd2)) && fd != fd2 && !iot_in_vfork_child())
    iot_move_own_fd_away(fd2);
  return iot_dup_done(fd, IOT_REAL(dup2)(fd, fd2));
}

IOT_EXPORT int dup3(int fd, int fd2, int flags) {
  if (IOT_UNLIKELY(iot_is_own_fd(fd2)) && fd != fd2 && !iot_in_vfork_child())
    iot_move_own_fd_away(fd2);
  return iot_dup_done(fd, IOT_REAL(dup3)(fd, fd2, flags));
}

/* Every fcntl argument is an int, a pointer or absent: passing it on as a pointer is exact on
 * the ABIs this builds for. */
static int iot_fcntl_done(int fd, int cmd, int ret) {
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
    return iot_dup_done(fd, ret);
  return ret;
}

IOT_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return iot_fcntl_done(fd, cmd, IOT_REAL(fcntl)(fd, cmd, arg));
}

IOT_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return iot_fcntl_done(fd, cmd, IOT_REAL(fcntl64)(fd, cmd, arg));
}

/* An fd made during a call-site walk is libunwind's (the pipe it validates memory through), not
 * the program's: its reads are never traced. */
static void iot_created(int fd, int kind) {
  if (!iot_in_vfork_child()) {
    int err = errno;
    iot_fd_created(fd, iot_self.walking ? IOT_FD_OTHER : kind);
    errno = err;
  }
}

IOT_EXPORT int socket(int domain, int type, int proto) {
  int ret = IOT_REAL(socket)(domain, type, proto);
  if (ret >= 0)
    iot_created(ret, IOT_FD_SOCKET);
  return ret;
}

IOT_EXPORT int socketpair(int domain, int type, int proto, int sv[2]) {
  int ret = IOT_REAL(socketpair)(domain, type, proto, sv);
  if (ret == 0)
    iot_created(sv[0], IOT_FD_SOCKET), iot_created(sv[1], IOT_FD_SOCKET);
  return ret;
}

IOT_EXPORT int pipe(int fds[2]) {
  int ret = IOT_REAL(pipe)(fds);
  if (ret == 0)
    iot_created(fds[0], IOT_FD_PIPE), iot_created(fds[1], IOT_FD_PIPE);
  return ret;
}

IOT_EXPORT int pipe2(int fds[2], int flags) {
  int ret = IOT_REAL(pipe2)(fds, flags);
  if (ret == 0)
    iot_created(fds[0], IOT_FD_PIPE), iot_created(fds[1], IOT_FD_PIPE);
  return ret;
}

/* Closes [first, last] except the shim's own fd, in at most two real calls. */
IOT_EXPORT int close_range(unsigned first, unsigned last, int flags) {
  int own = iot_trace_fd, ret;
  if (own >= 0 && (unsigned)own >= first && (unsigned)own <= last &&
      !(flags & CLOSE_RANGE_CLOEXEC) && !iot_in_vfork_child()) {
    ret = 0;
    if ((unsigned)own > first)
      ret = IOT_REAL(close_range)(first, (unsigned)own - 1, flags);
    if (ret == 0 && (unsigned)own < last)
      ret = IOT_REAL(close_range)((unsigned)own + 1, last, flags);
  } else {
    ret = IOT_REAL(close_range)(first, last, flags);
  }
  if (ret == 0 && !(flags & CLOSE_RANGE_CLOEXEC) && !iot_in_vfork_child())
    iot_fd_closed_range(first, last);
  return ret;
}

IOT_EXPORT void closefrom(int lowfd) {
  int err = errno;
  if (lowfd < 0)
    lowfd = 0;
  if (close_range((unsigned)lowfd, ~0u, 0) != 0)
    IOT_REAL(closefrom)(lowfd); /* no close_range in this kernel: glibc closes one by one */
  errno = err;
}
