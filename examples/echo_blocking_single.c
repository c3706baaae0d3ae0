/* echo_blocking_single.c: echo server with blocking sockets serving one client at a time. */
#include "server_common.h"

#include <unistd.h>

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 0);
  while (!server_stop_requested) {
    int fd = server_accept(listen_fd, 0);
    if (fd < 0)
      continue;
    /* Other clients wait in the listen backlog until this one closes. */
    server_wake_on_stop(fd);
    server_echo_blocking(fd);
    server_wake_on_stop(-1);
    close(fd);
  }
  close(listen_fd);
  return 0;
}
