/* Scenario for epoll sets another process changes: inherited over fork, or passed (the set or a
 * registered fd) with SCM_RIGHTS.  Before each epoll_wait of the main process it prints
 * "check NAME N", N being the kernel's size of the set at that moment. */
#define _GNU_SOURCE
#include "scenario.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int sync_to_child[2], sync_to_parent[2], ctl[2];

static void add_new(int ep) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  struct epoll_event ev = {.events = EPOLLIN};
  sc_expect(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev) == 0, "epoll_ctl add");
}

static void check(const char *name, int ep, int expect) {
  struct epoll_event evs[8];
  sc_say("check %s %d", name, expect);
  sc_expect(epoll_wait(ep, evs, 8, 0) >= 0, name);
}

static void signal_fd(int fd) {
  sc_put(fd, "x", 1);
}
static void wait_fd(int fd) {
  char c;
  sc_expect(read(fd, &c, 1) == 1, "sync read");
}

static void send_fd(int sock, int fd) {
  char byte = 'f', space[CMSG_SPACE(sizeof(int))];
  memset(space, 0, sizeof space);
  struct iovec iov = {&byte, 1};
  struct msghdr m = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = space, .msg_controllen = sizeof space};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  sc_expect(sendmsg(sock, &m, 0) == 1, "sendmsg");
}

static int recv_fd(int sock) {
  char byte, space[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr m = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = space, .msg_controllen = sizeof space};
  if (recvmsg(sock, &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
    return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
  return fd;
}

/* The child runs body(arg) then waits to be told to exit: its fds live until then. */
static pid_t child(void (*body)(int), int arg) {
  pid_t p = fork();
  if (p == 0) {
    body(arg);
    signal_fd(sync_to_parent[1]);
    wait_fd(sync_to_child[0]);
    _exit(sc_failures());
  }
  return p;
}

static void adds_three(int ep) {
  for (int i = 0; i < 3; i++)
    add_new(ep);
}
static void receives_set_adds_two(int unused) {
  (void)unused;
  int ep = recv_fd(ctl[1]);
  sc_expect(ep >= 0, "received the set");
  add_new(ep);
  add_new(ep);
}
static void receives_fd(int unused) {
  (void)unused;
  sc_expect(recv_fd(ctl[1]) >= 0, "received the fd");
}
static void does_nothing(int unused) {
  (void)unused;
}

static void finish(pid_t p) {
  signal_fd(sync_to_child[1]);
  int status;
  sc_expect(waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "child exit");
}

int main(void) {
  sc_pipe(sync_to_child);
  sc_pipe(sync_to_parent);
  sc_socketpair(SOCK_STREAM, ctl);

  /* A: the set is inherited; the child adds fds of its own, which go when it exits. */
  int a = epoll_create1(0);
  add_new(a), add_new(a);
  pid_t p = child(adds_three, a);
  wait_fd(sync_to_parent[0]);
  check("inherited_child_added", a, 5);
  finish(p);
  check("inherited_child_gone", a, 2);

  /* B: the set is passed to another process, which adds to it. */
  p = child(receives_set_adds_two, 0);
  int b = epoll_create1(0);
  add_new(b);
  send_fd(ctl[0], b);
  wait_fd(sync_to_parent[0]);
  check("sent_set_receiver_added", b, 3);
  finish(p);
  check("sent_set_receiver_gone", b, 1);

  /* C: a registered fd is passed, then closed here: the other process keeps it registered. */
  p = child(receives_fd, 0);
  int c = epoll_create1(0), sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(c, EPOLL_CTL_ADD, sp[0], &ev);
  send_fd(ctl[0], sp[0]);
  wait_fd(sync_to_parent[0]);
  close(sp[0]);
  check("sent_fd_closed_here", c, 1);
  finish(p);
  check("sent_fd_receiver_gone", c, 0);

  /* D: a fork whose child never touches the set (a redis BGSAVE): counts stay exact. */
  int d = epoll_create1(0);
  add_new(d), add_new(d), add_new(d);
  p = child(does_nothing, 0);
  wait_fd(sync_to_parent[0]);
  finish(p);
  add_new(d);
  check("exact_after_untouched_fork", d, 4);
  sc_say("exact from here");
  return sc_failures();
}
