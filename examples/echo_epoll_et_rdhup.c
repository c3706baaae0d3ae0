/* echo_epoll_et_rdhup.c: edge-triggered epoll echo server that, like nginx, stops reading after
 * a short read instead of reading on until EAGAIN. With EPOLLRDHUP watched, a recv that returned
 * less than it asked for means the socket is empty: a close would have been reported. */
#include "conn_table.h"
#include "server_common.h"

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define READ_EVENTS (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)

static void accept_all(int epfd, int listen_fd, struct conn_table *conns) {
  int fd;
  while ((fd = server_accept(listen_fd, 1)) >= 0) {
    struct echo_conn *c = conn_table_add(conns, fd);
    if (c == NULL)
      continue;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      perror("epoll_ctl");
      conn_table_remove(conns, fd);
    }
  }
}

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
  int listen_fd = server_start(argc, argv, 1);
  struct conn_table conns;
  conn_table_init(&conns);
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    perror("epoll_create1");
    return 1;
  }
  struct epoll_event lev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &lev);

  struct epoll_event events[MAX_EVENTS];
  while (!server_stop_requested) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      perror("epoll_wait");
      break;
    }
    for (int i = 0; i < n; i++) {
      struct echo_conn *c = events[i].data.ptr;
      if (c == NULL)
        accept_all(epfd, listen_fd, &conns);
      else if (serve(c, events[i].events) == ECHO_CLOSED)
        conn_table_remove(&conns, c->fd);
    }
  }
  conn_table_destroy(&conns);
  close(epfd);
  close(listen_fd);
  return 0;
}
