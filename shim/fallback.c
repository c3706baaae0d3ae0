/* Raw-syscall stand-ins for the real functions, used when a symbol cannot be resolved. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "real.h"
#include "fallback.h"

extern void __chk_fail(void) __attribute__((noreturn));
#define IOT_SIGSET_BYTES (_NSIG / 8)

int iot_fallback_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
  return (int)syscall(SYS_select, n, r, w, e, tv);
}
int iot_fallback_pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                         const sigset_t *ss) {
  struct timespec copy,
      *tp = NULL; /* the kernel writes the remaining time back; pselect must not */
  if (ts) {
    copy = *ts;
    tp = &copy;
  }
  struct {
    const sigset_t *ss;
    size_t len;
  } data = {ss, IOT_SIGSET_BYTES};
  return (int)syscall(SYS_pselect6, n, r, w, e, tp, &data);
}
int iot_fallback_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                       const sigset_t *ss) {
  struct timespec copy, *tp = NULL;
  if (ts) {
    copy = *ts;
    tp = &copy;
  }
  return (int)syscall(SYS_ppoll, fds, n, tp, ss, IOT_SIGSET_BYTES);
}
int iot_fallback_poll(struct pollfd *fds, nfds_t n, int timeout) {
  struct timespec ts = {timeout / 1000, (timeout % 1000) * 1000000L};
  return iot_fallback_ppoll(fds, n, timeout < 0 ? NULL : &ts, NULL);
}
int iot_fallback___poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen) {
  if (fdslen / sizeof(*fds) < n)
    __chk_fail();
  return IOT_REAL(poll)(fds, n, timeout);
}
int iot_fallback___ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                             const sigset_t *ss, size_t fdslen) {
  if (fdslen / sizeof(*fds) < n)
    __chk_fail();
  return IOT_REAL(ppoll)(fds, n, ts, ss);
}
int iot_fallback_epoll_create1(int flags) {
  return (int)syscall(SYS_epoll_create1, flags);
}
int iot_fallback_epoll_create(int size) {
  if (size <= 0) {
    errno = EINVAL;
    return -1;
  }
  return iot_fallback_epoll_create1(0);
}
int iot_fallback_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
  return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}
int iot_fallback_epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
                             const sigset_t *ss) {
  return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, ss, IOT_SIGSET_BYTES);
}
int iot_fallback_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout) {
  return iot_fallback_epoll_pwait(epfd, ev, max, timeout, NULL);
}
int iot_fallback_epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *ts,
                              const sigset_t *ss) {
  return (int)syscall(SYS_epoll_pwait2, epfd, ev, max, ts, ss, IOT_SIGSET_BYTES);
}
/* With _GNU_SOURCE the address arguments are transparent unions (__SOCKADDR_ARG). */
ssize_t iot_fallback_recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG addr,
                              socklen_t *alen) {
  return syscall(SYS_recvfrom, fd, buf, len, flags, addr.__sockaddr__, alen);
}
ssize_t iot_fallback_recv(int fd, void *buf, size_t len, int flags) {
  return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
}
ssize_t iot_fallback_recvmsg(int fd, struct msghdr *msg, int flags) {
  return syscall(SYS_recvmsg, fd, msg, flags);
}
int iot_fallback_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags, struct timespec *ts) {
  return (int)syscall(SYS_recvmmsg, fd, v, n, flags, ts);
}
ssize_t iot_fallback___recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags) {
  if (n > buflen)
    __chk_fail();
  return IOT_REAL(recv)(fd, buf, n, flags);
}
ssize_t iot_fallback___recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                    __SOCKADDR_ARG addr, socklen_t *alen) {
  if (n > buflen)
    __chk_fail();
  return IOT_REAL(recvfrom)(fd, buf, n, flags, addr, alen);
}
ssize_t iot_fallback_read(int fd, void *buf, size_t n) {
  return syscall(SYS_read, fd, buf, n);
}
ssize_t iot_fallback_readv(int fd, const struct iovec *iov, int n) {
  return syscall(SYS_readv, fd, iov, n);
}
ssize_t iot_fallback___read_chk(int fd, void *buf, size_t n, size_t buflen) {
  if (n > buflen)
    __chk_fail();
  return IOT_REAL(read)(fd, buf, n);
}
int iot_fallback_accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen, int flags) {
  return (int)syscall(SYS_accept4, fd, addr.__sockaddr__, alen, flags);
}
int iot_fallback_accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen) {
  return (int)syscall(SYS_accept4, fd, addr.__sockaddr__, alen, 0);
}
int iot_fallback_close(int fd) {
  return (int)syscall(SYS_close, fd);
}
int iot_fallback_dup(int fd) {
  return (int)syscall(SYS_dup, fd);
}
int iot_fallback_dup3(int fd, int fd2, int flags) {
  return (int)syscall(SYS_dup3, fd, fd2, flags);
}
int iot_fallback_dup2(int fd, int fd2) {
  if (fd == fd2) /* dup3 refuses equal fds; dup2 checks validity and returns fd */
    return (int)syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : fd;
  return iot_fallback_dup3(fd, fd2, 0);
}
int iot_fallback_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long); /* every fcntl argument fits in a long */
  va_end(ap);
  return (int)syscall(SYS_fcntl, fd, cmd, arg);
}
int iot_fallback_fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return (int)syscall(SYS_fcntl, fd, cmd, arg);
}
int iot_fallback_socket(int domain, int type, int proto) {
  return (int)syscall(SYS_socket, domain, type, proto);
}
int iot_fallback_socketpair(int domain, int type, int proto, int sv[2]) {
  return (int)syscall(SYS_socketpair, domain, type, proto, sv);
}
int iot_fallback_pipe2(int fds[2], int flags) {
  return (int)syscall(SYS_pipe2, fds, flags);
}
int iot_fallback_pipe(int fds[2]) {
  return iot_fallback_pipe2(fds, 0);
}
int iot_fallback_close_range(unsigned first, unsigned last, int flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}
void iot_fallback_closefrom(int lowfd) {
  iot_fallback_close_range((unsigned)lowfd, ~0u, 0);
}
int iot_fallback_execve(const char *path, char *const argv[], char *const envp[]) {
  return (int)syscall(SYS_execve, path, argv, envp);
}

/* Process-level calls have no safe raw equivalent: fail them the way an absent function would. */
static int iot_enosys(void) {
  errno = ENOSYS;
  return -1;
}
pid_t iot_fallback_fork(void) {
  return iot_enosys();
}
pid_t iot_fallback__Fork(void) {
  return iot_enosys();
}
int iot_fallback_execvpe(const char *f, char *const a[], char *const e[]) {
  (void)f, (void)a, (void)e;
  return iot_enosys();
}
int iot_fallback_fexecve(int fd, char *const a[], char *const e[]) {
  (void)fd, (void)a, (void)e;
  return iot_enosys();
}
int iot_fallback_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                             const posix_spawnattr_t *at, char *const a[], char *const e[]) {
  (void)pid, (void)path, (void)fa, (void)at, (void)a, (void)e;
  return ENOSYS; /* posix_spawn reports errors by return value */
}
int iot_fallback_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                              const posix_spawnattr_t *at, char *const a[], char *const e[]) {
  return iot_fallback_posix_spawn(pid, file, fa, at, a, e);
}
