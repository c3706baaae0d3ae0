/* read and readv, recorded only on sockets and pipes: file reads are not IO-model events. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "iot_shim.h"
#include "real.h"

struct iot_read_args {
  int fd;
  void *buf;
  size_t len, buflen;
  const struct iovec *iov;
  int iovcnt;
  int chk;
};

static ssize_t iot_do_read(void *p) {
  struct iot_read_args *a = p;
  return a->chk ? IOT_REAL(__read_chk)(a->fd, a->buf, a->len, a->buflen)
                : IOT_REAL(read)(a->fd, a->buf, a->len);
}
static ssize_t iot_do_readv(void *p) {
  struct iot_read_args *a = p;
  return IOT_REAL(readv)(a->fd, a->iov, a->iovcnt);
}

static int iot_is_traced_kind(int kind) {
  return kind == IOT_FD_SOCKET || kind == IOT_FD_PIPE;
}

/* The kind lookup comes first so that a file read pays nothing more than it.  In a sandbox an
 * fd never seen before cannot be classified: its read is counted as dropped. */
static int iot_read_traced(int fd) {
  if (!IOT_LIKELY(iot_tracing))
    return IOT_FD_UNKNOWN;
  int kind = iot_fd_kind(fd);
  if (IOT_UNLIKELY(kind == IOT_FD_UNASKED) && !iot_in_vfork_child())
    iot_count_drop();
  return iot_is_traced_kind(kind) ? kind : 0;
}

/* A split that fell back (the fd was no socket after all) reads as one call: recorded only if
 * the fd, asked again, is a socket or a pipe. */
static ssize_t iot_read_split(struct iot_span *c, int fd, size_t len, iot_copy_fn fn, void *a) {
  ssize_t ret = iot_split(c, fd, 0, len, fn, a);
  if (!(c->flags & IOT_EF_HAS_PHASES)) {
    int err = errno;
    c->on = iot_is_traced_kind(iot_fd_kind(fd));
    if (!c->on)
      iot_call_settled(c); /* a file read: not a call the trace owes anything */
    errno = err;
  }
  return ret;
}

static ssize_t iot_read_common(int call, int kind, struct iot_read_args *a, iot_copy_fn fn,
                               uint32_t aux) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return fn(a);
  /* only a socket can be peeked at; a pipe is read in one phase */
  ssize_t ret = kind == IOT_FD_SOCKET && iot_split_wanted(a->len, 0)
                    ? iot_read_split(&c, a->fd, a->len, fn, a)
                    : fn(a);
  if (c.on)
    iot_finish(&c, call, a->fd, ret, a->len, aux, 0);
  return ret;
}

IOT_EXPORT ssize_t read(int fd, void *buf, size_t len) {
  struct iot_read_args a = {.fd = fd, .buf = buf, .len = len};
  int kind = iot_read_traced(fd);
  if (!kind)
    return iot_do_read(&a);
  return iot_read_common(IOT_CALL_READ, kind, &a, iot_do_read, 0);
}

IOT_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen) {
  struct iot_read_args a = {.fd = fd, .buf = buf, .len = len, .buflen = buflen, .chk = 1};
  int kind = iot_read_traced(fd);
  if (!kind)
    return iot_do_read(&a);
  return iot_read_common(IOT_CALL_READ, kind, &a, iot_do_read, 0);
}

IOT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
  struct iot_read_args a = {.fd = fd, .iov = iov, .iovcnt = iovcnt};
  int kind = iot_read_traced(fd);
  if (!kind)
    return iot_do_readv(&a);
  /* a bad iov pointer gets EFAULT from the kernel: it is summed after a read that worked, and
   * before one (to decide on splitting) only where it can be read */
  if (kind == IOT_FD_SOCKET && iot_config.split && iovcnt > 0 && iovcnt <= 1024 &&
      iot_readable(iov, (size_t)iovcnt * sizeof *iov))
    a.len = iot_iov_bytes(iov, (size_t)iovcnt);
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return iot_do_readv(&a);
  ssize_t ret = kind == IOT_FD_SOCKET && iot_split_wanted(a.len, 0)
                    ? iot_read_split(&c, fd, a.len, iot_do_readv, &a)
                    : iot_do_readv(&a);
  if (!c.on)
    return ret;
  int err = errno;
  iot_end(&c);
  if (ret >= 0 && !a.len) {
    iot_ptr_ok(iov);
    a.len = iot_iov_bytes(iov, (size_t)iovcnt);
  }
  iot_record(&c, IOT_CALL_READV, fd, ret, err, a.len, ret >= 0 ? (uint32_t)iovcnt : 0, 0);
  errno = err;
  return ret;
}
