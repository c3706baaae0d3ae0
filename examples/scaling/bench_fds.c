/* bench_fds.c: fd pairs, the open-file limit and CPU time for the scaling benchmarks. */
#include "bench_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int raise_nofile(rlim_t want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
    return -1;
  if (rl.rlim_cur >= want)
    return 0;
  if (rl.rlim_max < want) {
    /* Only a privileged process may raise the hard limit; otherwise stop at it. */
    struct rlimit both = {want, want};
    if (setrlimit(RLIMIT_NOFILE, &both) == 0)
      return 0;
  }
  rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    fprintf(stderr, "need %llu open files, RLIMIT_NOFILE allows %llu\n", (unsigned long long)want,
            (unsigned long long)rl.rlim_cur);
    return -1;
  }
  return 0;
}

long fd_pairs_needed(const char *kind, int n) {
  /* stdio, the epoll fd and a few spare */
  return (strcmp(kind, "eventfd") == 0 ? 1L : 2L) * n + 8;
}

int fd_pairs_open(struct fd_pairs *p, const char *kind, int n) {
  int sockets = strcmp(kind, "socketpair") == 0;
  p->eventfd = strcmp(kind, "eventfd") == 0;
  if (!sockets && !p->eventfd && strcmp(kind, "pipe") != 0) {
    fprintf(stderr, "unknown fd kind '%s' (pipe, socketpair or eventfd)\n", kind);
    return -1;
  }
  if (raise_nofile((rlim_t)fd_pairs_needed(kind, n)) < 0)
    return -1;
  p->n = 0;
  p->rd = calloc((size_t)n, sizeof(int));
  p->wr = calloc((size_t)n, sizeof(int));
  if (!p->rd || !p->wr) {
    fprintf(stderr, "out of memory for %d fd pairs\n", n);
    fd_pairs_close(p);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    int fds[2], r;
    if (p->eventfd)
      r = fds[0] = fds[1] = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    else if (sockets)
      r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
    else
      r = pipe2(fds, O_NONBLOCK | O_CLOEXEC);
    if (r < 0) {
      fprintf(stderr, "%s %d of %d: %s\n", kind, i + 1, n, strerror(errno));
      fd_pairs_close(p);
      return -1;
    }
    p->rd[i] = fds[0];
    p->wr[i] = fds[1];
    p->n = i + 1;
  }
  return 0;
}

void fd_pairs_close(struct fd_pairs *p) {
  for (int i = 0; i < p->n; i++) {
    close(p->rd[i]);
    if (p->wr[i] != p->rd[i])
      close(p->wr[i]);
  }
  free(p->rd);
  free(p->wr);
  p->rd = p->wr = NULL;
  p->n = 0;
}

int fd_pairs_signal(const struct fd_pairs *p, int i) {
  uint64_t one = 1;
  size_t len = p->eventfd ? sizeof one : 1;
  return write(p->wr[i], &one, len) == (ssize_t)len ? 0 : -1;
}

int fd_pairs_drain(const struct fd_pairs *p, int i) {
  uint64_t got;
  size_t len = p->eventfd ? sizeof got : 1;
  return read(p->rd[i], &got, len) == (ssize_t)len ? 0 : -1;
}

void cpu_seconds(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

double wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
