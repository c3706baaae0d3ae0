/* echo_busy_poll.c: echo server that never waits: it spins over non-blocking accept and recv. */
#include "conn_table.h"
#include "server_common.h"

#include <unistd.h>

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 1);
  struct conn_table conns;
  conn_table_init(&conns);

  /* Nothing blocks, so the stop flag is seen within one pass; most calls here fail with EAGAIN,
   * which is the point of this model. */
  while (!server_stop_requested) {
    int fd;
    while ((fd = server_accept(listen_fd, 1)) >= 0)
      conn_table_add(&conns, fd);

    for (fd = 0; fd <= conns.max_fd; fd++) {
      struct echo_conn *c = conn_table_get(&conns, fd);
      if (c == NULL)
        continue;
      enum echo_want want = echo_conn_pending(c) ? echo_conn_flush(c) : echo_conn_read_once(c);
      if (want == ECHO_CLOSED)
        conn_table_remove(&conns, fd);
    }
  }
  conn_table_destroy(&conns);
  close(listen_fd);
  return 0;
}
