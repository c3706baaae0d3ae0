/* The shim's messages: kept off the program's own output, said on a terminal, in IOTRACE_LOG and
 * in the trace. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "iot_shim.h"
#include "sys.h"

/*
 * fd 2 is the program's: an inetd-style service talks to its client on it, a daemon's children
 * point it at a log or a socket, and a line of ours there corrupts what the program says.  It is
 * used only when it is a terminal, where a person reads it.  IOTRACE_LOG names a file for the
 * rest, opened for each message and closed at once, so the program never sees an fd of ours.
 * Every message also goes into the trace as a NOTES chunk when there is one: what is said during
 * start-up, before the file exists, waits in a small buffer until the constructor below.
 */
#define IOT_LINE_MAX 4800
#define IOT_MAX_NOTES 32 /* a bound on the file space messages can take */
#define IOT_PENDING_MAX 4096

static char iot_log_path[4200]; /* IOTRACE_LOG, made absolute; empty when unset or ignored */
static int iot_log_state;       /* 0 not read yet, 1 being read, 2 read */
static char iot_pending[IOT_PENDING_MAX]; /* lines said before the trace existed, NUL-separated */
static size_t iot_pending_len;
static struct iot_file_header *iot_notes_hdr; /* the trace the count below is for */
static unsigned iot_notes;
static IOT_TLS int iot_saying; /* a message is being recorded: a nested one is not */

/* Reads IOTRACE_LOG once, at start-up: the program may chdir or clear its environment later. */
static void iot_log_setup(void) {
  int expected = 0;
  if (!__atomic_compare_exchange_n(&iot_log_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return;
  /* In a setuid program the user must not pick a file for root to write into: iot_setting
   * answers NULL there. */
  const char *log = iot_setting("IOTRACE_LOG");
  if (log && *log) {
    char cwd[PATH_MAX];
    if (log[0] == '/')
      snprintf(iot_log_path, sizeof iot_log_path, "%s", log);
    else if (syscall(SYS_getcwd, cwd, sizeof cwd) > 0)
      snprintf(iot_log_path, sizeof iot_log_path, "%s/%s", cwd, log);
  }
  __atomic_store_n(&iot_log_state, 2, __ATOMIC_RELEASE);
}

/* Appends one NOTES chunk holding text to the trace; 0 if it is there. */
static int iot_note(struct iot_file_header *h, const char *text, size_t len, uint64_t time_ns) {
  if (__atomic_exchange_n(&iot_notes_hdr, h, __ATOMIC_ACQ_REL) != h)
    __atomic_store_n(&iot_notes, 0, __ATOMIC_RELAXED); /* a forked child's own new file */
  if (__atomic_fetch_add(&iot_notes, 1, __ATOMIC_RELAXED) >= IOT_MAX_NOTES)
    return -1;
  if (len > 4000)
    len = 4000;
  uint32_t rec = (uint32_t)((sizeof(struct iot_note_rec) + len + 7) & ~(size_t)7);
  uint32_t size = (uint32_t)((sizeof(struct iot_chunk) + rec + IOT_CHUNK_ALIGN - 1) &
                             ~(size_t)(IOT_CHUNK_ALIGN - 1));
  struct iot_chunk *ch = iot_claim_chunk(IOT_CHUNK_NOTES, size);
  if (!ch)
    return -1;
  struct iot_note_rec *r = (struct iot_note_rec *)(ch + 1);
  r->time_ns = time_ns;
  r->len = (uint16_t)len;
  memcpy(r->text, text, len);
  ch->capacity = size - (uint32_t)sizeof *ch;
  ch->used = rec;
  __atomic_store_n(&r->commit, IOT_NOTE_COMMIT, __ATOMIC_RELEASE);
  return 0;
}

/* Records the lines said before the trace existed, now that it does. */
static void iot_flush_pending(struct iot_file_header *h) {
  size_t at = 0;
  while (at < iot_pending_len) {
    size_t len = strlen(iot_pending + at);
    iot_note(h, iot_pending + at, len, 0);
    at += len + 1;
  }
  iot_pending_len = 0;
}

/* Keeps the text in the trace, or for it, if it is still to come. */
static void iot_keep(const char *text, size_t len) {
  struct iot_file_header *h = __atomic_load_n(&iot_hdr, __ATOMIC_ACQUIRE);
  if (iot_saying)
    return;
  iot_saying = 1;
  if (h) {
    uint64_t now = iot_mono_ns();
    iot_flush_pending(h);
    iot_note(h, text, len, now > h->mono_anchor_ns ? now - h->mono_anchor_ns : 0);
  } else if (!iot_ready && iot_pending_len + len + 1 <= sizeof iot_pending) {
    memcpy(iot_pending + iot_pending_len, text, len);
    iot_pending[iot_pending_len + len] = 0;
    iot_pending_len += len + 1;
  }
  iot_saying = 0;
}

/* Appends the line to the file IOTRACE_LOG names: never follows a link, never blocks on a FIFO. */
static void iot_log_line(const char *msg, size_t len) {
  if (!iot_log_path[0])
    return;
  int fd = (int)syscall(
      SYS_openat, AT_FDCWD, iot_log_path,
      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
  if (fd < 0)
    return;
  char line[IOT_LINE_MAX + 64];
  /* One log may serve a daemon and all its children: say whose line it is. */
  int n = snprintf(line, sizeof line, "iotrace: pid %ld: %.*s\n", (long)syscall(SYS_getpid),
                   (int)len, msg);
  if (n > 0)
    iot_sys_write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  syscall(SYS_close, fd);
}

void iot_say(const char *fmt, ...) {
  char line[IOT_LINE_MAX];
  int saved_errno = errno;
  memcpy(line, "iotrace: ", 9);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line + 9, sizeof line - 10, fmt, ap);
  va_end(ap);
  if (n < 0) {
    errno = saved_errno;
    return;
  }
  size_t len = (size_t)n > sizeof line - 10 ? sizeof line - 10 : (size_t)n;
  iot_keep(line + 9, len);
  /* Under a seccomp filter any system call the program did not make may kill it. */
  if (!iot_sandboxed) {
    struct termios tio;
    iot_log_setup();
    line[9 + len] = '\n';
    if (syscall(SYS_ioctl, 2, TCGETS, &tio) == 0)
      iot_sys_write_all(2, line, 9 + len + 1);
    iot_log_line(line + 9, len);
  }
  errno = saved_errno;
}

/* After the shim's start-up, which opens the trace: the lines said before it go into it. */
__attribute__((constructor)) static void iot_say_start(void) {
  int saved_errno = errno;
  iot_init(); /* a no-op once done; makes sure the trace exists whatever order constructors run */
  iot_log_setup();
  struct iot_file_header *h = __atomic_load_n(&iot_hdr, __ATOMIC_ACQUIRE);
  if (h && !iot_saying) {
    iot_saying = 1;
    iot_flush_pending(h);
    iot_saying = 0;
  }
  iot_pending_len = 0; /* without a trace, nowhere to keep them */
  errno = saved_errno;
}
