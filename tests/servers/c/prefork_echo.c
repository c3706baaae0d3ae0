/* A pre-forking server that re-executes itself: the shape of nginx or apache, made small.

   prefork_echo PORT WORKERS: reads one byte through a pipe (a traced read), re-executes itself
   as the master (same pid, a new program image), which listens on 127.0.0.1:PORT, forks WORKERS
   children that each re-execute themselves as a worker inheriting the listener, and prints
   "ready" once all run. Workers serve echo with poll; SIGTERM to the master stops them all, and
   the master prints "accepted N" (the sum of its workers' exit reports) before exiting. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "srv_common.h"

#define MAX_WORKERS 16

static volatile sig_atomic_t stop;
static int wake[2] = {-1, -1};

static void on_term(int sig) {
  (void)sig;
  stop = 1;
  if (wake[1] >= 0) {
    int saved = errno;
    (void)!write(wake[1], "t", 1);
    errno = saved;
  }
}

static void reexec(char *self, char *role, char *a, char *b) {
  char *args[] = {self, role, a, b, NULL};
  execv("/proc/self/exe", args);
  srv_die("execv /proc/self/exe");
}

/* The worker: serves until SIGTERM, then reports its accepted count in its exit status. */
static int worker(int lfd) {
  struct sigaction sa = {.sa_handler = on_term};
  sigaction(SIGTERM, &sa, NULL);
  long n = srv_echo_poll(lfd, &stop);
  return n > 250 ? 250 : (int)n;
}

static int master(int port, int nworkers) {
  pid_t pids[MAX_WORKERS];
  struct sigaction sa = {.sa_handler = on_term};
  char fdarg[16];
  long total = 0;
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
    srv_die("pipe2");
  sigaction(SIGTERM, &sa, NULL);
  int lfd = srv_listen(port);
  fcntl(lfd, F_SETFL, O_NONBLOCK);
  snprintf(fdarg, sizeof fdarg, "%d", lfd);
  for (int i = 0; i < nworkers; i++) {
    pids[i] = fork();
    if (pids[i] < 0)
      srv_die("fork");
    if (pids[i] == 0)
      reexec(program_invocation_name, "--worker", fdarg, NULL);
  }
  printf("ready\n");
  fflush(stdout);
  while (!stop) {
    struct pollfd p = {.fd = wake[0], .events = POLLIN};
    char c;
    if (poll(&p, 1, 500) == 1)
      (void)!read(wake[0], &c, 1);
  }
  for (int i = 0; i < nworkers; i++)
    kill(pids[i], SIGTERM);
  for (int i = 0; i < nworkers; i++) {
    int status;
    if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status))
      total += WEXITSTATUS(status);
  }
  printf("accepted %ld\n", total);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--worker") == 0)
    return worker(atoi(argv[2]));
  if (argc == 4 && strcmp(argv[1], "--master") == 0)
    return master(atoi(argv[2]), atoi(argv[3]));
  if (argc != 3 || atoi(argv[2]) < 1 || atoi(argv[2]) > MAX_WORKERS) {
    fprintf(stderr, "usage: prefork_echo PORT WORKERS (1..%d)\n", MAX_WORKERS);
    return 1;
  }
  int p[2];
  char c;
  if (pipe(p) != 0 || write(p[1], "s", 1) != 1 || read(p[0], &c, 1) != 1)
    srv_die("pipe");
  close(p[0]);
  close(p[1]);
  reexec(argv[0], "--master", argv[1], argv[2]);
  return 2;
}
