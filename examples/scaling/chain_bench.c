/* chain_bench.c: tokens passed along a ring of fd pairs, a few of them moving at a time.
 *
 * N socketpairs (or pipes) are watched; ACTIVE of them, spread evenly, start with a one-byte
 * token. Whenever a watched fd is ready its token is read and written on to the next pair in
 * the ring, until WRITES such writes have been made. Most fds stay idle, so the cost per wait
 * shows whether the method pays for the idle ones. Each run prints one JSON line with the
 * wall-clock and CPU time, the waits made and the ready fds they reported. */
#include "bench_fds.h"
#include "mux.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMEOUT_MS 10000
#define BATCH 64

static void usage(FILE *to) {
  fprintf(to, "usage: chain_bench -m select|poll|epoll -n FDS -a ACTIVE -w WRITES [-r RUNS] "
              "[-f socketpair|pipe|eventfd]\n");
}

/* One run: returns 0, or -1 with a message. */
static int run_once(struct mux *m, const struct fd_pairs *p, const int *index_of, int active,
                    long writes, long *waits, long *reported) {
  for (int t = 0; t < active; t++)
    if (fd_pairs_signal(p, (int)((long)t * p->n / active)) < 0) {
      perror("write");
      return -1;
    }
  long reads = 0, left = writes;
  *waits = *reported = 0;
  while (reads < active + writes) {
    int ready[BATCH];
    int r = mux_wait(m, ready, BATCH, TIMEOUT_MS);
    if (r <= 0) {
      fprintf(stderr, r == 0 ? "no fd ready for %d ms\n" : "wait failed\n", TIMEOUT_MS);
      return -1;
    }
    ++*waits;
    *reported += r;
    for (int j = 0; j < r; j++) {
      int i = index_of[ready[j]];
      if (fd_pairs_drain(p, i) < 0) {
        perror("read");
        return -1;
      }
      reads++;
      if (left > 0) {
        int next = i + 1 == p->n ? 0 : i + 1;
        if (fd_pairs_signal(p, next) < 0) {
          perror("write");
          return -1;
        }
        left--;
      }
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *method = NULL, *kind = "socketpair";
  long n = 0, active = 1, writes = 0, runs = 5;
  int c;
  while ((c = getopt(argc, argv, "m:n:a:w:r:f:h")) != -1) {
    switch (c) {
    case 'm':
      method = optarg;
      break;
    case 'n':
      n = strtol(optarg, NULL, 10);
      break;
    case 'a':
      active = strtol(optarg, NULL, 10);
      break;
    case 'w':
      writes = strtol(optarg, NULL, 10);
      break;
    case 'r':
      runs = strtol(optarg, NULL, 10);
      break;
    case 'f':
      kind = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 1;
    }
  }
  if (!method || n < 1 || n > 1000000 || active < 1 || active > n || writes < 0 || runs < 1) {
    usage(stderr);
    return 1;
  }

  struct fd_pairs p;
  if (fd_pairs_open(&p, kind, (int)n) < 0)
    return 1;
  int maxfd = 0;
  for (int i = 0; i < p.n; i++)
    maxfd = p.rd[i] > maxfd ? p.rd[i] : maxfd;
  int *index_of = calloc((size_t)maxfd + 1, sizeof(int));
  struct mux *m = index_of ? mux_open(method, p.rd, p.n) : NULL;
  if (!m)
    return 1;
  for (int i = 0; i < p.n; i++)
    index_of[p.rd[i]] = i;

  for (long run = 0; run < runs; run++) {
    long waits, reported;
    double u0, s0, u1, s1, w0 = wall_seconds();
    cpu_seconds(&u0, &s0);
    if (run_once(m, &p, index_of, (int)active, writes, &waits, &reported) < 0)
      return 1;
    cpu_seconds(&u1, &s1);
    double wall = wall_seconds() - w0;
    printf("{\"method\":\"%s\",\"fds\":%ld,\"active\":%ld,\"writes\":%ld,\"run\":%ld,"
           "\"wall_us\":%.0f,\"cpu_us\":%.0f,\"waits\":%ld,\"ready\":%ld}\n",
           method, n, active, writes, run, wall * 1e6, (u1 - u0 + s1 - s0) * 1e6, waits, reported);
  }
  mux_close(m);
  free(index_of);
  fd_pairs_close(&p);
  return 0;
}
