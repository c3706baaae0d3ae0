/* Helpers shared by the scenario programs: make a call, print its result the same way every run. */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes one formatted line straight to fd 1: no stdio buffer survives a fork twice. */
void sc_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "what = r" (or "= -1 ENAME"); with buf, also the r bytes received; with as_fd, "= fd". */
long sc_show(const char *what, long r, int err, const void *buf, int as_fd);

/* Counts a failed expectation; main returns sc_failures() so a broken scenario exits non-zero. */
void sc_expect(int ok, const char *what);
int sc_failures(void);

/* Hides a length from the compiler, so a fortified build calls the __*_chk twins. */
size_t sc_opaque(size_t n);

/* An address in a page that is mapped PROT_NONE: the kernel answers EFAULT. */
void *sc_bad_ptr(void);

/* Setup steps that must not fail: each exits the scenario with status 99 on error. */
void sc_socketpair(int type, int sv[2]);
void sc_pipe(int p[2]);
void sc_put(int fd, const void *data, size_t len);
/* n times: one byte into sp[1], recv of it from sp[0]; returns how many recvs got their byte. */
int sc_recv_each(int sp[2], int n);
int sc_regular_file(const char *content);
void sc_raise_nofile(int at_least);

/* Runs each section in a child of its own and prints how it ended: a crash in one section is
   reported as such and the later sections still run.  Returns non-zero if any section failed. */
struct sc_section {
  const char *name;
  void (*run)(void);
};
int sc_sections(const struct sc_section *list);

/* Forks a helper that waits until pid sleeps in a call, then runs step(arg) and exits. */
pid_t sc_when_blocked(pid_t pid, void (*step)(void *), void *arg);
void sc_reap(pid_t pid);
void sc_sleep_ms(int ms);
long sc_now_ms(void);

#define SC_RUN(expr, buf, as_fd)                                                                   \
  ({                                                                                               \
    errno = 0;                                                                                     \
    long r_ = (long)(expr);                                                                        \
    sc_show(#expr, r_, errno, (buf), (as_fd));                                                     \
  })
/* SHOW prints the result, SHOW_BUF also the bytes received, SHOW_FD hides fd numbers. */
#define SHOW(expr) SC_RUN(expr, NULL, 0)
#define SHOW_BUF(expr, buf) SC_RUN(expr, buf, 0)
#define SHOW_FD(expr) SC_RUN(expr, NULL, 1)

#endif
