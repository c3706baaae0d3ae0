/* epoll_et_loop.c: the edge-triggered epoll loop shared by the two ET echo servers; how one
 * readiness report is served (read to EAGAIN, or stop after a short read) is theirs. */
#include "epoll_et_loop.h"

#include "conn_table.h"
#include "server_common.h"

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 256

/* The listener too is drained until EAGAIN: a missed connection would get no second report. */
static void accept_all(int epfd, int listen_fd, struct conn_table *conns) {
  int fd;
  while ((fd = server_accept(listen_fd, 1)) >= 0) {
    struct echo_conn *c = conn_table_add(conns, fd);
    if (c == NULL)
      continue;
    /* Both directions are watched once and for all; with edges there is nothing to switch. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      perror("epoll_ctl");
      conn_table_remove(conns, fd);
    }
  }
}

int epoll_et_run(int argc, char **argv, epoll_et_serve_fn serve) {
  int listen_fd = server_start(argc, argv, 1);
  struct conn_table conns;
  conn_table_init(&conns);
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    perror("epoll_create1");
    return 1;
  }
  /* The listener's data.ptr is NULL: that is how its events are told apart. */
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
