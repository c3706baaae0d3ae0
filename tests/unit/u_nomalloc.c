/* Counts the program's malloc calls while it makes traced calls: the shim must make none. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

/* This program's malloc family takes precedence over libc's for every library, the shim too. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static volatile int counting;
static volatile long allocations;

void *malloc(size_t n) {
  if (counting)
    allocations++;
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
  if (counting)
    allocations++;
  return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
  if (counting)
    allocations++;
  return __libc_realloc(p, n);
}
void free(void *p) {
  __libc_free(p);
}

static void calls(int sv[2], int ep) {
  char buf[64];
  write(sv[1], "x", 1);
  recv(sv[0], buf, sizeof buf, 0);
  write(sv[1], "y", 1);
  read(sv[0], buf, sizeof buf);
  struct pollfd p = {sv[1], POLLOUT, 0};
  poll(&p, 1, 0);
  fd_set w;
  FD_ZERO(&w);
  FD_SET(sv[1], &w);
  struct timeval tv = {0, 0};
  select(sv[1] + 1, NULL, &w, NULL, &tv);
  struct epoll_event ev = {.events = EPOLLOUT}, out[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
  epoll_wait(ep, out, 2, 0);
  epoll_ctl(ep, EPOLL_CTL_DEL, sv[1], NULL);
  int d = dup(sv[0]);
  close(d);
}

int main(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
    return 1;
  int ep = epoll_create1(0);
  for (int i = 0; i < 100; i++) /* warm up: lazy symbol binding may allocate */
    calls(sv, ep);
  counting = 1;
  for (int i = 0; i < 20000; i++) /* 20000 rounds fill many trace chunks */
    calls(sv, ep);
  counting = 0;
  printf("allocations %ld\n", allocations);
  return allocations != 0;
}
