/* Scenario for SIGBUS: the trace file cut while the program runs, and SIGBUS of the program's own
 * (a store past the end of its own cut file, raise, its own handler). */
#define _GNU_SOURCE
#include "scenario.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* cut N: N recvs, "R" on stdout, then (once a byte comes on stdin: the trace file has been cut
 * meanwhile) N more, with a SIGBUS handler of the program's own that must not be needed. */
static void on_sigbus(int sig) {
  (void)sig;
  sc_say("the program's SIGBUS handler ran");
  _exit(3);
}

static int cut(int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  struct sigaction old;
  sigaction(SIGBUS, NULL, &old);
  sc_say("SIGBUS default at start: %s", old.sa_handler == SIG_DFL ? "yes" : "no");
  int ok = sc_recv_each(sp, n);
  sc_put(1, "R\n", 2);
  char c;
  if (read(0, &c, 1) != 1)
    return 99;
  ok += sc_recv_each(sp, n);
  signal(SIGBUS, on_sigbus);
  ok += sc_recv_each(sp, n);
  sigaction(SIGBUS, NULL, &old);
  sc_say("SIGBUS handler as set: %s", old.sa_handler == on_sigbus ? "yes" : "no");
  sc_say("recvs %d", ok);
  return ok == 3 * n ? 0 : 1;
}

/* own-sigbus fault|raise|handler: a SIGBUS of the program's own (a store past the end of its own
 * cut file, or raise) must end it, or reach its handler, exactly as untraced. */
static int own_sigbus(const char *how) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_recv_each(sp, 10);
  if (strcmp(how, "handler") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigaction(SIGBUS, &sa, NULL);
  }
  if (strcmp(how, "raise") == 0)
    raise(SIGBUS);
  char path[] = "/tmp/sc-writer-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  if (fd < 0 || ftruncate(fd, 4096) != 0)
    return 99;
  volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED || ftruncate(fd, 0) != 0)
    return 99;
  sc_say("storing past the end of a file of its own");
  p[0] = 1;
  sc_say("the store went through");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "own-sigbus") == 0)
    return own_sigbus(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "cut") == 0)
    return cut(atoi(argv[2]));
  return 2;
}
