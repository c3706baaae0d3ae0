/* server_common.c: what every example echo server shares: options, listening socket, stopping. */
#include "server_common.h"
#include "fdlimit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

volatile sig_atomic_t server_stop_requested;
const char *server_prog = "echo";

static volatile sig_atomic_t listen_fd_to_wake = -1;
static volatile sig_atomic_t client_fd_to_wake = -1;
static int fd_limit = 1024;

static void on_stop_signal(int sig) {
  int saved_errno = errno;
  (void)sig;
  server_stop_requested = 1;
  /* A signal landing between the flag check and a blocking call would be missed; shutting the
   * listener down wakes accept() and makes the listener ready in select/poll/epoll, so the loop
   * gets back to the flag. shutdown() is async-signal-safe. */
  if (listen_fd_to_wake >= 0)
    shutdown(listen_fd_to_wake, SHUT_RD);
  if (client_fd_to_wake >= 0)
    shutdown(client_fd_to_wake, SHUT_RDWR);
  errno = saved_errno;
}

static void usage(void) {
  fprintf(stderr, "usage: %s [-p PORT] [-a ADDR]\n  defaults: -p 7000 -a 127.0.0.1\n", server_prog);
  exit(2);
}

static void catch_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  /* No SA_RESTART: blocking calls must return EINTR so the loop sees the stop flag. */
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* A client that goes away mid-echo must cost an EPIPE, not the process. */
  signal(SIGPIPE, SIG_IGN);
}

static int open_listener(const char *addr, int port, int nonblocking) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
    fprintf(stderr, "%s: not an IPv4 address: %s\n", server_prog, addr);
    exit(2);
  }
  int fd = socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, SOMAXCONN) != 0) {
    fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", server_prog, addr, port, strerror(errno));
    exit(1);
  }
  return fd;
}

int server_start(int argc, char **argv, int nonblocking) {
  const char *addr = "127.0.0.1";
  long port = 7000;
  const char *slash = strrchr(argv[0], '/');
  server_prog = slash ? slash + 1 : argv[0];

  int opt;
  while ((opt = getopt(argc, argv, "p:a:")) != -1) {
    char *end;
    switch (opt) {
    case 'p':
      port = strtol(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || port < 0 || port > 65535)
        usage();
      break;
    case 'a':
      addr = optarg;
      break;
    default:
      usage();
    }
  }
  if (optind != argc)
    usage();

  rlim_t limit = fdlimit_raise(server_prog, 0);
  if (limit > 0 && limit < INT_MAX)
    fd_limit = (int)limit;
  int fd = open_listener(addr, (int)port, nonblocking);
  listen_fd_to_wake = fd;
  catch_signals();

  /* With -p 0 the kernel picks the port; print the one it picked. */
  struct sockaddr_in bound;
  socklen_t len = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &len);
  printf("listening on %s:%u\n", addr, (unsigned)ntohs(bound.sin_port));
  fflush(stdout);
  return fd;
}

int server_prepare_conn(int fd, int nonblocking) {
  int one = 1;
  /* Echoes are small writes answered at once; Nagle would hold a second piece back for an ACK. */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (nonblocking) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
      return -1;
  }
  return 0;
}

int server_accept(int listen_fd, int nonblocking) {
  for (;;) {
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) {
      /* A connection reset while still queued is no reason to stop; take the next one. */
      if (errno == ECONNABORTED)
        continue;
      /* EINVAL: the listener was shut down by a stop signal. */
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
          !(errno == EINVAL && server_stop_requested))
        fprintf(stderr, "%s: accept: %s\n", server_prog, strerror(errno));
      return -1;
    }
    if (server_prepare_conn(fd, nonblocking) != 0) {
      int saved_errno = errno;
      close(fd);
      errno = saved_errno;
      return -1;
    }
    return fd;
  }
}

int server_fd_limit(void) {
  return fd_limit;
}

void server_stop_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
}

void server_wake_on_stop(int fd) {
  client_fd_to_wake = fd;
}

/* Writes all of buf to a blocking socket; -1 on error or when a stop signal interrupts it. */
static int send_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR && !server_stop_requested)
        continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

void server_echo_blocking(int fd) {
  char buf[8192];
  while (!server_stop_requested) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || send_all(fd, buf, (size_t)n) != 0)
      break;
  }
}
