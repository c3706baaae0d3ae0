/* echo_async.c: asynchronous echo server on io_uring: accept, recv and send are submitted as
 * requests, and the loop only reaps their completions. */
#include "server_common.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RING_ENTRIES 256

/* One request in flight per connection: it either receives or sends back. */
struct conn {
  int fd;
  int sending;
  unsigned len, sent;
  char buf[8192];
};

/* Connections by fd, so that those still open at exit can be freed. */
static struct conn **conns;

/* A free submission slot; submits the queued ones first if the ring is full. */
static struct io_uring_sqe *get_sqe(struct io_uring *ring) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
  if (sqe == NULL) {
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  return sqe;
}

/* The accept request carries no user data, which is how its completions are told apart. */
static void queue_accept(struct io_uring *ring, int listen_fd) {
  struct io_uring_sqe *sqe = get_sqe(ring);
  io_uring_prep_accept(sqe, listen_fd, NULL, NULL, 0);
  io_uring_sqe_set_data(sqe, NULL);
}

static void queue_recv(struct io_uring *ring, struct conn *c) {
  struct io_uring_sqe *sqe = get_sqe(ring);
  c->sending = 0;
  io_uring_prep_recv(sqe, c->fd, c->buf, sizeof c->buf, 0);
  io_uring_sqe_set_data(sqe, c);
}

static void queue_send(struct io_uring *ring, struct conn *c) {
  struct io_uring_sqe *sqe = get_sqe(ring);
  c->sending = 1;
  io_uring_prep_send(sqe, c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
  io_uring_sqe_set_data(sqe, c);
}

static void close_conn(struct conn *c) {
  conns[c->fd] = NULL;
  close(c->fd);
  free(c);
}

static void on_accepted(struct io_uring *ring, int listen_fd, int res) {
  /* After a stop signal the listener is shut down and accept fails; no need to ask again. */
  if (!server_stop_requested)
    queue_accept(ring, listen_fd);
  if (res < 0) {
    if (res != -EINVAL && res != -ECONNABORTED && res != -EINTR)
      fprintf(stderr, "%s: accept: %s\n", server_prog, strerror(-res));
    return;
  }
  struct conn *c = malloc(sizeof *c);
  if (c == NULL || server_prepare_conn(res, 0) != 0) {
    free(c);
    close(res);
    return;
  }
  c->fd = res;
  conns[res] = c;
  queue_recv(ring, c);
}

static void on_completed(struct io_uring *ring, struct conn *c, int res) {
  if (res <= 0) {
    close_conn(c); /* peer closed (0) or error */
  } else if (!c->sending) {
    c->len = (unsigned)res;
    c->sent = 0;
    queue_send(ring, c);
  } else {
    c->sent += (unsigned)res;
    if (c->sent < c->len)
      queue_send(ring, c); /* short send: the rest */
    else
      queue_recv(ring, c);
  }
}

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 0);
  conns = calloc((size_t)server_fd_limit(), sizeof *conns);
  struct io_uring ring;
  int err = io_uring_queue_init(RING_ENTRIES, &ring, 0);
  if (conns == NULL || err < 0) {
    fprintf(stderr, "%s: io_uring_queue_init: %s\n", server_prog, strerror(-err));
    return 1;
  }
  queue_accept(&ring, listen_fd);

  while (!server_stop_requested) {
    struct io_uring_cqe *cqe;
    /* Submits what was queued and sleeps until at least one completion; a stop signal makes it
     * return -EINTR, or completes the accept by shutting the listener down. */
    err = io_uring_submit_and_wait(&ring, 1);
    if (err < 0 && err != -EINTR) {
      fprintf(stderr, "%s: io_uring_submit_and_wait: %s\n", server_prog, strerror(-err));
      break;
    }
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      struct conn *c = io_uring_cqe_get_data(cqe);
      if (c == NULL)
        on_accepted(&ring, listen_fd, cqe->res);
      else
        on_completed(&ring, c, cqe->res);
      seen++;
    }
    io_uring_cq_advance(&ring, seen);
  }
  /* Tearing the ring down cancels the requests still in flight before the buffers go. */
  io_uring_queue_exit(&ring);
  for (int fd = 0; fd < server_fd_limit(); fd++)
    if (conns[fd] != NULL)
      close_conn(conns[fd]);
  free(conns);
  close(listen_fd);
  return 0;
}
