/* Scenario for a seccomp sandbox: a filter that allows only the calls the program makes itself,
 * put on with prctl or syscall, then polls and recvs. */
#define _GNU_SOURCE
#include "scenario.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* n times: a byte sent, polled for and received; returns the recvs that got their byte. */
static int poll_recv_each(int sp[2], int n) {
  int ok = 0;
  char c;
  struct pollfd p = {.fd = sp[0], .events = POLLIN};
  for (int i = 0; i < n; i++) {
    sc_put(sp[1], "x", 1);
    ok += poll(&p, 1, -1) == 1 && recv(sp[0], &c, 1, 0) == 1;
  }
  return ok;
}

#define ALLOW(nr)                                                                                  \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* A filter that kills the process on any system call but the few this program makes itself, as a
 * privilege-separated daemon's pre-auth child does.  madvise is allowed: the recording path's
 * page advice is its own concern (it checks the sandbox flag); this probe is the writer's. */
static void seccomp_on(const char *how) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      ALLOW(SYS_read),
      ALLOW(SYS_write),
      ALLOW(SYS_sendto),
      ALLOW(SYS_recvfrom),
      ALLOW(SYS_poll),
      ALLOW(SYS_ppoll),
      ALLOW(SYS_exit),
      ALLOW(SYS_exit_group),
      ALLOW(SYS_rt_sigreturn),
      ALLOW(SYS_clock_gettime),
      ALLOW(SYS_madvise),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    exit(99);
  long r = strcmp(how, "prctl") == 0 ? prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)
                                     : syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  if (r != 0)
    exit(99);
}

/* seccomp prctl|syscall N: N polls and recvs before and after a filter goes on. */
static int sandboxed(const char *how, int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int before = poll_recv_each(sp, 10);
  seccomp_on(how);
  int after = poll_recv_each(sp, n);
  sc_say("before %d after %d", before, after);
  return before == 10 && after == n ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "seccomp") == 0)
    return sandboxed(argv[2], atoi(argv[3]));
  return 2;
}
