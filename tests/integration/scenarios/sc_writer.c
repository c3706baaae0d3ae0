/* Scenario for the trace file's writer under what real programs do: RLIMIT_AS, forked workers
 * that _exit or are killed, long exec chains, threads that come and go. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
  /* the writer keeps a few idle windows mapped (windows.c, IOT_WIN_GRACE), never one per thread */
  sc_say("recvs %ld; mappings of trace files at most 16: %s", ok, mapped <= 16 ? "yes" : "no");
  return ok == 2000L * n ? 0 : 1;
}

/* vfork-exit N: a vfork child whose exec fails ends with _exit(127), as shells and spawn helpers
 * do; the parent's trace, which the child shares, must go on untouched: N recvs after. */
static int vfork_exit(int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int ok = sc_recv_each(sp, n);
  pid_t pid = vfork();
  if (pid == 0) {
    execl("/nonexistent/program", "program", (char *)NULL);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ok += sc_recv_each(sp, n);
  sc_say("child exit %d; recvs %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1, ok);
  return ok == 2 * n ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "vfork-exit") == 0)
    return vfork_exit(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "thread-churn") == 0)
    return thread_churn(atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "rlimit-as") == 0)
    return address_space(argv[2], atoi(argv[3]));
  if (argc >= 3 && strncmp(argv[1], "fork-", 5) == 0)
    return workers(argv[1], atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "exec-chain") == 0)
    return exec_chain(argv, atoi(argv[2]));
  return 2;
}
