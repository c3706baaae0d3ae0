/* mux.h: one interface over select, poll and epoll, for the scaling benchmarks. */
#ifndef EXAMPLES_SCALING_MUX_H
#define EXAMPLES_SCALING_MUX_H

struct mux;

/* Watches fds[0..n) for reading with the named method ("select", "poll" or "epoll"). Returns
 * NULL, with a message on stderr, if the method is unknown or cannot watch these fds. */
struct mux *mux_open(const char *method, const int *fds, int n);

/* Waits up to timeout_ms for readiness and stores at most max ready fds in ready[]. Returns how
 * many it stored, 0 on timeout, -1 on error (errno set). */
int mux_wait(struct mux *m, int *ready, int max, int timeout_ms);

void mux_close(struct mux *m);

/* The method names, NULL-terminated. */
extern const char *const mux_methods[];

#endif
