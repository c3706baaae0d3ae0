/* Scenario for a daemon-like start: close every fd below 1024 and chdir to /, then recv N times. */
#define _GNU_SOURCE
#include "scenario.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  int n = atoi(argv[1]);
  for (int fd = 0; fd < 1024; fd++)
    close(fd);
  if (chdir("/") != 0)
    return 3;
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int ok = sc_recv_each(sp, n);
  /* stdout is gone: the exit status is the only report. */
  return ok == n ? 0 : 1;
}
