/* A service that speaks to its peer on fd 2, as inetd-style and socket-activated ones may: the
 * peer must get exactly these lines, traced or not. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scenario.h"

static void sc_line(const char *s) {
  if (write(2, s, strlen(s)) != (ssize_t)strlen(s))
    _exit(98);
}

int main(void) {
  int sv[2];
  sc_line("220 ready\r\n");
  sc_socketpair(SOCK_STREAM, sv);
  int got = sc_recv_each(sv, 10);
  sc_line("221 bye\r\n");
  sc_say("%d recvs got their byte", got);
  return got == 10 ? 0 : 1;
}
