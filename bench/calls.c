/* Per-call cost: the cheapest form of each traced call in a tight loop, median ns per call printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/*
 * Each kind has a ready step, outside the timed part, that makes the next
 * calls succeed without waiting (refill a socket, queue connections), and a
 * timed step that makes them.  Batches are timed separately and the median
 * batch is printed, so a batch hit by another process on this shared machine
 * does not move the result.
 */
#define SUB_RUN 4096     /* calls between two clock reads: their cost stays below 0.1% */
#define RECV_SIZE 64     /* bytes per recv, the smallest useful read */
#define RECV_REFILL 512  /* recvs served by one write: 32 KiB, under the socket buffer */
#define ACCEPT_QUEUE 64  /* connections queued before the accepts, under listen()'s backlog */
#define MAX_BATCHES 1000 /* bounds the sample array */

struct ctx {
  int a, b; /* socketpair: b is kept readable for the multiplexers, read by recv */
  int ep;   /* epoll instance watching b */
  int lfd;  /* listening unix socket for accept */
  struct sockaddr_un addr;
  socklen_t addrlen;
  int clients[ACCEPT_QUEUE], accepted[ACCEPT_QUEUE];
  int queued;
  long left; /* recv: bytes the last refill put in b */
};

static void die(const char *what) {
  fprintf(stderr, "bench_calls: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void setup(struct ctx *c, const char *kind) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    die("socketpair");
  c->a = sv[0], c->b = sv[1];
  int big = 1 << 20; /* room for a whole refill in one write */
  setsockopt(c->a, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(c->b, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (strcmp(kind, "recv") != 0 && write(c->a, "x", 1) != 1) /* b stays readable for good */
    die("write");
  if (strcmp(kind, "epoll") == 0) {
    c->ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->b};
    if (c->ep < 0 || epoll_ctl(c->ep, EPOLL_CTL_ADD, c->b, &ev) != 0)
      die("epoll");
  }
  if (strcmp(kind, "accept") == 0) {
    /* A unix socket in the abstract namespace: no file to clean up, no TIME_WAIT, no port. */
    c->addr.sun_family = AF_UNIX;
    int n = snprintf(c->addr.sun_path + 1, sizeof c->addr.sun_path - 1, "iotrace-bench-%d",
                     (int)getpid());
    c->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    c->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&c->addr, c->addrlen) != 0 ||
        listen(c->lfd, 4 * ACCEPT_QUEUE) != 0)
      die("listen");
  }
}

/* Makes up to `want` calls ready; returns how many the timed step may make. */
static int ready(struct ctx *c, const char *kind, int want) {
  if (strcmp(kind, "recv") == 0) {
    if (c->left < RECV_SIZE) {
      static char buf[RECV_SIZE * RECV_REFILL];
      if (write(c->a, buf, sizeof buf) != (ssize_t)sizeof buf)
        die("refill");
      c->left += sizeof buf;
    }
    int n = (int)(c->left / RECV_SIZE);
    return n < want ? n : want;
  }
  if (strcmp(kind, "accept") == 0) {
    for (int i = 0; i < c->queued; i++)
      close(c->clients[i]), close(c->accepted[i]);
    c->queued = want < ACCEPT_QUEUE ? want : ACCEPT_QUEUE;
    for (int i = 0; i < c->queued; i++) {
      c->clients[i] = socket(AF_UNIX, SOCK_STREAM, 0);
      if (c->clients[i] < 0 || connect(c->clients[i], (struct sockaddr *)&c->addr, c->addrlen) != 0)
        die("connect");
    }
    return c->queued;
  }
  return want < SUB_RUN ? want : SUB_RUN;
}

