/* echo_select.c: echo server waiting in select(), with fd sets sized to the highest fd so that it
 * serves more than FD_SETSIZE (1024) connections. */
#include "conn_table.h"
#include "server_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

/* The kernel reads nfds bits from whatever memory it is given, but glibc's FD_SET and FD_ISSET
 * abort past FD_SETSIZE when _FORTIFY_SOURCE is on, so the bits are handled here. The words are
 * unsigned so that bit 63 can be shifted into place; the kernel sees them as unsigned too. */
typedef unsigned long fd_word;
_Static_assert(sizeof(fd_word) == sizeof(fd_mask), "fd_set words are fd_mask-sized");

static void bit_set(fd_word *set, int fd) {
  set[fd / NFDBITS] |= (fd_word)1 << (fd % NFDBITS);
}

static int bit_isset(const fd_word *set, int fd) {
  return (set[fd / NFDBITS] >> (fd % NFDBITS)) & 1;
}

static void accept_all(int listen_fd, struct conn_table *conns) {
  int fd;
  while ((fd = server_accept(listen_fd, 1)) >= 0)
    conn_table_add(conns, fd);
}

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 1);
  struct conn_table conns;
  conn_table_init(&conns);
  size_t words = ((size_t)server_fd_limit() + NFDBITS - 1) / NFDBITS;
  fd_word *readable = calloc(words, sizeof *readable);
  fd_word *writable = calloc(words, sizeof *writable);
  if (readable == NULL || writable == NULL) {
    fprintf(stderr, "%s: out of memory\n", server_prog);
    return 1;
  }

  while (!server_stop_requested) {
    int nfds = (conns.max_fd > listen_fd ? conns.max_fd : listen_fd) + 1;
    size_t used = ((size_t)nfds + NFDBITS - 1) / NFDBITS;
    memset(readable, 0, used * sizeof *readable);
    memset(writable, 0, used * sizeof *writable);
    bit_set(readable, listen_fd);
    /* A connection with bytes still to send back waits for room, not for more input. */
    for (int fd = 0; fd <= conns.max_fd; fd++) {
      struct echo_conn *c = conn_table_get(&conns, fd);
      if (c != NULL)
        bit_set(echo_conn_pending(c) ? writable : readable, fd);
    }

    if (select(nfds, (fd_set *)readable, (fd_set *)writable, NULL, NULL) < 0) {
      if (errno == EINTR)
        continue;
      perror("select");
      break;
    }

    for (int fd = 0; fd < nfds; fd++) {
      struct echo_conn *c = conn_table_get(&conns, fd);
      enum echo_want want = ECHO_WANT_READ;
      if (c != NULL && bit_isset(writable, fd))
        want = echo_conn_flush(c);
      else if (c != NULL && bit_isset(readable, fd))
        want = echo_conn_read_once(c);
      if (want == ECHO_CLOSED)
        conn_table_remove(&conns, fd);
    }
    /* Accepted last, so that new fds are not looked up in this round's sets. */
    if (bit_isset(readable, listen_fd))
      accept_all(listen_fd, &conns);
  }
  free(readable);
  free(writable);
  conn_table_destroy(&conns);
  close(listen_fd);
  return 0;
}
