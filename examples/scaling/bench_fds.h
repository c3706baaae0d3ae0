/* bench_fds.h: fd pairs, the open-file limit and CPU time for the scaling benchmarks. */
#ifndef EXAMPLES_SCALING_BENCH_FDS_H
#define EXAMPLES_SCALING_BENCH_FDS_H

/* n watched fds: rd[i] is watched, fd_pairs_signal makes it readable and fd_pairs_drain reads
 * what that put there. For an eventfd, rd[i] == wr[i]. */
struct fd_pairs {
  int n;
  int eventfd; /* 8-byte counter writes instead of one byte */
  int *rd;
  int *wr;
};

/* Raises the soft RLIMIT_NOFILE (and the hard one, when allowed) so that the fds fit, then opens
 * n pipes ("pipe"), AF_UNIX stream socketpairs ("socketpair") or eventfds ("eventfd": one fd
 * each, for when two per watched fd would not fit; semaphore mode, so that each read takes one
 * signal and two signals are two reads, as two bytes in a pipe are). Returns 0, or -1 with a
 * message on stderr. */
int fd_pairs_open(struct fd_pairs *p, const char *kind, int n);
void fd_pairs_close(struct fd_pairs *p);

/* The fds fd_pairs_open would need for n of this kind. */
long fd_pairs_needed(const char *kind, int n);

/* Both return 0, or -1 with errno set. */
int fd_pairs_signal(const struct fd_pairs *p, int i);
int fd_pairs_drain(const struct fd_pairs *p, int i);

/* User and system CPU time of this process so far, in seconds. */
void cpu_seconds(double *user, double *sys);

/* Monotonic wall-clock time in seconds. */
double wall_seconds(void);

#endif
