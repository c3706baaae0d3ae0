/* Scenario for a thread made with a raw clone() that shares its creator's TLS (no CLONE_SETTLS):
 * both poll N times at once.  Prints "made poll 2N". */
#define _GNU_SOURCE
#include "scenario.h"

#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static long n;
static struct pollfd pfd;
static volatile int child_tid = 1; /* cleared by the kernel when the clone exits */

static int cloned(void *arg) {
  (void)arg;
  for (long i = 0; i < n; i++)
    poll(&pfd, 1, 0);
  syscall(SYS_exit, 0); /* exit the thread only; nothing of libc's thread exit path */
  return 0;
}

int main(int argc, char **argv) {
  n = argc > 1 ? atol(argv[1]) : 200000;
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  pfd.fd = sp[0];
  pfd.events = POLLIN;
  size_t size = 256 * 1024;
  char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED)
    return 99;
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
              CLONE_CHILD_CLEARTID;
  if (clone(cloned, stack + size, flags, NULL, NULL, NULL, &child_tid) < 0)
    return 99;
  for (long i = 0; i < n; i++)
    poll(&pfd, 1, 0);
  while (child_tid != 0)
    syscall(SYS_futex, &child_tid, FUTEX_WAIT, child_tid, NULL, NULL, 0);
  sc_say("made poll %ld", 2 * n);
  return 0;
}
