/* The recv family (and fortified twins): bytes asked for, bytes copied to the program. */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "iot_shim.h"
#include "real.h"

struct iot_recv_args {
  int fd;
  void *buf;
  size_t len, buflen;
  int flags;
  __SOCKADDR_ARG addr;
  socklen_t *alen;
  struct msghdr *msg;
  int chk;
};

static ssize_t iot_do_recv(void *p) {
  struct iot_recv_args *a = p;
  return a->chk ? IOT_REAL(__recv_chk)(a->fd, a->buf, a->len, a->buflen, a->flags)
                : IOT_REAL(recv)(a->fd, a->buf, a->len, a->flags);
}
static ssize_t iot_do_recvfrom(void *p) {
  struct iot_recv_args *a = p;
  return a->chk ? IOT_REAL(__recvfrom_chk)(a->fd, a->buf, a->len, a->buflen, a->flags, a->addr,
                                           a->alen)
                : IOT_REAL(recvfrom)(a->fd, a->buf, a->len, a->flags, a->addr, a->alen);
}
static ssize_t iot_do_recvmsg(void *p) {
  struct iot_recv_args *a = p;
  return IOT_REAL(recvmsg)(a->fd, a->msg, a->flags);
}

static ssize_t iot_recv_common(int call, struct iot_recv_args *a, iot_copy_fn fn) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return fn(a);
  ssize_t ret =
      iot_split_wanted(a->len, a->flags) ? iot_split(&c, a->fd, a->flags, a->len, fn, a) : fn(a);
  iot_finish(&c, call, a->fd, ret, a->len, 0, 0);
  return ret;
}

IOT_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags) {
  struct iot_recv_args a = {.fd = fd, .buf = buf, .len = len, .flags = flags};
  return iot_recv_common(IOT_CALL_RECV, &a, iot_do_recv);
}

IOT_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags) {
  struct iot_recv_args a = {
      .fd = fd, .buf = buf, .len = len, .buflen = buflen, .flags = flags, .chk = 1};
  return iot_recv_common(IOT_CALL_RECV, &a, iot_do_recv);
}

IOT_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG addr,
                            socklen_t *alen) {
  struct iot_recv_args a = {
      .fd = fd, .buf = buf, .len = len, .flags = flags, .addr = addr, .alen = alen};
  return iot_recv_common(IOT_CALL_RECVFROM, &a, iot_do_recvfrom);
}

IOT_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                                  __SOCKADDR_ARG addr, socklen_t *alen) {
  struct iot_recv_args a = {.fd = fd,
                            .buf = buf,
                            .len = len,
                            .buflen = buflen,
                            .flags = flags,
                            .addr = addr,
                            .alen = alen,
                            .chk = 1};
  return iot_recv_common(IOT_CALL_RECVFROM, &a, iot_do_recvfrom);
}

void iot_each_passed_fd(const struct msghdr *msg, void (*note)(int fd)) {
  if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
    return;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
      continue;
    size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int *fds = (const int *)CMSG_DATA(cm);
    for (size_t i = 0; i < n; i++)
      note(fds[i]);
  }
}

/* fds passed with SCM_RIGHTS are new to this process: forget what their numbers were. */
static void iot_note_passed_fds(struct msghdr *msg) {
  iot_each_passed_fd(msg, iot_fd_closed);
}

IOT_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on) {
    ssize_t r = IOT_REAL(recvmsg)(fd, msg, flags);
    if (r >= 0) {
      int err = errno;
      iot_note_passed_fds(msg);
      errno = err;
    }
    return r;
  }
  struct iot_recv_args a = {.fd = fd, .msg = msg, .flags = flags};
  ssize_t ret;
  size_t asked = 0;
  if (IOT_UNLIKELY(iot_config.split) && iot_readable(msg, sizeof *msg) &&
      iot_readable(msg->msg_iov, msg->msg_iovlen * sizeof(struct iovec)) &&
      (asked = iot_iov_bytes(msg->msg_iov, msg->msg_iovlen)))
    ret = iot_split_wanted(asked, flags) ? iot_split(&c, fd, flags, asked, iot_do_recvmsg, &a)
                                         : iot_do_recvmsg(&a);
  else
    ret = iot_do_recvmsg(&a);
  int err = errno;
  iot_end(&c);
  size_t iovlen = 0;
  if (ret >= 0) { /* the kernel read the header: it is valid memory */
    iot_ptr_ok(msg), iot_ptr_ok(msg->msg_iov);
    asked = iot_iov_bytes(msg->msg_iov, msg->msg_iovlen);
    iovlen = msg->msg_iovlen;
    iot_note_passed_fds(msg);
  }
  iot_record(&c, IOT_CALL_RECVMSG, fd, ret, err, asked, iovlen, 0);
  errno = err;
  return ret;
}

IOT_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
                        struct timespec *timeout) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
  int ret = IOT_REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
  int err = errno;
  iot_end(&c);
  uint64_t bytes = 0;
  for (int i = 0; i < ret; i++) {
    bytes += vec[i].msg_len;
    iot_note_passed_fds(&vec[i].msg_hdr);
  }
  iot_record(&c, IOT_CALL_RECVMMSG, fd, ret, err, vlen, bytes, 0);
  errno = err;
  return ret;
}
