/* Scenario for epoll: create, every epoll_ctl error, waits, and interest sets across close, dup,
 * dup2. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int add(int ep, int fd, unsigned long tag) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void wait_and_show(int ep) {
  struct epoll_event ev[8];
  int n = SHOW(epoll_wait(ep, ev, 8, 0));
  for (int i = 0; i < n; i++)
    sc_say("  event tag %lu mask %#x", (unsigned long)ev[i].data.u64, ev[i].events);
}

static void calls(void) {
  SHOW_FD(epoll_create(0));
  int ep = SHOW_FD(epoll_create(1));
  int ep1 = SHOW_FD(epoll_create1(EPOLL_CLOEXEC));
  sc_say("  cloexec %d", !!(fcntl(ep1, F_GETFD) & FD_CLOEXEC));
  SHOW_FD(epoll_create1(-1));

  int sp[2], p[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_pipe(p);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev));
  ev.events = EPOLLIN | EPOLLOUT;
  SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, sp[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev));
  SHOW(epoll_ctl(-1, EPOLL_CTL_ADD, sp[0], &ev));
  SHOW(epoll_ctl(sp[1], EPOLL_CTL_ADD, sp[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
  SHOW(epoll_ctl(ep, 99, sp[0], &ev));
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], sc_bad_ptr()));
  int f = sc_regular_file("not pollable");
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
  close(f);
  wait_and_show(ep);
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, sp[0], NULL));
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, sp[0], NULL));
  wait_and_show(ep);

  SHOW(add(ep1, sp[0], 11));
  sc_put(sp[1], "e", 1);
  struct epoll_event out[2];
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  SHOW(epoll_pwait(ep1, out, 2, 10, &mask));
  sc_say("  tag %lu", (unsigned long)out[0].data.u64);
  struct timespec ts = {0, 2000000};
  SHOW(epoll_pwait2(ep1, out, 2, &ts, NULL));
  SHOW(epoll_wait(ep1, out, 0, 0));
  SHOW(epoll_wait(ep1, (void *)-4096L, 1, 0));
  SHOW(epoll_wait(ep1, sc_bad_ptr(), 1, 0));
  SHOW(epoll_wait(sp[1], out, 1, 0));
  SHOW(epoll_pwait2(ep1, out, 1, &(struct timespec){0, -1}, NULL));
  SHOW(epoll_wait(ep, out, 2, 20));
  close(ep);
  SHOW(epoll_wait(ep, out, 2, 0));
  close(ep1);
  close(sp[0]);
  close(sp[1]);
  close(p[0]);
  close(p[1]);
}

/* The kernel keys interest by open file: a dup keeps it alive, the last close or a dup2 drops it.
 */
static void interest(void) {
  int ep = epoll_create1(0);
  int a[2], b[2], c[2];
  sc_pipe(a);
  sc_pipe(b);
  sc_pipe(c);
  SHOW(add(ep, a[0], 1));
  SHOW(add(ep, b[0], 2));
  SHOW(add(ep, c[0], 3));
  int keep = SHOW_FD(dup(a[0]));
  close(a[0]);
  sc_put(a[1], "a", 1);
  sc_put(b[1], "b", 1);
  sc_put(c[1], "c", 1);
  wait_and_show(ep);
  SHOW(close(b[0]));
  wait_and_show(ep);
  SHOW(dup2(a[1], c[0]) == c[0]);
  wait_and_show(ep);
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, c[0], NULL));
  SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, keep, NULL));
  SHOW(add(ep, keep, 4));
  wait_and_show(ep);
  SHOW(close(keep));
  wait_and_show(ep);
  SHOW(add(ep, a[1], 5));
  close(ep);
  close(a[1]);
  close(b[1]);
  close(c[0]);
  close(c[1]);
}

/* load K NREG: NREG pipes registered, one readable, K waits of each kind, three failing ctls. */
static int load(int k, int nreg) {
  sc_raise_nofile(2 * nreg + 64);
  int ep = epoll_create1(0);
  int first = -1, ready = 0;
  for (int i = 0; i < nreg; i++) {
    int p[2];
    sc_pipe(p);
    if (i == 0) {
      first = p[0];
      sc_put(p[1], "r", 1);
    }
    sc_expect(add(ep, p[0], i) == 0, "add");
  }
  sc_expect(add(ep, first, 0) < 0 && errno == EEXIST, "EEXIST");
  sc_expect(epoll_ctl(ep, EPOLL_CTL_DEL, 0x7ff0, NULL) < 0 && errno == EBADF, "EBADF");
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_expect(epoll_ctl(ep, EPOLL_CTL_DEL, sp[0], NULL) < 0 && errno == ENOENT, "ENOENT");
  struct epoll_event out[4];
  for (int i = 0; i < k; i++) {
    ready += epoll_wait(ep, out, 4, 0);
    ready += epoll_pwait(ep, out, 4, 0, NULL);
    ready += epoll_pwait2(ep, out, 4, &(struct timespec){0, 0}, NULL);
  }
  sc_expect(ready == 3 * k, "one ready per wait");
  sc_say("load k=%d nreg=%d ready=%d", k, nreg, ready);
  return sc_failures();
}

/* shrink NREG: NREG registered, half closed (dropping them from the set), one dup kept; then waits.
 */
static int shrink(int nreg) {
  sc_raise_nofile(2 * nreg + 64);
  int ep = epoll_create1(0);
  int *rd = calloc(nreg, sizeof *rd);
  for (int i = 0; i < nreg; i++) {
    int p[2];
    sc_pipe(p);
    rd[i] = p[0];
    sc_put(p[1], "r", 1);
    sc_expect(add(ep, p[0], i) == 0, "add");
  }
  int keep = dup(rd[0]);
  for (int i = 0; i < nreg / 2; i++)
    close(rd[i]);
  struct epoll_event out[1];
  int ready = 0;
  for (int i = 0; i < 10; i++)
    ready += epoll_wait(ep, out, 1, 0);
  sc_expect(ready == 10, "ready");
  sc_say("shrink nreg=%d left=%d keep=%s", nreg, nreg - nreg / 2 + 1, keep >= 0 ? "yes" : "no");
  return sc_failures();
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "load") == 0)
    return load(atoi(argv[2]), atoi(argv[3]));
  if (argc == 3 && strcmp(argv[1], "shrink") == 0)
    return shrink(atoi(argv[2]));
  static const struct sc_section sections[] = {{"calls", calls}, {"interest", interest}, {0}};
  return sc_sections(sections);
}
