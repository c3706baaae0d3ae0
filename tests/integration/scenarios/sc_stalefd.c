/* Scenario for fd numbers closed inside libc, or by raw system calls, then reused by a regular
 * file: reads of the file must behave as untraced.  "hooks" skips the raw-close + fopen case. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *path;

/* A socket with its kind known to the shim (one read made on it); returns the read end. */
static int primed_socket(void) {
  int sp[2];
  char c;
  sc_socketpair(SOCK_STREAM, sp);
  sc_put(sp[1], "s", 1);
  SHOW(read(sp[0], &c, 1));
  return sp[0];
}

static void read_file_at(int fd, int old) {
  char buf[16] = {0};
  sc_say("same number: %s", fd == old ? "yes" : "no");
  SHOW_BUF(read(fd, buf, 5), buf);
}

static void via_fclose(void) {
  int s = primed_socket();
  fclose(fdopen(s, "r"));
  read_file_at(open(path, O_RDONLY), s);
}

static void via_pclose(void) {
  FILE *p = popen("echo pipe", "r");
  char buf[16] = {0};
  SHOW_BUF(read(fileno(p), buf, 5), buf);
  int old = fileno(p);
  pclose(p);
  read_file_at(open(path, O_RDONLY), old);
}

static void via_raw_close_then_open(void) {
  int s = primed_socket();
  syscall(SYS_close, s);
  read_file_at(open(path, O_RDONLY), s);
}

/* fopen opens inside libc: no open() for the shim to see. */
static void via_raw_close_then_fopen(void) {
  int s = primed_socket();
  syscall(SYS_close, s);
  read_file_at(fileno(fopen(path, "r")), s);
}

int main(int argc, char **argv) {
  static char name[64]; /* opening it opens the (unlinked) file again */
  snprintf(name, sizeof name, "/proc/self/fd/%d", sc_regular_file("file!"));
  path = name;
  via_fclose();
  via_pclose();
  via_raw_close_then_open();
  if (argc < 2 || strcmp(argv[1], "hooks") != 0)
    via_raw_close_then_fopen();
  return sc_failures();
}
