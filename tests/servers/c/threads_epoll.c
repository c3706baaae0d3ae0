/* An echo server with one epoll loop per thread: the main thread accepts and deals connections
   round-robin to the loops by adding them to that thread's epoll set.

   threads_epoll THREADS: prints the port, serves until SIGTERM, then prints "accepted N". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srv_common.h"

#define MAX_THREADS 256

static volatile sig_atomic_t stop;

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static void *loop(void *arg) {
  int ep = (int)(long)arg;
  struct epoll_event evs[64];
  static __thread char buf[65536];
  while (!stop) {
    int n = epoll_wait(ep, evs, 64, 100);
    if (n < 0 && errno != EINTR)
      srv_die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      ssize_t got = recv(fd, buf, sizeof buf, 0);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0 || srv_send_all(fd, buf, (size_t)got) != 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
      }
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  int nthreads = argc == 2 ? atoi(argv[1]) : 0;
  int eps[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART: accept returns EINTR */
  long accepted = 0;
  if (nthreads < 1 || nthreads > MAX_THREADS) {
    fprintf(stderr, "usage: threads_epoll THREADS (1..%d)\n", MAX_THREADS);
    return 1;
  }
  sigaction(SIGTERM, &sa, NULL);
  int lfd = srv_listen(0);
  for (int i = 0; i < nthreads; i++) {
    eps[i] = epoll_create1(EPOLL_CLOEXEC);
    if (eps[i] < 0)
      srv_die("epoll_create1");
    if (pthread_create(&tids[i], NULL, loop, (void *)(long)eps[i]) != 0)
      srv_die("pthread_create");
  }
  printf("%d\n", srv_port(lfd));
  fflush(stdout);
  while (!stop) {
    int c = accept(lfd, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR)
        continue;
      srv_die("accept");
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
    if (epoll_ctl(eps[accepted % nthreads], EPOLL_CTL_ADD, c, &ev) != 0)
      srv_die("epoll_ctl");
    accepted++;
  }
  for (int i = 0; i < nthreads; i++)
    pthread_join(tids[i], NULL);
  printf("accepted %ld\n", accepted);
  return 0;
}
