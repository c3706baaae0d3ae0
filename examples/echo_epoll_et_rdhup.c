/* echo_epoll_et_rdhup.c: edge-triggered epoll echo server that, like nginx, stops reading after
 * a short read instead of reading on until EAGAIN. With EPOLLRDHUP watched, a recv that returned
 * less than it asked for means the socket is empty: a close would have been reported. */
#include "epoll_et_loop.h"

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_EVENTS (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)

/* One readiness report: finish an unsent echo, then read while reads come back full. */
static enum echo_want serve(struct echo_conn *c, uint32_t events) {
  int flushed = 0;
  if (echo_conn_pending(c)) {
    enum echo_want want = echo_conn_flush(c);
    if (want != ECHO_WANT_READ)
      return want;
    flushed = 1; /* reading stopped while the echo was stuck: data may be waiting unannounced */
  }
  if (!(events & READ_EVENTS) && !flushed)
    return ECHO_WANT_READ; /* only room to write, and nothing to write */
  for (;;) {
    ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? ECHO_WANT_READ : ECHO_CLOSED;
    if (n == 0)
      return ECHO_CLOSED;
    c->len = (size_t)n;
    c->sent = 0;
    enum echo_want want = echo_conn_flush(c);
    if (want != ECHO_WANT_READ)
      return want;
    if ((size_t)n < sizeof c->buf && !(events & EPOLLRDHUP))
      return ECHO_WANT_READ; /* short read, no hang-up: the socket is empty, skip the EAGAIN */
  }
}

int main(int argc, char **argv) {
  return epoll_et_run(argc, argv, serve);
}
