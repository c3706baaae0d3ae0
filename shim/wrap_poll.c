/* poll and ppoll (and their fortified twins): nfds pollfds copied in, every revents copied back. */
#define _GNU_SOURCE
#include <poll.h>

#include "iot_shim.h"
#include "real.h"

/* pollfds with fd >= 0, counted after the call: the kernel has just shown the array is readable. */
static uint32_t iot_watched(const struct pollfd *fds, nfds_t n, int ret, int err) {
  if (ret < 0 && (err == EFAULT || err == EINVAL))
    return 0;
  uint32_t count = 0;
  for (nfds_t i = 0; i < n; i++)
    count += fds[i].fd >= 0;
  return count;
}

static void iot_poll_done(struct iot_span *c, int call, struct pollfd *fds, nfds_t n, int ret) {
  int err = errno;
  iot_end(c);
  iot_record(c, call, -1, ret, err, n, iot_watched(fds, n, ret, err), 0);
  errno = err;
}

IOT_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(poll)(fds, n, timeout);
  int ret = IOT_REAL(poll)(fds, n, timeout);
  iot_poll_done(&c, IOT_CALL_POLL, fds, n, ret);
  return ret;
}

IOT_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(__poll_chk)(fds, n, timeout, fdslen);
  int ret = IOT_REAL(__poll_chk)(fds, n, timeout, fdslen);
  iot_poll_done(&c, IOT_CALL_POLL, fds, n, ret);
  return ret;
}

IOT_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *ss) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(ppoll)(fds, n, ts, ss);
  int ret = IOT_REAL(ppoll)(fds, n, ts, ss);
  iot_poll_done(&c, IOT_CALL_PPOLL, fds, n, ret);
  return ret;
}

IOT_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                           const sigset_t *ss, size_t fdslen) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(__ppoll_chk)(fds, n, ts, ss, fdslen);
  int ret = IOT_REAL(__ppoll_chk)(fds, n, ts, ss, fdslen);
  iot_poll_done(&c, IOT_CALL_PPOLL, fds, n, ret);
  return ret;
}
