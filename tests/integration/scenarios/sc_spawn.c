/* Scenario for vfork+exec and posix_spawn: the parent recvs around starting a child that recvs. */
#define _GNU_SOURCE
#include "scenario.h"

#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int recv_n(int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int ok = sc_recv_each(sp, n);
  close(sp[0]);
  close(sp[1]);
  return ok;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) {
    int n = atoi(argv[2]);
    return recv_n(n) == n ? 0 : 1;
  }
  if (argc != 2)
    return 2;
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0)
    return 99;
  self[len] = 0;
  char *args[] = {argv[0], "child", "7", NULL};
  sc_expect(recv_n(3) == 3, "parent before");
  pid_t child = -1;
  if (strcmp(argv[1], "vfork") == 0) {
    child = vfork();
    if (child == 0) {
      execve(self, args, environ);
      _exit(127);
    }
  } else if (posix_spawn(&child, self, NULL, NULL, args, environ) != 0) {
    child = -1;
  }
  sc_expect(child > 0, "child started");
  int status = 0;
  if (child > 0)
    while (waitpid(child, &status, 0) < 0)
      ;
  sc_expect(status == 0, "child recvd 7 times");
  sc_expect(recv_n(2) == 2, "parent after");
  sc_say("parent %d child %d", (int)getpid(), (int)child);
  return sc_failures();
}
