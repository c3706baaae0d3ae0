/* echo_epoll_et.c: echo server waiting in epoll_wait() with edge-triggered interest (EPOLLET):
 * each report comes once per change, so every socket is read until recv says EAGAIN.  The
 * registration with EPOLLET and the epoll_wait loop are in epoll_et_loop.c. */
#include "epoll_et_loop.h"

/* Edge-triggered: this report is the only one until new data comes, so read until EAGAIN. */
static enum echo_want serve(struct echo_conn *c, uint32_t events) {
  (void)events;
  return echo_conn_drain(c);
}

int main(int argc, char **argv) {
  return epoll_et_run(argc, argv, serve);
}
