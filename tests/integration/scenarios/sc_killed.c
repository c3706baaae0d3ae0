/* Scenario for a process killed mid-run: N recvs, one byte on stdout to say so, then wait for
 * SIGKILL. */
#define _GNU_SOURCE
#include "scenario.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  int n = atoi(argv[1]);
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int ok = sc_recv_each(sp, n);
  sc_put(1, ok == n ? "R" : "F", 1);
  for (;;)
    pause();
}
