/* Scenario for reads that a signal interrupts: restarts, EINTR, handlers that read, timeouts,
 * flags. */
#define _GNU_SOURCE
#include "scenario.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static int nested_fd = -1;
static char nested_buf[32];
static volatile long nested_result;
static volatile int nested_errno;

static void on_signal(int sig) {
  (void)sig;
  hits++;
}

/* A handler that reads another socket while the interrupted read is still in progress. */
static void on_signal_reading(int sig) {
  (void)sig;
  int saved = errno;
  hits++;
  nested_result = recv(nested_fd, nested_buf, sizeof nested_buf, MSG_DONTWAIT);
  nested_errno = nested_result < 0 ? errno : 0;
  errno = saved;
}

static void install(void (*fn)(int), int flags) {
  struct sigaction sa = {.sa_handler = fn, .sa_flags = flags};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  hits = 0;
}

/* What the helper does once the scenario sleeps in its call: signal, then maybe write, twice. */
struct plan {
  pid_t target;
  int signal;
  int fd;
  const char *first, *second;
};

static void run_plan(void *arg) {
  struct plan *p = arg;
  if (p->signal)
    kill(p->target, SIGUSR1);
  if (p->first) {
    sc_sleep_ms(30);
    sc_put(p->fd, p->first, strlen(p->first));
  }
  if (p->second) {
    sc_sleep_ms(30);
    sc_put(p->fd, p->second, strlen(p->second));
  }
}

static pid_t helper(int signal, int fd, const char *first, const char *second) {
  struct plan p = {getpid(), signal, fd, first, second};
  return sc_when_blocked(getpid(), run_plan, &p);
}

static void restart_and_eintr(void) {
  char buf[32];
  int sp[2], p[2];
  sc_socketpair(SOCK_STREAM, sp);
  sc_pipe(p);

  install(on_signal, SA_RESTART);
  pid_t h = helper(1, sp[1], "restarted", NULL);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(sizeof buf), 0), buf);
  sc_reap(h);
  sc_say("  handler ran %d", (int)hits);

  install(on_signal, 0);
  h = helper(1, -1, NULL, NULL);
  SHOW(recv(sp[0], buf, sc_opaque(sizeof buf), 0));
  sc_reap(h);
  sc_say("  handler ran %d", (int)hits);

  install(on_signal, SA_RESTART);
  h = helper(1, p[1], "pipe restarted", NULL);
  SHOW_BUF(read(p[0], buf, sc_opaque(sizeof buf)), buf);
  sc_reap(h);
  install(on_signal, 0);
  h = helper(1, -1, NULL, NULL);
  SHOW(read(p[0], buf, sc_opaque(sizeof buf)));
  sc_reap(h);
  sc_say("  handler ran %d", (int)hits);

  install(on_signal, SA_RESTART);
  h = helper(1, sp[1], "msg", NULL);
  struct iovec iov = {buf, sizeof buf};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  SHOW_BUF(recvmsg(sp[0], &mh, 0), buf);
  sc_reap(h);

  /* Never restarted, SA_RESTART or not: multiplexers, and reads with a receive timeout. */
  struct pollfd pf = {sp[0], POLLIN, 0};
  h = helper(1, -1, NULL, NULL);
  SHOW(poll(&pf, 1, 5000));
  sc_reap(h);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev);
  h = helper(1, -1, NULL, NULL);
  SHOW(epoll_wait(ep, &ev, 1, 5000));
  sc_reap(h);
  close(ep);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(sp[0], &r);
  h = helper(1, -1, NULL, NULL);
  SHOW(select(sp[0] + 1, &r, NULL, NULL, &(struct timeval){5, 0}));
  sc_reap(h);
  struct timeval tmo = {5, 0};
  setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
  h = helper(1, -1, NULL, NULL);
  SHOW(recv(sp[0], buf, sc_opaque(sizeof buf), 0));
  sc_reap(h);
  sc_say("  handler ran %d", (int)hits);
  close(sp[0]);
  close(sp[1]);
  close(p[0]);
  close(p[1]);
}

static void nested(void) {
  char buf[32];
  int a[2], b[2];
  sc_socketpair(SOCK_STREAM, a);
  sc_socketpair(SOCK_STREAM, b);
  nested_fd = b[0];
  sc_put(b[1], "inside the handler", 18);
  install(on_signal_reading, SA_RESTART);
  pid_t h = helper(1, a[1], "outside", NULL);
  SHOW_BUF(recv(a[0], buf, sc_opaque(sizeof buf), 0), buf);
  sc_reap(h);
  sc_say("  handler ran %d, its recv = %ld \"%.*s\" errno %d", (int)hits, (long)nested_result,
         nested_result > 0 ? (int)nested_result : 0, nested_buf, (int)nested_errno);
  install(on_signal_reading, 0);
  h = helper(1, -1, NULL, NULL);
  SHOW(recv(a[0], buf, sc_opaque(sizeof buf), 0));
  sc_reap(h);
  sc_say("  handler ran %d, its recv = %ld errno %s", (int)hits, (long)nested_result,
         strerrorname_np(nested_errno) ? strerrorname_np(nested_errno) : "0");
  close(a[0]);
  close(a[1]);
  close(b[0]);
  close(b[1]);
}

static void flags_and_timeouts(void) {
  char buf[32];
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  struct timeval tmo = {0, 100000};
  setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
  long t0 = sc_now_ms();
  SHOW(recv(sp[0], buf, sc_opaque(sizeof buf), 0));
  sc_say("  waited at least 90 ms: %d", sc_now_ms() - t0 >= 90);
  t0 = sc_now_ms();
  SHOW(read(sp[0], buf, sc_opaque(sizeof buf)));
  sc_say("  waited at least 90 ms: %d", sc_now_ms() - t0 >= 90);
  tmo = (struct timeval){0, 0};
  setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);

  pid_t h = helper(0, sp[1], "abc", "def");
  SHOW_BUF(recv(sp[0], buf, sc_opaque(6), MSG_WAITALL), buf);
  sc_reap(h);
  h = helper(0, sp[1], "peek", NULL);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(sizeof buf), MSG_PEEK), buf);
  sc_reap(h);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(2), MSG_PEEK), buf);
  SHOW_BUF(recvfrom(sp[0], buf, sc_opaque(sizeof buf), 0, NULL, NULL), buf);
  install(on_signal, SA_RESTART);
  h = helper(1, sp[1], "all", " of it");
  SHOW_BUF(recv(sp[0], buf, sc_opaque(9), MSG_WAITALL), buf);
  sc_reap(h);
  install(on_signal, 0);
  h = helper(1, sp[1], "part", NULL);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(20), MSG_WAITALL), buf);
  sc_reap(h);
  SHOW_BUF(recv(sp[0], buf, sc_opaque(20), MSG_DONTWAIT), buf);
  close(sp[0]);
  close(sp[1]);
}

int main(void) {
  static const struct sc_section sections[] = {{"restart and EINTR", restart_and_eintr},
                                               {"a handler that reads", nested},
                                               {"flags and timeouts", flags_and_timeouts},
                                               {0}};
  return sc_sections(sections);
}