/* The timed step: n calls, each checked, since a failing call would be cheaper than a real one. */
static void run(struct ctx *c, const char *kind, int n) {
  switch (kind[0] | kind[1] << 8) {
  case 'e' | 'm' << 8: /* empty */
    for (int i = 0; i < n; i++)
      __asm__ volatile("" ::: "memory");
    return;
  case 'c' | 'l' << 8: /* clock */
    for (int i = 0; i < n; i++) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      __asm__ volatile("" : : "r"(&ts) : "memory");
    }
    return;
  case 'p' | 'o' << 8: /* poll */
    for (int i = 0; i < n; i++) {
      struct pollfd p = {.fd = c->b, .events = POLLIN};
      if (poll(&p, 1, 0) != 1)
        die("poll");
    }
    return;
  case 'e' | 'p' << 8: /* epoll */
    for (int i = 0; i < n; i++) {
      struct epoll_event ev;
      if (epoll_wait(c->ep, &ev, 1, 0) != 1)
        die("epoll_wait");
    }
    return;
  case 's' | 'e' << 8: /* select */
    for (int i = 0; i < n; i++) {
      fd_set r;
      FD_ZERO(&r);
      FD_SET(c->b, &r);
      struct timeval tv = {0, 0};
      if (select(c->b + 1, &r, NULL, NULL, &tv) != 1)
        die("select");
    }
    return;
  case 'r' | 'e' << 8: /* recv */
    for (int i = 0; i < n; i++) {
      char buf[RECV_SIZE];
      if (recv(c->b, buf, sizeof buf, 0) != RECV_SIZE)
        die("recv");
    }
    c->left -= (long)n * RECV_SIZE;
    return;
  case 'a' | 'c' << 8: /* accept */
    for (int i = 0; i < n; i++)
      if ((c->accepted[i] = accept(c->lfd, NULL, NULL)) < 0)
        die("accept");
    return;
  }
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static const char *const kinds[] = {"empty", "clock", "poll", "epoll", "select", "recv", "accept"};

int main(int argc, char **argv) {
  const char *kind = argc > 1 ? argv[1] : "";
  long iters = 200000, batches = 20;
  double seconds = 5;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--iters") == 0)
      iters = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--batches") == 0)
      batches = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0)
      seconds = atof(argv[i + 1]);
  }
  int known = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    known |= strcmp(kind, kinds[i]) == 0;
  if (!known || iters < 1 || batches < 1 || batches > MAX_BATCHES || seconds <= 0) {
    fprintf(stderr,
            "usage: bench_calls empty|clock|poll|epoll|select|recv|accept [--iters N]"
            " [--batches B (<= %d)] [--seconds S]\n"
            "prints: kind=K calls=N ns_per_call=X batches=B\n",
            MAX_BATCHES);
    return 2;
  }
  struct ctx c = {0};
  setup(&c, kind);
  long per_batch = iters / batches > 0 ? iters / batches : 1, calls = 0;
  /* A warm-up sub-run pays for first-touch costs (the shim's first chunk, the page faults). */
  int w = ready(&c, kind, per_batch < 1000 ? (int)per_batch : 1000);
  run(&c, kind, w);
  calls += w;
  double per_call[MAX_BATCHES];
  int done = 0;
  uint64_t deadline = now_ns() + (uint64_t)(seconds * 1e9);
  int late = 0;
  while (done < batches && !late) {
    uint64_t spent = 0;
    long made = 0;
    while (made < per_batch) {
      int n = ready(&c, kind, (int)(per_batch - made > SUB_RUN ? SUB_RUN : per_batch - made));
      uint64_t t0 = now_ns();
      run(&c, kind, n);
      uint64_t t1 = now_ns();
      spent += t1 - t0, made += n;
      if (t1 > deadline) {
        late = 1; /* a slow tracer: keep this partial batch and stop */
        break;
      }
    }
    calls += made;
    per_call[done++] = (double)spent / (double)made;
  }
  qsort(per_call, (size_t)done, sizeof per_call[0], cmp_double);
  printf("kind=%s calls=%ld ns_per_call=%.2f batches=%d\n", kind, calls, per_call[done / 2], done);
  return 0;
}
