/* The trace file itself: its name, creating it safely, its header, and closing or forgetting it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/auxv.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "iot_shim.h"
#include "sys.h"
#include "writer.h"

#define IOT_FIRST_EXTENT (60u * 1024u) /* with the header, 64 KiB of disk for a short-lived child  \
                                        */
#define IOT_MAX_ATTEMPTS (1 << 30)     /* names "-1", "-2"... are tried until one is free */

char iot_path[4400];
dev_t iot_dev;
ino_t iot_ino;

/* Builds the path for attempt n: the template with %p as the pid, "-n" added after it if n > 0. */
static int iot_expand(char *out, size_t cap, const char *tmpl, int pid, int n) {
  size_t o = 0;
  int had_pid = 0;
  char num[32];
  for (const char *p = tmpl; *p; p++) {
    const char *add = NULL;
    char one[2] = {*p, 0};
    if (p[0] == '%' && p[1] == 'p') {
      snprintf(num, sizeof num, n ? "%d-%d" : "%d", pid, n);
      add = num, had_pid = 1, p++;
    } else if (p[0] == '%' && p[1] == '%') {
      add = "%", p++;
    } else {
      add = one;
    }
    size_t l = strlen(add);
    if (o + l >= cap)
      return -1;
    memcpy(out + o, add, l), o += l;
  }
  if (!had_pid && n) {
    int l = snprintf(out + o, cap - o, "-%d", n);
    if (l < 0 || o + (size_t)l >= cap)
      return -1;
    o += (size_t)l;
  }
  out[o] = 0;
  return 0;
}

/*
 * Something already at `path`: -1 if it is a regular file (try the next name), else the kind of
 * thing it is, to refuse: a directory, a device (/dev/null), a FIFO or a socket is never written
 * next to, and a symbolic link is never followed.
 */
static const char *iot_not_a_file(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return NULL; /* gone since: the next attempt finds out */
  if (S_ISREG(st.st_mode))
    return NULL;
  return S_ISLNK(st.st_mode)   ? "a symbolic link; not following it"
         : S_ISDIR(st.st_mode) ? "a directory, not a file"
                               : "not a regular file";
}

/* If an earlier image of this same process (before exec) wrote `path`, its exec_seq; else -1.
 * Opened without blocking and checked to be a regular file before anything is read. */
static int iot_earlier_image(const char *path, uint64_t start_ticks) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path,
                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct iot_file_header h;
  struct stat st;
  ssize_t n = -1;
  if (syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode))
    n = pread(fd, &h, sizeof h, 0);
  syscall(SYS_close, fd);
  if (n != (ssize_t)sizeof h || memcmp(h.magic, IOT_MAGIC, 8) != 0 || h.pid != (uint32_t)getpid() ||
      h.proc_start_ticks != start_ticks)
    return -1;
  return (int)h.exec_seq;
}


/* The kernel's boot id ("1b4e...-..."), as 16 bytes: files with the same one share a monotonic
 * clock, so the viewer can place them on it.  Left all 0 when it cannot be read. */
static void iot_read_boot_id(unsigned char out[16]) {
  char text[64] = {0};
  size_t n = iot_sys_read_file("/proc/sys/kernel/random/boot_id", text, sizeof text - 1), k = 0;
  for (size_t i = 0; i < n && k < 32; i++) {
    char c = text[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0)
      continue;
    out[k / 2] = (unsigned char)(out[k / 2] << 4 | v);
    k++;
  }
  if (k != 32)
    memset(out, 0, 16);
}

static void iot_fill_header(struct iot_file_header *h, uint64_t start_ticks, uint32_t exec_seq) {
  memcpy(h->magic, IOT_MAGIC, 8);
  h->version = IOT_VERSION;
  h->header_size = IOT_HEADER_SIZE;
  h->event_size = sizeof(struct iot_event);
  h->chunk_align = IOT_CHUNK_ALIGN;
  h->pid = (uint32_t)getpid();
  h->ppid = (uint32_t)getppid();
  h->stack_depth = iot_config.stack_depth;
  h->pollfd_size = sizeof(struct pollfd);
  h->epoll_event_size = sizeof(struct epoll_event);
  h->exec_seq = exec_seq;
  h->proc_start_ticks = start_ticks;
  struct timespec m, r;
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r);
  h->mono_anchor_ns = (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
  h->real_anchor_ns = (uint64_t)r.tv_sec * 1000000000u + (uint64_t)r.tv_nsec;
  struct utsname u;
  if (uname(&u) == 0)
    memcpy(h->host, u.nodename, strnlen(u.nodename, sizeof h->host - 1)); /* header is zeroed */
  iot_read_boot_id(h->boot_id);
  uint32_t flags = 0;
  if (iot_config.stack_depth)
    flags |= IOT_HF_STACKS;
  if (iot_config.split)
    flags |= IOT_HF_SPLIT;
  if (!iot_rseq_ok)
    flags |= IOT_HF_NO_RSEQ;
  size_t len = iot_sys_read_file("/proc/self/cmdline", h->cmdline, sizeof h->cmdline);
  if (len == sizeof h->cmdline)
    flags |= IOT_HF_CMD_TRUNC;
  h->cmdline_len = (uint32_t)len;
  h->flags = flags;
}

