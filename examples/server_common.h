/* server_common.h: what every example echo server shares: options, listening socket, stopping. */
#ifndef EXAMPLES_SERVER_COMMON_H
#define EXAMPLES_SERVER_COMMON_H

#include <signal.h>
#include <stddef.h>

/* Set by SIGTERM or SIGINT; each server's loop checks it and returns from main. */
extern volatile sig_atomic_t server_stop_requested;

/* The program name for messages, set by server_start. */
extern const char *server_prog;

/* Parses "-p PORT -a ADDR", raises the open-file limit, catches SIGTERM and SIGINT, ignores
 * SIGPIPE, opens the listening socket (non-blocking if nonblocking is set), prints
 * "listening on ADDR:PORT" and returns the socket. Exits on a bad option or a failed bind. */
int server_start(int argc, char **argv, int nonblocking);

/* Accepts one connection and prepares it with server_prepare_conn; -1 with errno set when
 * there is none or on error (EINVAL once a stop signal has shut the listener down). */
int server_accept(int listen_fd, int nonblocking);

/* Turns off Nagle's delay on an accepted socket and makes it non-blocking if asked. */
int server_prepare_conn(int fd, int nonblocking);

/* The soft open-file limit in force after server_start: no fd reaches it. */
int server_fd_limit(void);

/* Fills set with the signals that stop a server. */
void server_stop_signals(sigset_t *set);

/* Writes all of buf to a blocking socket; -1 on error or when a stop signal interrupts it. */
int server_send_all(int fd, const void *buf, size_t len);

#endif
