/* echo_blocking_threads.c: echo server with blocking sockets and one thread per connection. */
#include "server_common.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  server_echo_blocking(fd);
  close(fd);
  return NULL;
}

/* Starts a detached thread for fd with the stop signals blocked, so that they reach the main
 * thread and interrupt its accept(). */
static int start_thread(int fd) {
  sigset_t stop, old;
  pthread_attr_t attr;
  pthread_t tid;
  server_stop_signals(&stop);
  pthread_sigmask(SIG_BLOCK, &stop, &old);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* Small stacks: thousands of connections mean thousands of threads. */
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int err = pthread_create(&tid, &attr, serve, (void *)(intptr_t)fd);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return err;
}

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 0);
  while (!server_stop_requested) {
    int fd = server_accept(listen_fd, 0);
    if (fd < 0)
      continue;
    int err = start_thread(fd);
    if (err != 0) {
      fprintf(stderr, "%s: pthread_create: %s\n", server_prog, strerror(err));
      close(fd);
    }
  }
  /* Threads still serving are ended by the process exit. */
  close(listen_fd);
  return 0;
}
