/* Starts children the two ways that share memory with the parent until exec: vfork + execv,
   and posix_spawn. Each child gets one end of a socketpair, receives "ping" and answers "pong".

   spawn_kinds: runs a vfork child, then a posix_spawn child; prints "ok" if both answered. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "srv_common.h"

extern char **environ;

static int child(int fd) {
  char buf[8];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n != 4 || memcmp(buf, "ping", 4) != 0)
    return 3;
  return srv_send_all(fd, "pong", 4) == 0 ? 0 : 4;
}

/* Talks to a started child over sv[0]; returns 0 if it answered and exited 0. */
static int talk(pid_t pid, int sv[2]) {
  char buf[8];
  int status;
  close(sv[1]);
  if (srv_send_all(sv[0], "ping", 4) != 0)
    return 1;
  ssize_t n = recv(sv[0], buf, sizeof buf, MSG_WAITALL);
  close(sv[0]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return 1;
  return n == 4 && memcmp(buf, "pong", 4) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  int sv[2];
  char fdarg[16];
  pid_t pid;
  if (argc == 3 && strcmp(argv[1], "--child") == 0)
    return child(atoi(argv[2]));

  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    srv_die("socketpair");
  snprintf(fdarg, sizeof fdarg, "%d", sv[1]);
  char *args[] = {argv[0], "--child", fdarg, NULL};
  pid = vfork();
  if (pid == 0) {
    execv("/proc/self/exe", args);
    _exit(127);
  }
  if (pid < 0 || talk(pid, sv) != 0) {
    fprintf(stderr, "spawn_kinds: the vfork child did not answer\n");
    return 1;
  }

  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    srv_die("socketpair");
  snprintf(fdarg, sizeof fdarg, "%d", sv[1]);
  if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) != 0 || talk(pid, sv) != 0) {
    fprintf(stderr, "spawn_kinds: the posix_spawn child did not answer\n");
    return 1;
  }
  printf("ok %d\n", (int)getpid());
  return 0;
}
