/* Scenario for a program that takes the trace fd's number: dup2 onto it with no fd free, or a
 * raw close and a reuse of the number. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int top_fd(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  return (int)rl.rlim_cur - 1;
}

static int new_log(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    exit(99);
  sc_put(fd, "10 bytes.\n", 10);
  return fd;
}

static void show_size(const char *what, int fd) {
  struct stat st;
  if (fstat(fd, &st) == 0)
    sc_say("%s: %lld bytes", what, (long long)st.st_size);
  else
    sc_say("%s: fstat failed", what);
}

/* ownfd-dup2 LOG N: every fd taken, then dup2 of the program's log onto the top fd (the shim's,
 * traced), N recvs, and the log must stay 10 bytes; then close of that number must close it. */
static int ownfd_dup2(const char *path, int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int log = new_log(path);
  while (open("/dev/null", O_RDONLY) >= 0)
    ;
  int top = top_fd();
  sc_say("dup2 onto the top fd: %s", dup2(log, top) == top ? "ok" : "failed");
  sc_say("recvs %d", sc_recv_each(sp, n));
  show_size("log by its first fd", log);
  show_size("log by the top fd", top);
  SHOW(close(top));
  SHOW(fcntl(top, F_GETFD));
  return 0;
}

/* ownfd-raw LOG N: a raw close of the top fd, the number reused for the program's log, N recvs;
 * the log must stay 10 bytes, and close of the number must close it. */
static int ownfd_raw(const char *path, int n) {
  int sp[2];
  sc_socketpair(SOCK_STREAM, sp);
  int top = top_fd();
  syscall(SYS_close, top); /* the shim's, traced; nothing untraced */
  int log = new_log(path);
  sc_say("reuse: %s", syscall(SYS_dup3, log, top, 0) == top ? "ok" : "failed");
  close(log);
  sc_say("recvs %d", sc_recv_each(sp, n));
  show_size("log", top);
  SHOW(close(top));
  SHOW(fcntl(top, F_GETFD));
  return 0;
}

/* ownfd-raw-close: a raw close of the top fd, a socket put at that number, and close() of it at
 * once: the peer must see the end of the stream. */
static int ownfd_raw_close(void) {
  int a[2];
  sc_socketpair(SOCK_STREAM, a);
  int top = top_fd();
  syscall(SYS_close, top);
  sc_say("reuse: %s", syscall(SYS_dup3, a[0], top, 0) == top ? "ok" : "failed");
  close(a[0]);
  SHOW(close(top));
  char c;
  SHOW(recv(a[1], &c, 1, MSG_DONTWAIT));
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "ownfd-dup2") == 0)
    return ownfd_dup2(argv[2], atoi(argv[3]));
  if (argc >= 4 && strcmp(argv[1], "ownfd-raw") == 0)
    return ownfd_raw(argv[2], atoi(argv[3]));
  if (argc >= 2 && strcmp(argv[1], "ownfd-raw-close") == 0)
    return ownfd_raw_close();
  return 2;
}
