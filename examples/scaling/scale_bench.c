/* scale_bench.c: the cost of one monitoring operation as the number of watched fds grows.
 *
 * N pipes (or socketpairs, or eventfds) are watched; before each operation one of them, chosen at
 * random, gets a byte, so every select, poll or epoll_wait finds exactly one fd ready; the byte is
 * read back after it. The CPU time (getrusage) of K such operations is printed per 100,000. Method
 * "none" makes the fd ready and drains it without asking: the loop's own cost. */
#include "bench_fds.h"
#include "mux.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMEOUT_MS 10000 /* one fd is always ready: reaching this means something is broken */

static void usage(FILE *to) {
  fprintf(to,
          "usage: scale_bench -m select|poll|epoll|none -n FDS -k OPS [-f pipe|socketpair|eventfd] "
          "[-s SEED]\n"
          "Prints one JSON object: method, fds, ops, user_s, sys_s, cpu_s, "
          "cpu_s_per_100k.\n");
}

/* xorshift64: the same sequence of fds for every method and run. */
static unsigned long long next_random(unsigned long long *state) {
  unsigned long long x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *state = x;
}

int main(int argc, char **argv) {
  const char *method = NULL, *kind = "pipe";
  long n = 0, ops = 0;
  unsigned long long seed = 0x9e3779b97f4a7c15ULL;
  int c;
  while ((c = getopt(argc, argv, "m:n:k:f:s:h")) != -1) {
    switch (c) {
    case 'm':
      method = optarg;
      break;
    case 'n':
      n = strtol(optarg, NULL, 10);
      break;
    case 'k':
      ops = strtol(optarg, NULL, 10);
      break;
    case 'f':
      kind = optarg;
      break;
    case 's':
      seed = strtoull(optarg, NULL, 0) | 1; /* xorshift must not start at 0 */
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 1;
    }
  }
  if (!method || n < 1 || n > 1000000 || ops < 1) {
    usage(stderr);
    return 1;
  }

  struct fd_pairs fds;
  if (fd_pairs_open(&fds, kind, (int)n) < 0)
    return 1;
  struct mux *m = NULL;
  if (strcmp(method, "none") != 0 && !(m = mux_open(method, fds.rd, fds.n)))
    return 1;

  double user0, sys0, user1, sys1;
  cpu_seconds(&user0, &sys0);
  for (long k = 0; k < ops; k++) {
    int i = (int)(next_random(&seed) % (unsigned long long)n);
    if (fd_pairs_signal(&fds, i) < 0) {
      perror("write");
      return 1;
    }
    if (m) {
      int ready[4];
      int r = mux_wait(m, ready, 4, TIMEOUT_MS);
      if (r != 1 || ready[0] != fds.rd[i]) {
        fprintf(stderr, "%s: operation %ld returned %d, fd %d; expected fd %d alone\n", method, k,
                r, r > 0 ? ready[0] : -1, fds.rd[i]);
        return 1;
      }
    }
    if (fd_pairs_drain(&fds, i) < 0) {
      perror("read");
      return 1;
    }
  }
  cpu_seconds(&user1, &sys1);

  double user = user1 - user0, sys = sys1 - sys0, cpu = user + sys;
  printf("{\"method\":\"%s\",\"fds\":%ld,\"kind\":\"%s\",\"ops\":%ld,\"user_s\":%.3f,"
         "\"sys_s\":%.3f,\"cpu_s\":%.3f,\"cpu_s_per_100k\":%.4f}\n",
         method, n, kind, ops, user, sys, cpu, cpu * 100000.0 / (double)ops);
  if (m)
    mux_close(m);
  fd_pairs_close(&fds);
  return 0;
}
