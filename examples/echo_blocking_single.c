/* echo_blocking_single.c: echo server with blocking sockets serving one client at a time. */
#include "server_common.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* Echoes until the client closes; other clients wait in the listen backlog meanwhile. */
static void serve(int fd) {
  char buf[8192];
  while (!server_stop_requested) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || server_send_all(fd, buf, (size_t)n) != 0)
      break;
  }
  close(fd);
}

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 0);
  while (!server_stop_requested) {
    int fd = server_accept(listen_fd, 0);
    if (fd >= 0)
      serve(fd);
    else if (errno != EINTR && errno != EINVAL)
      perror("accept");
  }
  close(listen_fd);
  return 0;
}
