/* Changes an epoll set through dup, dup2, close and fork; before each epoll_wait it prints the
 * kernel's own count of the set (from /proc/self/fdinfo) for the test to compare with the trace. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int kernel_count(int ep) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", ep);
  FILE *f = fopen(path, "r");
  int n = 0;
  while (f && fgets(line, sizeof line, f))
    n += strncmp(line, "tfd:", 4) == 0;
  if (f)
    fclose(f);
  return n;
}

static void wait_and_report(int ep, const char *step) {
  struct epoll_event out[16];
  printf("%s %d\n", step, kernel_count(ep));
  fflush(stdout);
  epoll_wait(ep, out, 16, 0);
}

static void add(int ep, int fd) {
  struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int main(void) {
  int a[2], b[2], c[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, a);
  socketpair(AF_UNIX, SOCK_STREAM, 0, b);
  socketpair(AF_UNIX, SOCK_STREAM, 0, c);
  int ep = epoll_create1(0);
  add(ep, a[0]), add(ep, a[1]), add(ep, b[0]);
  wait_and_report(ep, "three");
  int d = dup(a[0]);
  close(a[0]); /* the registration stays: d still refers to the description */
  wait_and_report(ep, "closed-with-dup");
  close(d);
  wait_and_report(ep, "closed-last-ref");
  dup2(c[0], b[0]); /* replaces b[0]'s description: its registration goes */
  wait_and_report(ep, "dup2-over");
  add(ep, b[0]); /* same number, new description */
  wait_and_report(ep, "re-added");
  int ep2 = dup(ep);
  epoll_ctl(ep2, EPOLL_CTL_DEL, a[1], NULL);
  wait_and_report(ep, "del-through-dup");
  pid_t pid = fork();
  if (pid == 0)
    _exit(0); /* the child holds every description until it exits */
  waitpid(pid, NULL, 0);
  close(b[0]); /* shared with a child that is gone: the shim must ask the kernel */
  wait_and_report(ep, "after-fork-close");
  add(ep, c[1]);
  wait_and_report(ep, "final");
  return 0;
}
