/* mux.c: picks a multiplexing backend by name. */
#include "mux.h"
#include "mux_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mux {
  const struct mux_ops *ops;
  void *state;
};

static const struct mux_ops *const backends[] = {&mux_select_ops, &mux_poll_ops, &mux_epoll_ops};

const char *const mux_methods[] = {"select", "poll", "epoll", NULL};

struct mux *mux_open(const char *method, const int *fds, int n) {
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
    if (strcmp(backends[i]->name, method) != 0)
      continue;
    struct mux *m = malloc(sizeof *m);
    if (!m)
      return NULL;
    m->ops = backends[i];
    m->state = m->ops->open(fds, n);
    if (!m->state) {
      free(m);
      return NULL;
    }
    return m;
  }
  fprintf(stderr, "unknown method '%s' (select, poll or epoll)\n", method);
  return NULL;
}

int mux_wait(struct mux *m, int *ready, int max, int timeout_ms) {
  return m->ops->wait(m->state, ready, max, timeout_ms);
}

void mux_close(struct mux *m) {
  m->ops->close(m->state);
  free(m);
}
