/* Scenario for poll and ppoll: ready, timeouts, hangups, invalid fds and the error paths. */
#define _GNU_SOURCE
#include "scenario.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void calls(void) {
  int sp[2], p[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_pipe(p);
  struct pollfd f[4] = {
      {sp[0], POLLIN, 0}, {-1, POLLIN, 0}, {p[0], POLLIN, 0}, {sp[1], POLLOUT, 0}};
  SHOW(poll(f, sc_opaque(3), 0));
  sc_put(sp[1], "in", 2);
  SHOW(poll(f, sc_opaque(4), 0));
  for (int i = 0; i < 4; i++)
    sc_say("  revents[%d] %#x", i, f[i].revents);
  SHOW(poll(NULL, 0, 15));
  SHOW(poll(f + 2, sc_opaque(1), 20));
  close(p[1]);
  SHOW(poll(f + 2, sc_opaque(1), -1));
  sc_say("  pipe revents %#x", f[2].revents);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR2);
  struct timespec ts = {0, 5000000};
  SHOW(ppoll(f, sc_opaque(2), &ts, &mask));
  sc_say("  revents[0] %#x revents[1] %#x", f[0].revents, f[1].revents);
  ts = (struct timespec){0, 5000000};
  SHOW(ppoll(f + 1, sc_opaque(1), &ts, NULL));
  sc_say("  timespec left %ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);
  SHOW(ppoll(f, sc_opaque(1), NULL, NULL));

  int gone = dup(sp[0]);
  close(gone);
  struct pollfd g[2] = {{gone, POLLIN, 0}, {sp[0], POLLIN, 0}};
  SHOW(poll(g, sc_opaque(2), 0));
  sc_say("  revents %#x %#x", g[0].revents, g[1].revents);

  close(p[0]);
  close(sp[0]);
  close(sp[1]);
}

/* A bad array, more fds than RLIMIT_NOFILE allows, a bad timespec. */
static void errors(void) {
  struct pollfd f[2] = {{0, POLLIN, 0}, {-1, POLLIN, 0}};
  SHOW(poll(sc_bad_ptr(), 1, 0));
  SHOW(ppoll(sc_bad_ptr(), 2, &(struct timespec){0, 0}, NULL));
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  /* Through a pointer of unknown size: a fortified poll would abort before the kernel says EINVAL.
   */
  struct pollfd *unsized = (struct pollfd *)sc_opaque((size_t)f);
  SHOW(poll(unsized, rl.rlim_cur + 1, 0));
  SHOW(ppoll(f, sc_opaque(1), &(struct timespec){0, -5}, NULL));
}

static void many(void) {
  enum { N = 3000 };
  sc_raise_nofile(N + 64);
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_put(sp[1], "many", 4);
  struct pollfd *f = calloc(N, sizeof *f);
  for (int i = 0; i < N; i++)
    f[i] = (struct pollfd){i % 3 == 0 ? sp[0] : -1, POLLIN, 0};
  f[N - 1].fd = sp[1];
  SHOW(poll(f, N, 0));
  sc_say("  first %#x last %#x", f[0].revents, f[N - 1].revents);
  free(f);
  close(sp[0]);
  close(sp[1]);
}

/* load K NFDS: K polls and K ppolls over NFDS entries, every other one -1, one fd readable. */
static int load(int k, int nfds) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_put(sp[1], "ready", 5);
  struct pollfd *f = calloc(nfds, sizeof *f);
  for (int i = 0; i < nfds; i++)
    f[i] = (struct pollfd){i % 2 ? -1 : sp[1], POLLPRI, 0};
  f[0].fd = sp[0];
  f[0].events = POLLIN;
  int ready = 0;
  for (int i = 0; i < k; i++) {
    ready += poll(f, nfds, 0);
    ready += ppoll(f, nfds, &(struct timespec){0, 0}, NULL);
  }
  sc_expect(ready == 2 * k, "one fd ready each call");
  sc_say("load k=%d nfds=%d ready=%d", k, nfds, ready);
  free(f);
  return sc_failures();
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "load") == 0)
    return load(atoi(argv[2]), atoi(argv[3]));
  static const struct sc_section sections[] = {
      {"calls", calls}, {"errors", errors}, {"many", many}, {0}};
  return sc_sections(sections);
}
