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

/* Accepts one connection and prepares it with server_prepare_conn. Returns -1 when there is
 * none (EAGAIN), on a signal, once a stop signal has shut the listener down, or on an error,
 * which it reports on stderr. */
int server_accept(int listen_fd, int nonblocking);

/* Echoes on a blocking socket until the client closes, an error, or a stop signal. */
void server_echo_blocking(int fd);

/* Names a blocking client socket for a stop signal to shut down, so that a blocked recv()
 * returns even if the signal landed just before it; -1 names none. */
void server_wake_on_stop(int fd);

/* Turns off Nagle's delay on an accepted socket and makes it non-blocking if asked. */
int server_prepare_conn(int fd, int nonblocking);

/* The soft open-file limit in force after server_start: no fd reaches it. */
int server_fd_limit(void);

/* Fills set with the signals that stop a server. */
void server_stop_signals(sigset_t *set);

#endif
