/* Scenario for fork: the parent recvs before and after, the child recvs on its own. */
#define _GNU_SOURCE
#include "scenario.h"

#include <sys/socket.h>
#include <unistd.h>

static int recv_n(int fd, int n) {
  char c;
  int ok = 0;
  for (int i = 0; i < n; i++)
    ok += recv(fd, &c, 1, 0) == 1;
  return ok;
}

int main(void) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_put(sp[1], "abc", 3);
  sc_expect(recv_n(sp[0], 3) == 3, "parent before fork");
  pid_t child = fork();
  if (child == 0) {
    sc_put(sp[1], "de", 2);
    _exit(recv_n(sp[0], 2) == 2 ? 0 : 1);
  }
  int status = -1;
  sc_reap(child);
  sc_put(sp[1], "f", 1);
  sc_expect(recv_n(sp[0], 1) == 1, "parent after fork");
  sc_say("parent %d child %d", (int)getpid(), (int)child);
  (void)status;
  return sc_failures();
}
