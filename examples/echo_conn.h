/* echo_conn.h: one non-blocking echo connection, holding the bytes received and not yet sent back.
 */
#ifndef EXAMPLES_ECHO_CONN_H
#define EXAMPLES_ECHO_CONN_H

#include <stddef.h>

#define ECHO_CONN_BUF 8192

struct echo_conn {
  int fd;
  size_t len;  /* bytes in buf */
  size_t sent; /* of which already sent back */
  char buf[ECHO_CONN_BUF];
};

/* What the connection waits for next. */
enum echo_want { ECHO_WANT_READ, ECHO_WANT_WRITE, ECHO_CLOSED };

/* Wraps a connected non-blocking socket; NULL if out of memory (the socket stays open). */
struct echo_conn *echo_conn_new(int fd);

/* Closes the socket and frees the connection. */
void echo_conn_free(struct echo_conn *c);

/* True while received bytes wait to be sent back. */
int echo_conn_pending(const struct echo_conn *c);

/* One recv, then sends back what it got: the step for level-triggered readiness. */
enum echo_want echo_conn_read_once(struct echo_conn *c);

/* Sends back the pending bytes, as far as the socket takes them. */
enum echo_want echo_conn_flush(struct echo_conn *c);

/* Sends back and reads again until recv says EAGAIN (or the send would block): the step for
 * edge-triggered and signal-driven readiness, which announce new data only once. */
enum echo_want echo_conn_drain(struct echo_conn *c);

#endif
