/* conn_table.h: the open echo connections of a single-threaded server, indexed by fd. */
#ifndef EXAMPLES_CONN_TABLE_H
#define EXAMPLES_CONN_TABLE_H

#include "echo_conn.h"

struct conn_table {
  struct echo_conn **by_fd; /* server_fd_limit() slots */
  int max_fd;               /* highest fd in use, -1 when empty */
};

/* Sizes the table for every fd the process may open; exits if out of memory. */
void conn_table_init(struct conn_table *t);

/* Wraps fd in a connection and files it; closes fd and returns NULL if out of memory. */
struct echo_conn *conn_table_add(struct conn_table *t, int fd);

/* The connection on fd, or NULL. */
struct echo_conn *conn_table_get(const struct conn_table *t, int fd);

/* Closes and frees the connection on fd. */
void conn_table_remove(struct conn_table *t, int fd);

/* Closes every connection and frees the table. */
void conn_table_destroy(struct conn_table *t);

#endif
