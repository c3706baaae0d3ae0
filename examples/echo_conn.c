/* echo_conn.c: one non-blocking echo connection, holding the bytes received and not yet sent back.
 */
#include "echo_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct echo_conn *echo_conn_new(int fd) {
  struct echo_conn *c = malloc(sizeof *c);
  if (c == NULL)
    return NULL;
  c->fd = fd;
  c->len = 0;
  c->sent = 0;
  return c;
}

void echo_conn_free(struct echo_conn *c) {
  close(c->fd);
  free(c);
}

int echo_conn_pending(const struct echo_conn *c) {
  return c->sent < c->len;
}

enum echo_want echo_conn_flush(struct echo_conn *c) {
  while (c->sent < c->len) {
    ssize_t n = send(c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return ECHO_WANT_WRITE;
      return ECHO_CLOSED;
    }
    c->sent += (size_t)n;
  }
  c->len = 0;
  c->sent = 0;
  return ECHO_WANT_READ;
}

/* One recv into the empty buffer: ECHO_WANT_WRITE when bytes came (to be flushed). */
static enum echo_want receive(struct echo_conn *c) {
  ssize_t n;
  do
    n = recv(c->fd, c->buf, sizeof c->buf, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    c->len = (size_t)n;
    c->sent = 0;
    return ECHO_WANT_WRITE;
  }
  if (n == 0)
    return ECHO_CLOSED;
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    return ECHO_WANT_READ;
  return ECHO_CLOSED;
}

enum echo_want echo_conn_read_once(struct echo_conn *c) {
  enum echo_want want = receive(c);
  return want == ECHO_WANT_WRITE ? echo_conn_flush(c) : want;
}

enum echo_want echo_conn_drain(struct echo_conn *c) {
  for (;;) {
    enum echo_want want = echo_conn_flush(c);
    if (want != ECHO_WANT_READ)
      return want;
    want = receive(c);
    if (want != ECHO_WANT_WRITE)
      return want;
  }
}
