/* Helpers shared by the test servers of tests/servers: a loopback listener and a poll echo loop. */
#ifndef SRV_COMMON_H
#define SRV_COMMON_H

#include <signal.h>

/* Prints "what: strerror(errno)" on stderr and exits with status 2. */
void srv_die(const char *what);

/* A listening TCP socket on 127.0.0.1:port (0: the kernel picks); exits on failure. */
int srv_listen(int port);

/* The port a socket is bound to. */
int srv_port(int fd);

/* Serves echo on every connection accepted from lfd with poll() until *stop is set;
   returns the number of connections accepted. */
long srv_echo_poll(int lfd, volatile sig_atomic_t *stop);

/* Writes all of buf, retrying after EINTR and short writes; -1 on error. */
int srv_send_all(int fd, const void *buf, size_t len);

#endif
