/* accept and accept4: the connection waited for, and the new fd it gives. */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "iot_shim.h"
#include "real.h"

/*
 * A failed accept releases the file it had prepared for the connection; that
 * release runs as task work on the way back to user space, which also clears
 * the rseq marker although the thread never slept.  An accept that returns
 * EAGAIN can only have waited for an SO_RCVTIMEO timeout, which lasts at least
 * a jiffy: shorter ones did not block.
 */
#define IOT_MIN_TIMEOUT_NS 1000000u
static void iot_accept_end(struct iot_span *c, int ret, int err) {
  iot_end(c);
  if (ret < 0 && (err == EAGAIN || err == EWOULDBLOCK) &&
      iot_stamp_dur_ns(c->t0, c->t1) < IOT_MIN_TIMEOUT_NS && c->blocked > 0)
    c->blocked = 0;
}

/* A connection taken: the new fd is a socket whose reads are traced. */
static int iot_accepted(struct iot_span *c, int call, int fd, int ret) {
  int err = errno;
  if (c->on)
    iot_accept_end(c, ret, err);
  if (ret >= 0)
    iot_fd_created(ret, IOT_FD_SOCKET);
  if (c->on)
    iot_record(c, call, fd, ret, err, 0, 0, 0);
  errno = err;
  return ret;
}

IOT_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen) {
  struct iot_span c;
  iot_begin(&c);
  int ret = IOT_REAL(accept)(fd, addr, alen);
  return iot_accepted(&c, IOT_CALL_ACCEPT, fd, ret);
}

IOT_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen, int flags) {
  struct iot_span c;
  iot_begin(&c);
  int ret = IOT_REAL(accept4)(fd, addr, alen, flags);
  return iot_accepted(&c, IOT_CALL_ACCEPT4, fd, ret);
}
