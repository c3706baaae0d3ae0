/* Helpers shared by the test servers: listener, whole writes, and a poll-based echo loop. */
#define _GNU_SOURCE
#include "srv_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SRV_MAX_CONNS 256

void srv_die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(2);
}

int srv_listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (fd < 0)
    srv_die("socket");
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
    srv_die("bind");
  if (listen(fd, 4096) != 0)
    srv_die("listen");
  return fd;
}

int srv_port(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    srv_die("getsockname");
  return ntohs(a.sin_port);
}

int srv_send_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

long srv_echo_poll(int lfd, volatile sig_atomic_t *stop) {
  struct pollfd fds[SRV_MAX_CONNS + 1];
  int n = 1;
  long accepted = 0;
  char buf[65536];
  fds[0].fd = lfd;
  fds[0].events = POLLIN;
  while (!*stop) {
    int ready = poll(fds, (nfds_t)n, 100);
    if (ready < 0 && errno != EINTR)
      srv_die("poll");
    if (ready <= 0)
      continue;
    if ((fds[0].revents & POLLIN) && n <= SRV_MAX_CONNS) {
      /* Several processes may poll the same listener: losing the race is not an error. */
      int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
      if (c >= 0) {
        fds[n].fd = c;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
        accepted++;
      } else if (errno != EAGAIN && errno != EINTR) {
        srv_die("accept4");
      }
    }
    for (int i = 1; i < n; i++) {
      ssize_t got;
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      got = recv(fds[i].fd, buf, sizeof buf, 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (got <= 0 || srv_send_all(fds[i].fd, buf, (size_t)got) != 0) {
        close(fds[i].fd);
        fds[i] = fds[--n];
        i--;
      }
    }
  }
  return accepted;
}
