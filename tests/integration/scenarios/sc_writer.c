/* Scenario for the trace file's writer under what real programs do: seccomp, RLIMIT_AS, a taken
 * trace fd, forked workers that _exit or are killed, and long exec chains. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* A filter that kills the process on any system call but the few this program makes itself, as a
 * privilege-separated daemon's pre-auth child does.  madvise is allowed: the recording path's
 * page advice is its own concern (it checks the sandbox flag); this probe is the writer's. */
static void seccomp_on(const char *how) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      ALLOW(SYS_read),        ALLOW(SYS_write),     ALLOW(SYS_sendto), ALLOW(SYS_recvfrom),
      ALLOW(SYS_poll),        ALLOW(SYS_ppoll),     ALLOW(SYS_exit),   ALLOW(SYS_exit_group),
      ALLOW(SYS_rt_sigreturn), ALLOW(SYS_clock_gettime), ALLOW(SYS_madvise),
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

/* rlimit-as start|lower N: a program within its address-space budget (1.43 GiB, as under
 * `ulimit -v 1500000`, set by the harness or by the program) allocates 800 MiB between recvs. */
static int address_space(const char *when, int n) {
  if (strcmp(when, "lower") == 0) {
    struct rlimit rl = {1500000ul * 1024, 1500000ul * 1024};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
      return 99;
  }
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int ok = sc_recv_each(sp, n);
  char *big = malloc(800ul << 20);
  sc_say("malloc(800 MiB) %s", big ? "ok" : "failed");
  if (big)
    big[0] = 1, big[(800ul << 20) - 1] = 1;
  free(big);
  ok += sc_recv_each(sp, n);
  sc_say("recvs %d", ok);
  return big && ok == 2 * n ? 0 : 1;
}

static int top_fd(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  return (int)rl.rlim_cur - 1;
}

static int new_log(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    exit(99);
  sc_put(fd, "10 bytes.\n", 10);
  return fd;
}

static void show_size(const char *what, int fd) {
  struct stat st;
  if (fstat(fd, &st) == 0)
    sc_say("%s: %lld bytes", what, (long long)st.st_size);
  else
    sc_say("%s: fstat failed", what);
}

/* ownfd-dup2 LOG N: every fd taken, then dup2 of the program's log onto the top fd (the shim's,
 * traced), N recvs, and the log must stay 10 bytes; then close of that number must close it. */
static int ownfd_dup2(const char *path, int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int log = new_log(path);
  while (open("/dev/null", O_RDONLY) >= 0)
    ;
  int top = top_fd();
  sc_say("dup2 onto the top fd: %s", dup2(log, top) == top ? "ok" : "failed");
  sc_say("recvs %d", sc_recv_each(sp, n));
  show_size("log by its first fd", log);
  show_size("log by the top fd", top);
  SHOW(close(top));
  SHOW(fcntl(top, F_GETFD));
  return 0;
}

/* ownfd-raw LOG N: a raw close of the top fd, the number reused for the program's log, N recvs;
 * the log must stay 10 bytes, and close of the number must close it. */
static int ownfd_raw(const char *path, int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int top = top_fd();
  syscall(SYS_close, top); /* the shim's, traced; nothing untraced */
  int log = new_log(path);
  sc_say("reuse: %s", syscall(SYS_dup3, log, top, 0) == top ? "ok" : "failed");
  close(log);
  sc_say("recvs %d", sc_recv_each(sp, n));
  show_size("log", top);
  SHOW(close(top));
  SHOW(fcntl(top, F_GETFD));
  return 0;
}

/* ownfd-raw-close: a raw close of the top fd, a socket put at that number, and close() of it at
 * once: the peer must see the end of the stream. */
static int ownfd_raw_close(void) {
  int a[2];
  sc_socketpair(SOCK_STREAM, a);
  int top = top_fd();
  syscall(SYS_close, top);
  sc_say("reuse: %s", syscall(SYS_dup3, a[0], top, 0) == top ? "ok" : "failed");
  close(a[0]);
  SHOW(close(top));
  char c;
  SHOW(recv(a[1], &c, 1, MSG_DONTWAIT));
  return 0;
}

/* fork-exit|fork-kill N: N workers, each one recv, then _exit(0) or SIGKILL, as a prefork
 * server's children end. */
static int workers(const char *how, int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int ended = 0;
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0)
      return 99;
    if (pid == 0) {
      int ok = sc_recv_each(sp, 1);
      if (strcmp(how, "fork-kill") == 0)
        raise(SIGKILL);
      _exit(ok == 1 ? 0 : 1);
    }
    int st;
    if (waitpid(pid, &st, 0) == pid &&
        (strcmp(how, "fork-kill") == 0 ? WIFSIGNALED(st) : WIFEXITED(st) && !WEXITSTATUS(st)))
      ended++;
  }
  sc_say("workers ended as asked: %d of %d", ended, n);
  return ended == n ? 0 : 1;
}

/* exec-chain K: this pid runs K+1 images one after the other, one recv each. */
static int exec_chain(char **argv, int k) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  if (sc_recv_each(sp, 1) != 1)
    return 1;
  if (k == 0) {
    sc_say("last image");
    return 0;
  }
  close(sp[0]), close(sp[1]);
  char next[16];
  snprintf(next, sizeof next, "%d", k - 1);
  execv("/proc/self/exe", (char *[]){argv[0], "exec-chain", next, NULL});
  return 98;
}

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

/* thread-churn N: N threads one after the other, 2000 recvs each, as a thread-per-connection
 * server; the trace file's mappings must not pile up for threads that are gone. */
static void *churn_thread(void *arg) {
  return (void *)(long)sc_recv_each(arg, 2000);
}

static int thread_churn(int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  long ok = 0;
  for (int i = 0; i < n; i++) {
    pthread_t t;
    void *got;
    if (pthread_create(&t, NULL, churn_thread, sp) != 0 || pthread_join(t, &got) != 0)
      return 99;
    ok += (long)got;
  }
  char maps[1 << 16];
  int fd = open("/proc/self/maps", O_RDONLY), mapped = 0;
  ssize_t len, off = 0;
  while (fd >= 0 && off < (ssize_t)sizeof maps - 1 &&
         (len = read(fd, maps + off, sizeof maps - 1 - off)) > 0)
    off += len;
  maps[off] = 0;
  for (char *p = maps; (p = strstr(p, ".trace\n")); p++)
    mapped++;
  sc_say("recvs %ld; mappings of trace files at most 8: %s", ok, mapped <= 8 ? "yes" : "no");
  return ok == 2000L * n ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "thread-churn") == 0)
    return thread_churn(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "own-sigbus") == 0)
    return own_sigbus(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "cut") == 0)
    return cut(atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "seccomp") == 0)
    return sandboxed(argv[2], atoi(argv[3]));
  if (argc >= 4 && strcmp(argv[1], "rlimit-as") == 0)
    return address_space(argv[2], atoi(argv[3]));
  if (argc >= 4 && strcmp(argv[1], "ownfd-dup2") == 0)
    return ownfd_dup2(argv[2], atoi(argv[3]));
  if (argc >= 4 && strcmp(argv[1], "ownfd-raw") == 0)
    return ownfd_raw(argv[2], atoi(argv[3]));
  if (argc >= 2 && strcmp(argv[1], "ownfd-raw-close") == 0)
    return ownfd_raw_close();
  if (argc >= 3 && strncmp(argv[1], "fork-", 5) == 0)
    return workers(argv[1], atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "exec-chain") == 0)
    return exec_chain(argv, atoi(argv[2]));
  return 2;
}
