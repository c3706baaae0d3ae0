/* Loads a module with dlopen after start-up and lets it read a socket with recv and read.

   dlopen_recv MODULE: sends "hello" and "world!" over a socketpair, has the module's plug_recv
   and plug_read take them, and prints "ok" if both arrived whole. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srv_common.h"

typedef ssize_t (*reader)(int, void *, size_t);

int main(int argc, char **argv) {
  int sv[2];
  char buf[16];
  if (argc != 2) {
    fprintf(stderr, "usage: dlopen_recv MODULE\n");
    return 1;
  }
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    srv_die("socketpair");
  void *mod = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!mod) {
    fprintf(stderr, "dlopen_recv: %s\n", dlerror());
    return 1;
  }
  reader rcv = (reader)dlsym(mod, "plug_recv");
  reader rd = (reader)dlsym(mod, "plug_read");
  if (!rcv || !rd) {
    fprintf(stderr, "dlopen_recv: %s\n", dlerror());
    return 1;
  }
  if (srv_send_all(sv[0], "hello", 5) != 0 || rcv(sv[1], buf, sizeof buf) != 5 ||
      memcmp(buf, "hello", 5) != 0) {
    fprintf(stderr, "dlopen_recv: plug_recv did not get hello\n");
    return 1;
  }
  if (srv_send_all(sv[0], "world!", 6) != 0 || rd(sv[1], buf, sizeof buf) != 6 ||
      memcmp(buf, "world!", 6) != 0) {
    fprintf(stderr, "dlopen_recv: plug_read did not get world!\n");
    return 1;
  }
  dlclose(mod);
  printf("ok\n");
  return 0;
}
