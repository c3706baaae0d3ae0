/* epoll: creation and epoll_ctl keep each interest set's size; epoll_wait copies out only ready
 * events. */
#define _GNU_SOURCE
#include <sys/epoll.h>

#include "iot_shim.h"
#include "real.h"

/* A new epoll instance: an empty interest set to follow from here on. */
static int iot_epoll_created(struct iot_span *c, int call, int ret, uint32_t arg) {
  int err = errno;
  if (c->on)
    iot_end(c);
  if (ret >= 0)
    iot_fd_created(ret, IOT_FD_EPOLL);
  if (c->on)
    iot_record(c, call, -1, ret, err, arg, 0, 0);
  errno = err;
  return ret;
}

IOT_EXPORT int epoll_create(int size) {
  struct iot_span c;
  iot_begin(&c);
  int ret = IOT_REAL(epoll_create)(size);
  return iot_epoll_created(&c, IOT_CALL_EPOLL_CREATE, ret, size < 0 ? 0 : (uint32_t)size);
}

IOT_EXPORT int epoll_create1(int flags) {
  struct iot_span c;
  iot_begin(&c);
  int ret = IOT_REAL(epoll_create1)(flags);
  return iot_epoll_created(&c, IOT_CALL_EPOLL_CREATE1, ret, (uint32_t)flags);
}

/* The triggering mode the program asked for: what tells an edge-triggered server apart. */
static uint8_t iot_ctl_flags(int op, const struct epoll_event *ev) {
  if ((op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD) || !ev)
    return 0; /* read only after the kernel accepted the call, so ev is valid memory */
  return (uint8_t)((ev->events & EPOLLET ? IOT_EF_EP_ET : 0) |
                   (ev->events & EPOLLONESHOT ? IOT_EF_EP_ONESHOT : 0) |
                   (ev->events & EPOLLEXCLUSIVE ? IOT_EF_EP_EXCLUSIVE : 0));
}

IOT_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
  struct iot_span c;
  iot_begin(&c);
  int ret = IOT_REAL(epoll_ctl)(epfd, op, fd, ev);
  int err = errno;
  if (c.on)
    iot_end(&c);
  if (ret == 0)
    iot_epoll_ctl_done(epfd, op, fd);
  if (c.on)
    iot_record(&c, IOT_CALL_EPOLL_CTL, epfd, ret, err, (uint32_t)op, (uint32_t)fd,
               ret == 0 ? iot_ctl_flags(op, ev) : 0);
  errno = err;
  return ret;
}

static void iot_wait_done(struct iot_span *c, int call, int epfd, int max, int ret) {
  int err = errno;
  iot_end(c); /* the interest lookup below is the shim's time, not the call's */
  iot_record(c, call, epfd, ret, err, max < 0 ? 0 : (uint64_t)max, iot_epoll_interest(epfd), 0);
  errno = err;
}

IOT_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(epoll_wait)(epfd, ev, max, timeout);
  int ret = IOT_REAL(epoll_wait)(epfd, ev, max, timeout);
  iot_wait_done(&c, IOT_CALL_EPOLL_WAIT, epfd, max, ret);
  return ret;
}

IOT_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
                           const sigset_t *ss) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(epoll_pwait)(epfd, ev, max, timeout, ss);
  int ret = IOT_REAL(epoll_pwait)(epfd, ev, max, timeout, ss);
  iot_wait_done(&c, IOT_CALL_EPOLL_PWAIT, epfd, max, ret);
  return ret;
}

IOT_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *ts,
                            const sigset_t *ss) {
  struct iot_span c;
  iot_begin(&c);
  if (!c.on)
    return IOT_REAL(epoll_pwait2)(epfd, ev, max, ts, ss);
  int ret = IOT_REAL(epoll_pwait2)(epfd, ev, max, ts, ss);
  iot_wait_done(&c, IOT_CALL_EPOLL_PWAIT2, epfd, max, ret);
  return ret;
}
