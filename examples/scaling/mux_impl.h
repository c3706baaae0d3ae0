/* mux_impl.h: what each multiplexing backend provides to mux.c. */
#ifndef EXAMPLES_SCALING_MUX_IMPL_H
#define EXAMPLES_SCALING_MUX_IMPL_H

struct mux_ops {
  const char *name;
  void *(*open)(const int *fds, int n);
  int (*wait)(void *state, int *ready, int max, int timeout_ms);
  void (*close)(void *state);
};

extern const struct mux_ops mux_select_ops, mux_poll_ops, mux_epoll_ops;

#endif
