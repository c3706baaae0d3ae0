/* Scenario for the alarm + siglongjmp timeout idiom: a timer signal whose handler jumps out of
 * whatever the shim was doing, many times; then another thread uses the fd table and the main
 * thread polls.  Prints "started S completed C" for its traced calls (polls, epoll_create1,
 * epoll_ctl): a jump between the two counts leaves unknown whether the call was made. */
#define _GNU_SOURCE
#include "scenario.h"

#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile sig_atomic_t jumps;
static volatile long started = 1, completed = 1; /* epoll_create1 included */

static void on_alarm(int sig) {
  (void)sig;
  jumps++;
  siglongjmp(env, 1);
}

/* After the jumps: the table's lock must be free for another thread. */
static void *other_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < 100; i++) {
    int sp[2];
    sc_socketpair(SOCK_STREAM, sp);
    close(sp[0]);
    close(sp[1]);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int want = argc > 1 ? atoi(argv[1]) : 300;
  struct sigaction sa = {.sa_handler = on_alarm};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  int ep = epoll_create1(0);
  struct pollfd pfd = {.fd = ep, .events = POLLIN};
  struct itimerval it = {{0, 50}, {0, 50}};
  setitimer(ITIMER_REAL, &it, NULL);
  sigsetjmp(env, 1);
  while (jumps < want) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0) {
      struct epoll_event ev = {.events = EPOLLIN};
      started++;
      epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev);
      completed++;
      close(sp[0]);
      close(sp[1]);
    }
    started++;
    poll(&pfd, 1, 0);
    completed++;
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  pthread_t t;
  pthread_create(&t, NULL, other_thread, NULL);
  pthread_join(t, NULL);
  for (int i = 0; i < 1000; i++) {
    started++;
    poll(&pfd, 1, 0);
    completed++;
  }
  sc_say("started %ld completed %ld", started, completed);
  return 0;
}
