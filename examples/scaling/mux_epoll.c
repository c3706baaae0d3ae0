/* mux_epoll.c: a level-triggered epoll instance holding every watched fd. */
#include "mux_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 64

struct ep {
  int epfd;
  struct epoll_event events[MAX_EVENTS];
};

static void *ep_open(const int *fds, int n) {
  struct ep *e = malloc(sizeof *e);
  if (!e)
    return NULL;
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (e->epfd < 0) {
    perror("epoll_create1");
    free(e);
    return NULL;
  }
  /* The interest set is built once; each wait costs only what is ready. */
  for (int i = 0; i < n; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
    if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
      perror("epoll_ctl");
      close(e->epfd);
      free(e);
      return NULL;
    }
  }
  return e;
}

static int ep_wait(void *state, int *ready, int max, int timeout_ms) {
  struct ep *e = state;
  int r = epoll_wait(e->epfd, e->events, max < MAX_EVENTS ? max : MAX_EVENTS, timeout_ms);
  for (int i = 0; i < r; i++)
    ready[i] = e->events[i].data.fd;
  return r;
}

static void ep_close(void *state) {
  struct ep *e = state;
  close(e->epfd);
  free(e);
}

const struct mux_ops mux_epoll_ops = {"epoll", ep_open, ep_wait, ep_close};
