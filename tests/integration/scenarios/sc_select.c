/* Scenario for select and pselect, including a descriptor above 1024 in a bitmap sized at run time.
 */
#define _GNU_SOURCE
#include "scenario.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define BITS (8 * sizeof(unsigned long))

/* FD_SET stops at FD_SETSIZE (fortified builds abort past it): large sets are plain bitmaps. */
static fd_set *big_set(int nfds) {
  return calloc((nfds + BITS - 1) / BITS, sizeof(unsigned long));
}
static void big_add(fd_set *s, int fd) {
  ((unsigned long *)s)[fd / BITS] |= 1UL << (fd % BITS);
}
static int big_has(fd_set *s, int fd) {
  return !!(((unsigned long *)s)[fd / BITS] & (1UL << (fd % BITS)));
}

static void small(void) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  fd_set r, w;
  struct timeval tv = {0, 0};
  FD_ZERO(&r);
  FD_SET(sp[0], &r);
  SHOW(select(sp[0] + 1, &r, NULL, NULL, &tv));
  sc_say("  readable %d", FD_ISSET(sp[0], &r));
  sc_put(sp[1], "x", 1);
  FD_ZERO(&r);
  FD_SET(sp[0], &r);
  FD_ZERO(&w);
  FD_SET(sp[0], &w);
  FD_SET(sp[1], &w);
  int nfds = (sp[0] > sp[1] ? sp[0] : sp[1]) + 1;
  SHOW(select(nfds, &r, &w, NULL, NULL));
  sc_say("  readable %d writable %d %d", FD_ISSET(sp[0], &r), FD_ISSET(sp[0], &w),
         FD_ISSET(sp[1], &w));
  tv = (struct timeval){0, 20000};
  FD_ZERO(&r);
  FD_SET(sp[1], &r);
  SHOW(select(nfds, &r, NULL, NULL, &tv));
  sc_say("  timeout left %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
  SHOW(select(0, NULL, NULL, NULL, &(struct timeval){0, 1000}));

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  struct timespec ts = {0, 0};
  FD_ZERO(&r);
  FD_SET(sp[0], &r);
  SHOW(pselect(nfds, &r, NULL, NULL, &ts, &mask));
  sc_say("  readable %d", FD_ISSET(sp[0], &r));
  FD_ZERO(&r);
  FD_SET(sp[1], &r);
  ts = (struct timespec){0, 10000000};
  SHOW(pselect(nfds, &r, NULL, NULL, &ts, NULL));
  sc_say("  timespec kept %ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);

  close(sp[0]);
  close(sp[1]);
}

/* Negative nfds, a closed fd in the set, a bad pointer, bad timeouts. */
static void errors(void) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int nfds = (sp[0] > sp[1] ? sp[0] : sp[1]) + 1;
  struct timeval tv = {0, 0};
  fd_set r;
  FD_ZERO(&r);
  FD_SET(sp[0], &r);
  SHOW(select(-1, &r, NULL, NULL, &tv));
  int gone = dup(sp[0]);
  close(gone);
  FD_ZERO(&r);
  FD_SET(gone, &r);
  SHOW(select(gone + 1, &r, NULL, NULL, &(struct timeval){0, 0}));
  FD_ZERO(&r);
  FD_SET(sp[0], &r);
  SHOW(select(nfds, &r, NULL, NULL, &(struct timeval){0, -1}));
  SHOW(pselect(nfds, &r, NULL, NULL, &(struct timespec){0, 1000000000L}, NULL));
  SHOW(select(nfds, sc_bad_ptr(), NULL, NULL, &(struct timeval){0, 0}));
  close(sp[0]);
  close(sp[1]);
}

static void large(void) {
  enum { HIGH = 2000 };
  sc_raise_nofile(HIGH + 64);
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  SHOW(dup2(sp[0], HIGH));
  SHOW(dup2(sp[1], HIGH - 700));
  fd_set *r = big_set(HIGH + 1), *w = big_set(HIGH + 1);
  big_add(r, HIGH);
  SHOW(select(HIGH + 1, r, NULL, NULL, &(struct timeval){0, 0}));
  sc_put(HIGH - 700, "big", 3);
  big_add(r, HIGH);
  big_add(r, HIGH - 700);
  big_add(w, HIGH - 700);
  SHOW(select(HIGH + 1, r, w, NULL, &(struct timeval){0, 0}));
  sc_say("  readable %d %d writable %d", big_has(r, HIGH), big_has(r, HIGH - 700),
         big_has(w, HIGH - 700));
  memset(r, 0, (HIGH + BITS) / BITS * sizeof(unsigned long));
  big_add(r, HIGH);
  SHOW(pselect(HIGH + 1, r, NULL, NULL, &(struct timespec){0, 0}, NULL));
  sc_say("  readable %d", big_has(r, HIGH));
  close(HIGH);
  big_add(r, HIGH);
  SHOW(select(HIGH + 1, r, NULL, NULL, &(struct timeval){0, 0}));
  free(r);
  free(w);
  close(HIGH - 700);
  close(sp[0]);
  close(sp[1]);
}

/* load K NFDS: K selects and K pselects over one readable fd placed at NFDS-1, read set only. */
static int load(int k, int nfds) {
  sc_raise_nofile(nfds + 64);
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_put(sp[1], "ready", 5);
  int fd = nfds - 1;
  if (dup2(sp[0], fd) != fd)
    return 99;
  fd_set *r = big_set(nfds);
  int ready = 0;
  for (int i = 0; i < k; i++) {
    big_add(r, fd);
    ready += select(nfds, r, NULL, NULL, &(struct timeval){0, 0});
    big_add(r, fd);
    ready += pselect(nfds, r, NULL, NULL, &(struct timespec){0, 0}, NULL);
  }
  sc_expect(ready == 2 * k, "every select saw the fd ready");
  sc_say("load k=%d nfds=%d ready=%d", k, nfds, ready);
  return sc_failures();
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "load") == 0)
    return load(atoi(argv[2]), atoi(argv[3]));
  static const struct sc_section sections[] = {
      {"calls", small}, {"errors", errors}, {"above 1024", large}, {0}};
  return sc_sections(sections);
}
