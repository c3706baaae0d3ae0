/* echo_sigio.c: signal-driven echo server: O_ASYNC sockets queue a realtime signal carrying the
 * ready fd (F_SETSIG), collected with sigwaitinfo(), then read until recv says EAGAIN. */
#include "conn_table.h"
#include "server_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* Asks for io_signal, carrying the fd in si_fd, whenever fd becomes readable or writable. */
static int make_async(int fd, int io_signal) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETOWN, getpid()) != 0 || fcntl(fd, F_SETSIG, io_signal) != 0 ||
      fcntl(fd, F_SETFL, flags | O_ASYNC | O_NONBLOCK) != 0) {
    perror("fcntl");
    return -1;
  }
  return 0;
}

static void serve(struct conn_table *conns, int fd) {
  struct echo_conn *c = conn_table_get(conns, fd);
  /* A signal queued before its fd was closed may name a fd no longer (or newly) in use: the
   * drain then only meets EAGAIN. */
  if (c != NULL && echo_conn_drain(c) == ECHO_CLOSED)
    conn_table_remove(conns, fd);
}

static void accept_all(int listen_fd, struct conn_table *conns, int io_signal) {
  int fd;
  while ((fd = server_accept(listen_fd, 1)) >= 0) {
    if (make_async(fd, io_signal) != 0) {
      close(fd);
    } else if (conn_table_add(conns, fd) != NULL) {
      /* Bytes that came before O_ASYNC was set raise no signal: read them now. */
      serve(conns, fd);
    }
  }
}

int main(int argc, char **argv) {
  int listen_fd = server_start(argc, argv, 1);
  struct conn_table conns;
  conn_table_init(&conns);
  /* A realtime signal queues one instance per event, each with its fd; plain SIGIO would merge
   * them. When the queue overflows the kernel sends SIGIO instead, so that is waited for too. */
  int io_signal = SIGRTMIN;

  /* Blocked signals stay pending for sigwaitinfo() instead of running handlers; the stop
   * signals are collected the same way, so none can slip in between two waits. */
  sigset_t waited;
  server_stop_signals(&waited);
  sigaddset(&waited, io_signal);
  sigaddset(&waited, SIGIO);
  sigprocmask(SIG_BLOCK, &waited, NULL);
  if (make_async(listen_fd, io_signal) != 0)
    return 1;
  accept_all(listen_fd, &conns, io_signal);

  while (!server_stop_requested) {
    siginfo_t info;
    int sig = sigwaitinfo(&waited, &info);
    if (sig < 0) {
      if (errno == EINTR)
        continue;
      perror("sigwaitinfo");
      break;
    }
    if (sig == SIGTERM || sig == SIGINT) {
      break;
    } else if (sig == SIGIO) {
      /* Events were lost to the overflow: look at everything. */
      accept_all(listen_fd, &conns, io_signal);
      for (int fd = 0; fd <= conns.max_fd; fd++)
        serve(&conns, fd);
    } else if (info.si_fd == listen_fd) {
      accept_all(listen_fd, &conns, io_signal);
    } else {
      serve(&conns, info.si_fd);
    }
  }
  conn_table_destroy(&conns);
  close(listen_fd);
  return 0;
}
