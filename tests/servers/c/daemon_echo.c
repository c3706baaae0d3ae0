/* A classic daemon: double fork, setsid, every fd closed, chdir("/"), then a poll echo server.

   daemon_echo PORT [--raw]: returns once the daemon listens on 127.0.0.1:PORT. The first process
   and the middle child each wait for one byte from the daemon on a pipe (poll + read, read), so
   every process of the three makes traced calls. The daemon stops on SIGTERM and prints nothing.
   With --raw the fds are closed by system calls made directly, which no preloaded library sees,
   as code with its own system call stubs does. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "srv_common.h"

static volatile sig_atomic_t stop;
static int raw;

static void close_range_any(unsigned first, unsigned last) {
  if (raw)
    syscall(SYS_close_range, first, last, 0);
  else
    close_range(first, last, 0);
}

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

/* Closes every fd but keep: 0-2 one by one, the rest with close_range around keep. */
static void close_all_but(int keep) {
  for (int fd = 0; fd < 3; fd++)
    if (fd != keep)
      raw ? syscall(SYS_close, fd) : close(fd);
  if (keep > 3)
    close_range_any(3, (unsigned)keep - 1);
  close_range_any((unsigned)keep + 1, ~0u);
}

static void run_daemon(int port, int ready_fd) {
  struct sigaction sa = {.sa_handler = on_term};
  close_all_but(ready_fd);
  if (chdir("/") != 0)
    srv_die("chdir");
  umask(0);
  int null = open("/dev/null", O_RDWR);
  if (null != 0 || dup2(null, 1) != 1 || dup2(null, 2) != 2)
    _exit(3);
  sigaction(SIGTERM, &sa, NULL);
  int lfd = srv_listen(port);
  /* One byte for the first process and one for the middle child. */
  if (write(ready_fd, "rr", 2) != 2)
    _exit(4);
  close(ready_fd);
  srv_echo_poll(lfd, &stop);
  exit(0);
}

int main(int argc, char **argv) {
  int pipefd[2];
  char byte;
  if (argc != 2 && !(argc == 3 && strcmp(argv[2], "--raw") == 0)) {
    fprintf(stderr, "usage: daemon_echo PORT [--raw]\n");
    return 1;
  }
  raw = argc == 3;
  int port = atoi(argv[1]);
  if (pipe(pipefd) != 0)
    srv_die("pipe");
  pid_t child = fork();
  if (child < 0)
    srv_die("fork");
  if (child == 0) {
    if (setsid() < 0)
      srv_die("setsid");
    pid_t grandchild = fork();
    if (grandchild < 0)
      srv_die("fork");
    if (grandchild == 0) {
      close(pipefd[0]);
      run_daemon(port, pipefd[1]);
    }
    close(pipefd[1]);
    _exit(read(pipefd[0], &byte, 1) == 1 ? 0 : 1);
  }
  close(pipefd[1]);
  struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
  if (poll(&p, 1, 20000) != 1 || read(pipefd[0], &byte, 1) != 1) {
    fprintf(stderr, "daemon_echo: the daemon did not start\n");
    return 1;
  }
  return 0;
}
