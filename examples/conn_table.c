/* conn_table.c: the open echo connections of a single-threaded server, indexed by fd. */
#include "conn_table.h"
#include "server_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void conn_table_init(struct conn_table *t) {
  t->by_fd = calloc((size_t)server_fd_limit(), sizeof *t->by_fd);
  if (t->by_fd == NULL) {
    fprintf(stderr, "%s: out of memory\n", server_prog);
    exit(1);
  }
  t->max_fd = -1;
}

struct echo_conn *conn_table_add(struct conn_table *t, int fd) {
  struct echo_conn *c = echo_conn_new(fd);
  if (c == NULL) {
    fprintf(stderr, "%s: out of memory, dropping a connection\n", server_prog);
    close(fd);
    return NULL;
  }
  t->by_fd[fd] = c;
  if (fd > t->max_fd)
    t->max_fd = fd;
  return c;
}

struct echo_conn *conn_table_get(const struct conn_table *t, int fd) {
  return fd >= 0 && fd <= t->max_fd ? t->by_fd[fd] : NULL;
}

void conn_table_remove(struct conn_table *t, int fd) {
  echo_conn_free(t->by_fd[fd]);
  t->by_fd[fd] = NULL;
  while (t->max_fd >= 0 && t->by_fd[t->max_fd] == NULL)
    t->max_fd--;
}

void conn_table_destroy(struct conn_table *t) {
  for (int fd = 0; fd <= t->max_fd; fd++)
    if (t->by_fd[fd] != NULL)
      echo_conn_free(t->by_fd[fd]);
  free(t->by_fd);
  t->by_fd = NULL;
  t->max_fd = -1;
}
