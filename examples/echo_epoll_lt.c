/* echo_epoll_lt.c: echo server waiting in epoll_wait() with level-triggered interest: one recv
 * per readiness report, since the report repeats while data remains. */
#include "conn_table.h"
#include "server_common.h"

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 256

static void watch(int epfd, int op, struct echo_conn *c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, op, c->fd, &ev) != 0)
    perror("epoll_ctl");
}

static void accept_all(int epfd, int listen_fd, struct conn_table *conns) {
  int fd;
  while ((fd = server_accept(listen_fd, 1)) >= 0) {
    struct echo_conn *c = conn_table_add(conns, fd);
    if (c != NULL)
      watch(epfd, EPOLL_CTL_ADD, c, EPOLLIN);
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
  /* The listener's data.ptr is NULL: that is how its events are told apart. */
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
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
      if (c == NULL) {
        accept_all(epfd, listen_fd, &conns);
        continue;
      }
      int was_pending = echo_conn_pending(c);
      enum echo_want want = was_pending ? echo_conn_flush(c) : echo_conn_read_once(c);
      if (want == ECHO_CLOSED)
        conn_table_remove(&conns, c->fd); /* close() also drops it from the epoll set */
      else if ((want == ECHO_WANT_WRITE) != was_pending)
        watch(epfd, EPOLL_CTL_MOD, c, want == ECHO_WANT_WRITE ? EPOLLOUT : EPOLLIN);
    }
  }
  conn_table_destroy(&conns);
  close(epfd);
  close(listen_fd);
  return 0;
}
