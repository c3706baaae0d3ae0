/* Scenario for accept and accept4 on loopback TCP and unix listeners, flags and error paths. */
#define _GNU_SOURCE
#include "scenario.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listener(struct sockaddr_in *at) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  *at = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof *at;
  if (l < 0 || bind(l, (struct sockaddr *)at, len) != 0 || listen(l, 64) != 0 ||
      getsockname(l, (struct sockaddr *)at, &len) != 0)
    exit(99);
  return l;
}

/* Connects, then waits until the listener has the connection queued: accepts never race it. */
static int dial(int l, const struct sockaddr_in *at) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0 || connect(c, (const struct sockaddr *)at, sizeof *at) != 0)
    exit(99);
  struct pollfd p = {l, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1)
    exit(99);
  return c;
}

static void show_flags(int fd) {
  sc_say("  cloexec %d nonblock %d", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC),
         !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
}

static void tcp(void) {
  struct sockaddr_in at, peer;
  socklen_t len = sizeof peer;
  int l = listener(&at);
  fcntl(l, F_SETFL, O_NONBLOCK);
  SHOW_FD(accept(l, NULL, NULL));
  SHOW_FD(accept4(l, NULL, NULL, SOCK_CLOEXEC));
  int c1 = dial(l, &at);
  int a1 = SHOW_FD(accept(l, (struct sockaddr *)&peer, &len));
  sc_say("  peer family %d len %u loopback %d", peer.sin_family, len,
         peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  show_flags(a1);
  sc_put(c1, "over tcp", 8);
  char buf[16];
  SHOW_BUF(recv(a1, buf, sc_opaque(sizeof buf), MSG_WAITALL | MSG_DONTWAIT), buf);

  int c2 = dial(l, &at);
  int a2 = SHOW_FD(accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK));
  show_flags(a2);
  int c3 = dial(l, &at);
  int a3 = SHOW_FD(accept4(l, NULL, NULL, SOCK_CLOEXEC));
  show_flags(a3);
  int c4 = dial(l, &at);
  int a4 = SHOW_FD(accept4(l, NULL, NULL, 0));
  show_flags(a4);
  SHOW_FD(accept4(l, NULL, NULL, 0x1));
  int c5 = dial(l, &at);
  len = 0;
  SHOW_FD(accept(l, (struct sockaddr *)&peer, &len));
  sc_say("  len %u", len);
  int c6 = dial(l, &at);
  len = sizeof peer;
  SHOW_FD(accept(l, sc_bad_ptr(), &len));
  len = (socklen_t)-1;
  SHOW_FD(accept(l, (struct sockaddr *)&peer, &len));
  SHOW_FD(accept(l, NULL, NULL));

  /* Errors: a bad fd, not a socket, not listening, a datagram socket. */
  SHOW_FD(accept(-1, NULL, NULL));
  int f = sc_regular_file("file");
  SHOW_FD(accept(f, NULL, NULL));
  SHOW_FD(accept4(f, NULL, NULL, SOCK_CLOEXEC));
  SHOW_FD(accept(c1, NULL, NULL));
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  SHOW_FD(accept(u, NULL, NULL));
  int fds[] = {l, c1, c2, c3, c4, c5, c6, a1, a2, a3, a4, f, u};
  for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++)
    close(fds[i]);
}

static void unix_stream(void) {
  struct sockaddr_un at = {.sun_family = AF_UNIX};
  /* An abstract name, unique per process: nothing to clean up on disk. */
  snprintf(at.sun_path + 1, sizeof at.sun_path - 1, "iotrace-accept-%d", (int)getpid());
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(at.sun_path + 1);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&at, alen) != 0 || listen(l, 4) != 0)
    exit(99);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&at, alen) != 0)
    exit(99);
  struct sockaddr_un peer;
  socklen_t len = sizeof peer;
  int a = SHOW_FD(accept4(l, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK));
  sc_say("  unix peer len %u", len);
  show_flags(a);
  close(a);
  close(c);
  close(l);
}

/* load K: K accepts, K accept4s, then one accept4 that would block. */
static int load(int k) {
  struct sockaddr_in at;
  int l = listener(&at), ok = 0;
  for (int i = 0; i < 2 * k; i++) {
    int c = dial(l, &at);
    int a = i < k ? accept(l, NULL, NULL) : accept4(l, NULL, NULL, SOCK_CLOEXEC);
    ok += a >= 0;
    close(a);
    close(c);
  }
  sc_expect(ok == 2 * k, "every connection accepted");
  fcntl(l, F_SETFL, O_NONBLOCK);
  sc_expect(accept4(l, NULL, NULL, 0) < 0 && errno == EAGAIN, "EAGAIN");
  sc_say("load k=%d accepted=%d", k, ok);
  return sc_failures();
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "load") == 0)
    return load(atoi(argv[2]));
  static const struct sc_section sections[] = {{"tcp", tcp}, {"unix", unix_stream}, {0}};
  return sc_sections(sections);
}
