/* Thousands of mappings, then reads from call sites of different depths: every frame's module
 * must still be named, and each written once. */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "scenario.h"

static volatile long sink; /* keeps the calls below from becoming tail calls */

/* depth extra frames above the recv, so each depth is a call site of its own */
__attribute__((noinline)) static long sc_nest(int fd, int depth) {
  char b[1];
  if (depth > 0)
    return sc_nest(fd, depth - 1) + sink;
  return recv(fd, b, 1, 0);
}

int main(int argc, char **argv) {
  int nmaps = argc > 1 ? atoi(argv[1]) : 4000, nsites = argc > 2 ? atoi(argv[2]) : 10;
  /* Pages of alternating protection cannot merge: each is a line of /proc/self/maps. */
  char *area = mmap(NULL, (size_t)nmaps * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED)
    return 99;
  for (int i = 0; i < nmaps; i += 2)
    if (mprotect(area + (size_t)i * 4096, 4096, PROT_READ | PROT_WRITE) != 0)
      return 99;
  int sv[2];
  sc_socketpair(SOCK_STREAM, sv);
  long got = 0;
  for (int round = 0; round < 2; round++)
    for (int d = 0; d < nsites; d++) {
      sc_put(sv[1], "x", 1);
      got += sc_nest(sv[0], d);
    }
  sc_say("%d mappings, %d call sites, %ld bytes read", nmaps, nsites, got);
  return got == 2L * nsites ? 0 : 1;
}