/* Creates a file of this process's own at the first free name; returns its fd, or -1 (said). */
static int iot_create(uint64_t start_ticks, int *exec_seq) {
  int pid = (int)getpid();
  for (int n = 0; n < IOT_MAX_ATTEMPTS; n++) {
    if (iot_expand(iot_path, sizeof iot_path, iot_config.output, pid, n) != 0) {
      iot_say("IOTRACE_OUTPUT is too long; this process is not traced");
      return -1;
    }
    /* O_EXCL: the file is one this process created, never one planted there */
    int fd = (int)syscall(
        SYS_openat, AT_FDCWD, iot_path,
        O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd >= 0)
      return fd;
    int err = errno;
    const char *what = err == EEXIST ? iot_not_a_file(iot_path) : NULL;
    if (what) {
      iot_say("%s is %s; this process is not traced", iot_path, what);
      return -1;
    }
    if (err != EEXIST) {
      iot_say("cannot create %s (%s); this process is not traced", iot_path, strerror(err));
      return -1;
    }
    int seq = iot_earlier_image(iot_path, start_ticks);
    if (seq >= *exec_seq)
      *exec_seq = seq + 1;
  }
  iot_say("no free trace file name for %s; this process is not traced", iot_config.output);
  return -1;
}

int iot_writer_open(void) {
  /* A setuid or setgid program: the user's IOTRACE_* may not choose where root writes, and the
   * trace would show the user what the program does; as glibc with LD_*, it is not traced. */
  if (getauxval(AT_SECURE) || iot_sandboxed)
    return -1;
  uint64_t start_ticks = iot_sys_proc_start_ticks();
  int exec_seq = 0, fd = iot_create(start_ticks, &exec_seq);
  if (fd < 0)
    return -1;
  uint64_t extent = IOT_HEADER_SIZE + IOT_FIRST_EXTENT;
  int err = iot_allocate(fd, 0, extent);
  if (err == ENOSPC || err == EDQUOT) {
    extent = IOT_HEADER_SIZE + 4 * IOT_CHUNK_ALIGN;
    err = iot_allocate(fd, 0, extent);
  }
  struct stat st;
  if (!err && syscall(SYS_fstat, fd, &st) != 0)
    err = errno;
  if (!err)
    iot_dev = st.st_dev, iot_ino = st.st_ino;
  struct iot_file_header *h = NULL;
  if (!err) {
    fd = iot_fd_to_top(fd);
    iot_trace_fd = fd;
    h = iot_space_start(fd, extent, iot_config.max_bytes);
    if (!h)
      err = errno;
  }
  if (err) {
    iot_say("cannot set up %s (%s); this process is not traced", iot_path, strerror(err));
    syscall(SYS_unlinkat, AT_FDCWD, iot_path, 0);
    syscall(SYS_close, fd);
    iot_trace_fd = -1;
    return -1;
  }
  iot_fill_header(h, start_ticks, (uint32_t)exec_seq);
  h->used_bytes = IOT_HEADER_SIZE;
  __atomic_store_n(&iot_hdr, h, __ATOMIC_RELEASE);
  iot_sigbus_init();
  return 0;
}

void iot_writer_close(int execing) {
  if (!iot_hdr || iot_space_is_cut)
    return;
  /* A child made by clone() without fork's handlers shares this file: it is not its to close. */
  if (!iot_sandboxed && iot_hdr->pid != (uint32_t)syscall(SYS_getpid))
    return;
  uint64_t end = iot_space_close();
  iot_hdr->used_bytes = end;
  iot_hdr->end_mono_ns = iot_mono_ns();
  __atomic_fetch_or(&iot_hdr->flags, execing ? IOT_HF_EXECED : IOT_HF_CLOSED, __ATOMIC_RELEASE);
  if (execing || iot_sandboxed)
    return; /* in a sandbox: no /proc, no ftruncate; the space left is the bounded reserve */
  /* the program may have renamed itself since (nginx: "worker process"): keep its last words */
  char cmd[sizeof iot_hdr->cmdline];
  size_t len = iot_sys_read_file("/proc/self/cmdline", cmd, sizeof cmd);
  while (len > 1 && cmd[len - 1] == 0 && cmd[len - 2] == 0)
    len--; /* a retitled process pads the old argument space with NULs */
  if (len > 0) {
    memcpy(iot_hdr->cmdline, cmd, len);
    memset(iot_hdr->cmdline + len, 0, sizeof iot_hdr->cmdline - len);
    iot_hdr->cmdline_len = (uint32_t)len;
  }
  /* no chunk can be handed out any more, so the space allocated ahead can go; only from the
   * trace file itself, never a file of the program's that took its number */
  int fd = iot_own_fd();
  if (fd >= 0)
    syscall(SYS_ftruncate, fd, (long)end);
}

/* An exec that failed: the process goes on, and so does its trace. */
void iot_writer_reopen_after_exec(void) {
  if (!iot_hdr)
    return;
  __atomic_fetch_and(&iot_hdr->flags, ~(uint32_t)IOT_HF_EXECED, __ATOMIC_RELAXED);
  iot_hdr->end_mono_ns = 0;
  iot_space_reopen();
}

void iot_writer_forget(void) {
  iot_space_forget();
  iot_space_is_cut = 0;
  if (iot_trace_fd >= 0 && !iot_sandboxed)
    syscall(SYS_close, iot_trace_fd);
  iot_hdr = NULL;
  iot_trace_fd = -1;
}
