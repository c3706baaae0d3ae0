/* Scenario for calls made by a signal handler while the main thread is inside a traced call: a
 * thread sends SIGUSR1 as fast as it can while main polls N times; the handler polls too.
 * Prints "made poll M", every poll of both. */
#define _GNU_SOURCE
#include "scenario.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile long handler_polls;
static volatile int stop;
static struct pollfd pfd;
static pthread_t main_thread;

static void on_usr1(int sig) {
  (void)sig;
  int saved = errno;
  handler_polls++;
  poll(&pfd, 1, 0);
  errno = saved;
}

static void *pester(void *arg) {
  (void)arg;
  while (!stop)
    pthread_kill(main_thread, SIGUSR1);
  return NULL;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 300000;
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  pfd.fd = sp[0];
  pfd.events = POLLIN;
  struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  main_thread = pthread_self();
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* the pester thread inherits it blocked */
  pthread_t t;
  pthread_create(&t, NULL, pester, NULL);
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
  for (long i = 0; i < n; i++)
    poll(&pfd, 1, 0);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  stop = 1;
  pthread_join(t, NULL);
  sc_say("made poll %ld", n + handler_polls);
  sc_say("handler polls %s", handler_polls > 0 ? "some" : "none");
  return 0;
}
