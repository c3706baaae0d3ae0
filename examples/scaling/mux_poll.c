/* mux_poll.c: poll on one pollfd per watched fd. */
#include "mux_impl.h"

#include <poll.h>
#include <stdlib.h>

struct pl {
  int n;
  struct pollfd *pfds;
};

static void *pl_open(const int *fds, int n) {
  struct pl *p = malloc(sizeof *p);
  if (!p)
    return NULL;
  p->n = n;
  p->pfds = calloc((size_t)n, sizeof *p->pfds);
  if (!p->pfds) {
    free(p);
    return NULL;
  }
  for (int i = 0; i < n; i++)
    p->pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
  return p;
}

static int pl_wait(void *state, int *ready, int max, int timeout_ms) {
  struct pl *p = state;
  int r = poll(p->pfds, (nfds_t)p->n, timeout_ms);
  if (r <= 0)
    return r;
  /* Like select, the answer is spread over the whole array. */
  int got = 0;
  for (int i = 0; i < p->n && got < max && got < r; i++)
    if (p->pfds[i].revents)
      ready[got++] = p->pfds[i].fd;
  return got;
}

static void pl_close(void *state) {
  struct pl *p = state;
  free(p->pfds);
  free(p);
}

const struct mux_ops mux_poll_ops = {"poll", pl_open, pl_wait, pl_close};
