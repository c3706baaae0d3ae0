/* Helpers shared by the scenario programs: printing results, setup that must not fail, helpers. */
#define _GNU_SOURCE
#include "scenario.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

void sc_say(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if (n > (int)sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  for (int off = 0; off < n;) {
    ssize_t w = write(1, line + off, n - off);
    if (w <= 0)
      return;
    off += w;
  }
}

/* Printable bytes as they are, the rest as \xNN, so a diff shows exactly what differs. */
static void escape(char *out, size_t cap, const unsigned char *p, long n) {
  size_t o = 0;
  for (long i = 0; i < n && o + 5 < cap; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"')
      out[o++] = p[i];
    else
      o += snprintf(out + o, cap - o, "\\x%02x", p[i]);
  }
  out[o] = 0;
}

long sc_show(const char *what, long r, int err, const void *buf, int as_fd) {
  char data[1024];
  if (r < 0) {
    const char *name = strerrorname_np(err);
    sc_say("%s = %ld %s", what, r, name ? name : "E?");
  } else if (as_fd) {
    sc_say("%s = fd", what);
  } else if (buf && r > 0) {
    escape(data, sizeof data, buf, r);
    sc_say("%s = %ld \"%s\"", what, r, data);
  } else {
    sc_say("%s = %ld", what, r);
  }
  errno = err;
  return r;
}

void sc_expect(int ok, const char *what) {
  if (!ok) {
    failures++;
    sc_say("UNEXPECTED: %s", what);
  }
}

int sc_failures(void) {
  return failures ? 1 : 0;
}

size_t sc_opaque(size_t n) {
  __asm__ volatile("" : "+r"(n));
  return n;
}

void *sc_bad_ptr(void) {
  static void *page;
  if (!page) {
    page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
      perror("mmap");
      exit(99);
    }
  }
  return page;
}

static void must(int ok, const char *what) {
  if (!ok) {
    perror(what);
    exit(99);
  }
}

void sc_socketpair(int type, int sv[2]) {
  must(socketpair(AF_UNIX, type, 0, sv) == 0, "socketpair");
}

void sc_pipe(int p[2]) {
  must(pipe(p) == 0, "pipe");
}

void sc_put(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    must(w > 0, "write");
    p += w;
    len -= w;
  }
}

int sc_recv_each(int sp[2], int n) {
  int ok = 0;
  char c;
  for (int i = 0; i < n; i++) {
    sc_put(sp[1], "x", 1);
    ok += recv(sp[0], &c, 1, 0) == 1;
  }
  return ok;
}

int sc_regular_file(const char *content) {
  char path[] = "/tmp/iotrace-scenario-XXXXXX";
  int fd = mkstemp(path);
  must(fd >= 0, "mkstemp");
  unlink(path);
  sc_put(fd, content, strlen(content));
  must(lseek(fd, 0, SEEK_SET) == 0, "lseek");
  return fd;
}

void sc_raise_nofile(int at_least) {
  struct rlimit rl;
  must(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
  if (rl.rlim_cur >= (rlim_t)at_least)
    return;
  if (rl.rlim_max < (rlim_t)at_least)
    rl.rlim_max = at_least; /* only root may raise the hard limit: the scenario needs it */
  rl.rlim_cur = at_least;
  must(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit RLIMIT_NOFILE");
}

void sc_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

long sc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The state letter of /proc/PID/stat, read with open/pread so nothing here is a traced read. */
static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return '?';
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  if (n <= 0)
    return '?';
  buf[n] = 0;
  char *paren = strrchr(buf, ')');
  return paren && paren[1] == ' ' ? paren[2] : '?';
}

pid_t sc_when_blocked(pid_t pid, void (*step)(void *), void *arg) {
  pid_t child = fork();
  must(child >= 0, "fork");
  if (child > 0)
    return child;
  long deadline = sc_now_ms() + 10000;
  /* Several sleeping samples in a row: the target is parked in its call, not passing by. */
  for (int asleep = 0; asleep < 5 && sc_now_ms() < deadline; sc_sleep_ms(4))
    asleep = proc_state(pid) == 'S' ? asleep + 1 : 0;
  sc_sleep_ms(20);
  step(arg);
  _exit(0);
}

int sc_sections(const struct sc_section *list) {
  int bad = 0;
  for (; list->name; list++) {
    sc_say("-- %s", list->name);
    pid_t child = fork();
    must(child >= 0, "fork");
    if (child == 0) {
      list->run();
      _exit(sc_failures());
    }
    int status;
    while (waitpid(child, &status, 0) < 0)
      must(errno == EINTR, "waitpid");
    if (WIFSIGNALED(status))
      sc_say("-- %s killed by %s", list->name, sigabbrev_np(WTERMSIG(status)));
    else
      sc_say("-- %s exit %d", list->name, WEXITSTATUS(status));
    bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  return bad;
}

void sc_reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
}
