/* echo_blocking_large.c: echo_blocking_single with a 1 MiB read buffer, so that one recv can
 * take a whole large message (docs/exercises/02-wait-and-copy.md measures its copy phase). */
#include "server_common.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)

/* Sends all of buf; 0, or -1 on an error or a stop. */
static int send_whole(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR && !server_stop_requested)
      continue;
    if (n <= 0)
      return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 0);
  char *buf = malloc(BUF_SIZE); /* too big for the stack of every libc's main thread */
  if (!buf)
    return 1;
  while (!server_stop_requested) {
    int fd = server_accept(listen_fd, 0);
    if (fd < 0)
      continue;
    server_wake_on_stop(fd);
    while (!server_stop_requested) {
      ssize_t n = recv(fd, buf, BUF_SIZE, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || send_whole(fd, buf, (size_t)n) != 0)
        break;
    }
    server_wake_on_stop(-1);
    close(fd);
  }
  free(buf);
  close(listen_fd);
  return 0;
}
