/* Scenario for a child started after a seccomp filter is on: it may not make the system calls a
 * trace file of its own would need, and must not be killed for the shim's sake. */
#define _GNU_SOURCE
#include "scenario.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_RECVS 2

/* Kills the process on any of the calls a new trace file or dropping the parent's would take;
 * this program makes none of them from here on. */
static void forbid_file_calls(void) {
  static const int forbidden[] = {SYS_openat, SYS_open,      SYS_mmap,     SYS_munmap,
                                  SYS_close,  SYS_fallocate, SYS_ftruncate};
  struct sock_filter f[2 + 2 * sizeof forbidden / sizeof *forbidden + 1];
  int n = 0;
  f[n++] =
      (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, forbidden[i], 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  }
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {(unsigned short)n, f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
    _exit(99);
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_expect(sc_recv_each(sp, 3) == 3, "parent before the filter");
  forbid_file_calls();
  pid_t child =
      strcmp(argv[1], "clone") == 0 ? (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) : fork();
  if (child == 0)
    _exit(sc_recv_each(sp, CHILD_RECVS) == CHILD_RECVS ? 0 : 1);
  int status = -1;
  while (child > 0 && waitpid(child, &status, 0) < 0)
    ;
  sc_say("child %s %d", WIFSIGNALED(status) ? "killed by signal" : "exited",
         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  sc_expect(sc_recv_each(sp, 1) == 1, "parent after");
  sc_say("parent %d child %d", (int)getpid(), (int)child);
  /* _exit: what the shim does at exit under a filter is not this scenario's question */
  _exit(sc_failures());
}
