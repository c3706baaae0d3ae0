/* Scenario for fork() in a threaded program: threads churn socketpair, epoll_ctl, dup and close
 * while the main thread forks N times; every child exits at once.  Prints "forks N". */
#define _GNU_SOURCE
#include "scenario.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *churn(void *arg) {
  (void)arg;
  int ep = epoll_create1(0);
  while (!stop) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
      continue;
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev);
    int d = dup(sp[0]);
    close(sp[0]);
    epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL);
    close(d);
    close(sp[1]);
  }
  close(ep);
  return NULL;
}

int main(int argc, char **argv) {
  int forks = argc > 1 ? atoi(argv[1]) : 200;
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    pthread_create(&t[i], NULL, churn, NULL);
  int done = 0;
  for (int i = 0; i < forks; i++) {
    pid_t p = fork();
    if (p == 0)
      _exit(0);
    if (p > 0 && waitpid(p, NULL, 0) == p)
      done++;
  }
  stop = 1;
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  sc_say("forks %d", done);
  return done == forks ? 0 : 1;
}
