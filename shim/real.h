/* The real libc functions the shim forwards to, resolved once, with raw-syscall fallbacks. */
#ifndef IOT_REAL_H
#define IOT_REAL_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The fortified entry points are declared only under _FORTIFY_SOURCE; declare them here. */
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *ss,
                size_t fdslen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, __SOCKADDR_ARG addr,
                       socklen_t *addrlen);
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
int fcntl64(int fd, int cmd, ...);

/* Every symbol the shim forwards to: X(name). */
#define IOT_REAL_SYMBOLS(X)                                                                        \
  X(select)                                                                                        \
  X(pselect)                                                                                       \
  X(poll)                                                                                          \
  X(ppoll) X(__poll_chk) X(__ppoll_chk) X(epoll_create) X(epoll_create1) X(epoll_ctl)              \
      X(epoll_wait) X(epoll_pwait) X(epoll_pwait2) X(recv) X(recvfrom) X(recvmsg) X(recvmmsg)      \
          X(__recv_chk) X(__recvfrom_chk) X(read) X(readv) X(__read_chk) X(accept) X(accept4)      \
              X(close) X(dup) X(dup2) X(dup3) X(fcntl) X(fcntl64) X(socket) X(socketpair) X(pipe)  \
                  X(pipe2) X(close_range) X(closefrom) X(fork) X(_Fork) X(execve) X(execvpe)       \
                      X(fexecve) X(posix_spawn) X(posix_spawnp)

#define IOT_REAL_DECLARE(name) extern __typeof__(name) *iot_real_##name;
IOT_REAL_SYMBOLS(IOT_REAL_DECLARE)
#undef IOT_REAL_DECLARE

/* Looks NAME up in the libraries after this one; the raw-syscall fallback if that fails. */
#define IOT_RESOLVE_DECLARE(name) __typeof__(name) *iot_resolve_##name(void);
IOT_REAL_SYMBOLS(IOT_RESOLVE_DECLARE)
#undef IOT_RESOLVE_DECLARE

#undef IOT_REAL
#define IOT_REAL(name)                                                                             \
  (IOT_LIKELY(iot_real_##name != NULL) ? iot_real_##name : iot_resolve_##name())

extern void (*iot_real_vfork)(void);

#endif
