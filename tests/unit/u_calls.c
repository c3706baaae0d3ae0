/* Makes one of each traced call on socketpairs, pipes and a listener, printing every result. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>

#define SHOW(expr)                                                                                 \
  do {                                                                                             \
    errno = 0;                                                                                     \
    long r_ = (long)(expr);                                                                        \
    printf("%-40s = %ld errno %d\n", #expr, r_, r_ < 0 ? errno : 0);                               \
  } while (0)

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 1;
  int sv[2], pp[2];
  char buf[64];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(pp))
    return 1;
  int lst = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  bind(lst, (struct sockaddr *)&a, sizeof a);
  listen(lst, 8);
  getsockname(lst, (struct sockaddr *)&a, &al);
  int ep = epoll_create1(0);
  for (int i = 0; i < rounds; i++) {
    SHOW(write(sv[1], "hello", 5));
    SHOW(recv(sv[0], buf, sizeof buf, 0));
    SHOW(write(pp[1], "pipe", 4));
    SHOW(read(pp[0], buf, sizeof buf));
    SHOW(write(sv[1], "vec", 3));
    struct iovec iov = {buf, sizeof buf};
    SHOW(readv(sv[0], &iov, 1));
    SHOW(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
    struct pollfd p = {sv[1], POLLOUT, 0};
    SHOW(poll(&p, 1, 0));
    fd_set w;
    FD_ZERO(&w);
    FD_SET(sv[1], &w);
    struct timeval tv = {0, 0};
    SHOW(select(sv[1] + 1, NULL, &w, NULL, &tv));
    struct epoll_event ev = {.events = EPOLLOUT}, out[4];
    SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
    SHOW(epoll_wait(ep, out, 4, 0));
    SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, sv[1], NULL));
    SHOW(accept4(lst, NULL, NULL, SOCK_CLOEXEC));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW(connect(c, (struct sockaddr *)&a, sizeof a));
    int s = accept(lst, NULL, NULL);
    SHOW(s >= 0);
    int d = dup(s);
    SHOW(close(d));
    SHOW(close(s));
    SHOW(close(c));
  }
  return 0;
}
