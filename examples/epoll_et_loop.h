/* epoll_et_loop.h: the edge-triggered epoll loop shared by the two ET echo servers. */
#ifndef EPOLL_ET_LOOP_H
#define EPOLL_ET_LOOP_H

#include <stdint.h>

#include "echo_conn.h"

/* Serves one readiness report for c (events as epoll_wait gave them). */
typedef enum echo_want (*epoll_et_serve_fn)(struct echo_conn *c, uint32_t events);

/* Listens as the command line says, registers the listener and every connection with EPOLLET
 * (connections also EPOLLIN|EPOLLOUT|EPOLLRDHUP), and calls serve for each report until a stop
 * signal.  Returns main's exit status. */
int epoll_et_run(int argc, char **argv, epoll_et_serve_fn serve);

#endif
