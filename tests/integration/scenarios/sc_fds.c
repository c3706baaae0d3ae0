/* Scenario for descriptor numbers: a traced program gets the same fds as an untraced one. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int sp[2], p[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_say("socketpair %d %d", sp[0], sp[1]);
  sc_pipe(p);
  sc_say("pipe %d %d", p[0], p[1]);
  sc_say("epoll %d", epoll_create1(0));
  sc_say("open %d", open("/dev/null", O_RDONLY));
  sc_say("dup %d", dup(0));
  return 0;
}
