/* A library whose constructor calls recv, poll and epoll_wait before the shim's constructor ran. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

char u_early_report[256];

__attribute__((constructor)) static void u_early(void) {
  int sv[2];
  char buf[8];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
    return;
  write(sv[1], "early", 5);
  struct pollfd p = {sv[0], POLLIN, 0};
  int pr = poll(&p, 1, 1000);
  long n = recv(sv[0], buf, sizeof buf, 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLOUT}, out[1];
  epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
  int ew = epoll_wait(ep, out, 1, 0);
  snprintf(u_early_report, sizeof u_early_report, "poll %d recv %ld epoll_wait %d", pr, n, ew);
  close(ep), close(sv[0]), close(sv[1]);
}
