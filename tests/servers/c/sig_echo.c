/* An echo server hit by SIGUSR1 every 200 us while it waits, to show that interrupted calls
   reach the program exactly as the kernel returned them.

   sig_echo epoll|recv restart|norestart: prints the port; "epoll" serves every connection from
   one epoll loop in the main thread, "recv" serves one connection at a time with blocking
   accept and recv. A second thread sends SIGUSR1 to the main thread; the handler is installed
   with or without SA_RESTART. Every EINTR is counted and the call retried. On SIGTERM it prints
   "signals S eintr_epoll_wait E eintr_recv R eintr_accept A" and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "srv_common.h"

static volatile sig_atomic_t stop;
static volatile sig_atomic_t signals_seen;
static long eintr_wait, eintr_recv, eintr_accept;
static pthread_t main_thread;

static void on_usr1(int sig) {
  (void)sig;
  signals_seen++;
}

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static void *pester(void *arg) {
  struct timespec gap = {0, 200 * 1000};
  (void)arg;
  while (!stop) {
    pthread_kill(main_thread, SIGUSR1);
    nanosleep(&gap, NULL);
  }
  /* When SIGTERM arrives while a SIGUSR1 is pending, the kernel runs the SIGUSR1 handler first and
   * its SA_RESTART restarts the main thread's blocking accept: once the last SIGUSR1 has been
   * taken, a SIGTERM on its own interrupts that accept for good. */
  struct timespec settle = {0, 2 * 1000 * 1000};
  nanosleep(&settle, NULL);
  pthread_kill(main_thread, SIGTERM);
  return NULL;
}

static void serve_epoll(int lfd) {
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}, evs[32];
  char buf[65536];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  while (!stop) {
    int n = epoll_wait(ep, evs, 32, 200);
    if (n < 0) {
      if (errno != EINTR)
        srv_die("epoll_wait");
      eintr_wait++;
      continue;
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0) {
          if (errno != EINTR)
            srv_die("accept");
          eintr_accept++;
          continue;
        }
        ev.data.fd = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        continue;
      }
      ssize_t got;
      while ((got = recv(fd, buf, sizeof buf, 0)) < 0 && errno == EINTR)
        eintr_recv++;
      if (got <= 0 || srv_send_all(fd, buf, (size_t)got) != 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
      }
    }
  }
}

static void serve_blocking(int lfd) {
  char buf[65536];
  while (!stop) {
    int c = accept(lfd, NULL, NULL);
    if (c < 0) {
      if (errno != EINTR)
        srv_die("accept");
      eintr_accept++;
      continue;
    }
    for (;;) {
      ssize_t got = recv(c, buf, sizeof buf, 0);
      if (got < 0 && errno == EINTR) {
        eintr_recv++;
        if (stop)
          break;
        continue;
      }
      if (got <= 0 || srv_send_all(c, buf, (size_t)got) != 0)
        break;
    }
    close(c);
  }
}

int main(int argc, char **argv) {
  pthread_t t;
  struct sigaction usr1 = {.sa_handler = on_usr1}, term = {.sa_handler = on_term};
  if (argc != 3 || (strcmp(argv[1], "epoll") != 0 && strcmp(argv[1], "recv") != 0)) {
    fprintf(stderr, "usage: sig_echo epoll|recv restart|norestart\n");
    return 1;
  }
  if (strcmp(argv[2], "restart") == 0)
    usr1.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &usr1, NULL);
  sigaction(SIGTERM, &term, NULL);
  int lfd = srv_listen(0);
  main_thread = pthread_self();
  printf("%d\n", srv_port(lfd));
  fflush(stdout);
  /* SIGTERM must reach the main thread: taken by the pester thread, it would leave the main
   * thread in an accept that SA_RESTART keeps restarting, and no one left to interrupt it. */
  sigset_t term_only, old;
  sigemptyset(&term_only);
  sigaddset(&term_only, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term_only, &old);
  if (pthread_create(&t, NULL, pester, NULL) != 0)
    srv_die("pthread_create");
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (strcmp(argv[1], "epoll") == 0)
    serve_epoll(lfd);
  else
    serve_blocking(lfd);
  pthread_join(t, NULL);
  printf("signals %d eintr_epoll_wait %ld eintr_recv %ld eintr_accept %ld\n", (int)signals_seen,
         eintr_wait, eintr_recv, eintr_accept);
  return 0;
}
