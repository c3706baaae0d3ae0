/* Scenario for children made without fork(): glibc clone(), or a raw clone system call (one of
 * them chrooting first), that recv on their own and end with exit() while the parent goes on
 * recving. */
#define _GNU_SOURCE
#include "scenario.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_RECVS 5
#define PARENT_AFTER 2000 /* enough for the parent to claim fresh chunks after the child exits */

static int sp[2];

static int child_main(void *arg) {
  /* a sandboxing server's session process: it chroots into an empty directory before its first
   * traced call, where the trace's directory cannot be reached any more */
  if (arg && chroot((const char *)arg) != 0)
    exit(3);
  /* exit(), not a return: glibc's clone ends a returning child without running exit handlers */
  exit(sc_recv_each(sp, CHILD_RECVS) == CHILD_RECVS ? 0 : 1);
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  sc_socketpair(SOCK_STREAM, sp);
  sc_expect(sc_recv_each(sp, 3) == 3, "parent before");
  pid_t child = -1;
  if (strcmp(argv[1], "glibc") == 0) {
    static char stack[256 * 1024];
    child = clone(child_main, stack + sizeof stack, SIGCHLD, NULL);
  } else {
    long flags = SIGCHLD | (strcmp(argv[1], "newpid") == 0 ? CLONE_NEWPID : 0);
    char empty[] = "/tmp/sc_clone.XXXXXX";
    int jail = strcmp(argv[1], "raw-chroot") == 0;
    if (jail && !mkdtemp(empty))
      return 99;
    child = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
    if (child == 0)
      child_main(jail ? empty : NULL);
    int status = -1;
    while (child > 0 && waitpid(child, &status, 0) < 0)
      ;
    if (jail)
      rmdir(empty);
    sc_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child recvd and exited 0");
    child = -child; /* reaped */
  }
  sc_expect(child != 0 && child != -1, "child started");
  if (child > 0) {
    int status = -1;
    while (waitpid(child, &status, 0) < 0)
      ;
    sc_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child recvd and exited 0");
  } else {
    child = -child;
  }
  sc_expect(sc_recv_each(sp, PARENT_AFTER) == PARENT_AFTER, "parent after");
  sc_say("parent %d child %d", (int)getpid(), (int)child);
  return sc_failures();
}
