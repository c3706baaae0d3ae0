/* echo_poll.c: echo server waiting in poll() on an array with one entry per socket. */
#include "conn_table.h"
#include "server_common.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 1);
  struct conn_table conns;
  conn_table_init(&conns);
  /* Entry 0 is the listener; one entry per connection follows. */
  struct pollfd *fds = calloc((size_t)server_fd_limit(), sizeof *fds);
  if (fds == NULL) {
    fprintf(stderr, "%s: out of memory\n", server_prog);
    return 1;
  }
  fds[0].fd = listen_fd;
  fds[0].events = POLLIN;
  nfds_t count = 1;

  while (!server_stop_requested) {
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR)
        continue;
      perror("poll");
      break;
    }

    for (nfds_t i = 1; i < count; i++) {
      if (fds[i].revents == 0)
        continue;
      struct echo_conn *c = conn_table_get(&conns, fds[i].fd);
      /* POLLHUP and POLLERR are reported whatever was asked; the next call shows what happened. */
      enum echo_want want = echo_conn_pending(c) ? echo_conn_flush(c) : echo_conn_read_once(c);
      if (want == ECHO_CLOSED) {
        conn_table_remove(&conns, fds[i].fd);
        fds[i].fd = -1; /* compacted below */
      } else {
        fds[i].events = want == ECHO_WANT_WRITE ? POLLOUT : POLLIN;
      }
    }

    nfds_t kept = 1;
    for (nfds_t i = 1; i < count; i++)
      if (fds[i].fd >= 0)
        fds[kept++] = fds[i];
    count = kept;

    if (fds[0].revents != 0) {
      int fd;
      while ((fd = server_accept(listen_fd, 1)) >= 0) {
        if (conn_table_add(&conns, fd) == NULL)
          continue;
        fds[count].fd = fd;
        fds[count].events = POLLIN;
        fds[count].revents = 0;
        count++;
      }
    }
  }
  free(fds);
  conn_table_destroy(&conns);
  close(listen_fd);
  return 0;
}
