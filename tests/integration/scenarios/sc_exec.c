/* Scenario for exec: an image recvs twice and execs itself, the new image recvs three times. */
#define _GNU_SOURCE
#include "scenario.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

static int recv_n(int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  return sc_recv_each(sp, n);
}

/* The environment without LD_PRELOAD: the shim must carry itself into the new image anyway. */
static char **without_preload(void) {
  int n = 0;
  while (environ[n])
    n++;
  char **env = calloc(n + 1, sizeof *env);
  int k = 0;
  for (int i = 0; i < n; i++)
    if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
      env[k++] = environ[i];
  return env;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "second") == 0) {
    sc_expect(recv_n(3) == 3, "second image");
    sc_say("second image pid %d", (int)getpid());
    return sc_failures();
  }
  int strip = argc == 2 && strcmp(argv[1], "strip-env") == 0;
  int empty = argc == 2 && strcmp(argv[1], "empty-env") == 0; /* nothing at all, as su - does */
  static char *nothing[] = {NULL};
  sc_expect(recv_n(2) == 2, "first image");
  sc_say("first image pid %d", (int)getpid());
  char *args[] = {argv[0], "second", NULL};
  execve("/proc/self/exe", args, empty ? nothing : strip ? without_preload() : environ);
  sc_say("execve failed");
  return 1;
}
