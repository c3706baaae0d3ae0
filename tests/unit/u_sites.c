/* Reads through two call sites, so a trace with IOTRACE_STACK shows two sites named after them. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile long sink; /* keeps the calls below from becoming tail calls */

__attribute__((noinline)) void u_site_alpha(int fd) {
  char b[8];
  sink += recv(fd, b, sizeof b, 0);
}

__attribute__((noinline)) void u_site_beta(int fd) {
  char b[8];
  sink += recv(fd, b, sizeof b, 0);
}

int main(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
    return 1;
  for (int i = 0; i < 3; i++) {
    write(sv[1], "a", 1);
    u_site_alpha(sv[0]);
    write(sv[1], "b", 1);
    u_site_beta(sv[0]);
  }
  printf("read %ld bytes\n", sink);
  return 0;
}
