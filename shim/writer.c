/* The trace file: created once per process, mapped shared, grown ahead of need, handed out in
 * chunks. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "iot_shim.h"
#include "real.h"
#include "sys.h"

/*
 * Events go straight into a MAP_SHARED mapping of the file, so whatever was
 * recorded is in the page cache the moment it is stored and survives SIGKILL.
 * Storing into a page the file does not back raises SIGBUS, so the file is
 * grown with fallocate() ahead of the chunks handed out: a full disk makes a
 * grow fail (and events are dropped and counted), never a store.
 */
#define IOT_FIRST_EXTENT (256u * 1024u)
#define IOT_GROW_STEP (4u * 1024u * 1024u)
#define IOT_CURSOR_CLOSED (1ull << 63)

struct iot_file_header *iot_hdr;
int iot_trace_fd = -1;

static char *iot_base;
static uint64_t iot_map_size;
static uint64_t iot_extent; /* bytes of the file backed by allocated blocks */
static uint64_t iot_cursor; /* next free offset; IOT_CURSOR_CLOSED once closed */
static int iot_grow_owner;  /* tid of the thread growing the file, 0 if none */
static int iot_full_reported;
static char iot_path[4400];
static dev_t iot_dev;
static ino_t iot_ino;

/* Moves the trace fd to the top of the fd range, out of the way of the program's numbering. */
static int iot_fd_to_top(int fd) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 64)
    return fd;
  long want = rl.rlim_cur > (1u << 20) ? (1 << 20) - 1 : (long)rl.rlim_cur - 1;
  for (int i = 0; i < 32 && want - i > fd; i++) {
    int hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, want - i);
    if (hi >= 0) {
      syscall(SYS_close, fd);
      return hi;
    }
  }
  return fd;
}

void iot_move_own_fd_away(int fd) {
  if (fd == iot_trace_fd && fd >= 0) {
    int moved = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
    if (moved >= 0 && moved != fd) {
      iot_trace_fd = iot_fd_to_top(moved);
      /* the old number is now free for the program's dup2 to take */
      syscall(SYS_close, fd);
    }
  }
}

/* Allocates [from, to) in the file; falls back to writing zeros where fallocate is unsupported. */
static int iot_allocate(int fd, uint64_t from, uint64_t to) {
  if (syscall(SYS_fallocate, fd, 0, (long)from, (long)(to - from)) == 0)
    return 0;
  int err = errno;
  if (err != EOPNOTSUPP && err != ENOSYS)
    return err;
  static const char zeros[4096];
  for (uint64_t off = from; off < to; off += sizeof zeros)
    if (iot_sys_pwrite_all(fd, zeros, sizeof zeros, off) != 0)
      return errno;
  return 0;
}

/* Reopens the file by path if the program closed the fd behind the shim's back (a raw close). */
static int iot_reopen(void) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, iot_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_dev != iot_dev || st.st_ino != iot_ino) {
    syscall(SYS_close, fd);
    return -1;
  }
  iot_trace_fd = iot_fd_to_top(fd);
  return 0;
}

static void iot_mark_full(int err) {
  __atomic_fetch_or(&iot_hdr->flags, IOT_HF_FULL, __ATOMIC_RELAXED);
  if (!__atomic_exchange_n(&iot_full_reported, 1, __ATOMIC_RELAXED))
    iot_say("%s: %s%s; dropping events from now on, the program runs on", iot_path,
            err ? "cannot grow: " : "reached IOTRACE_MAX_SIZE", err ? strerror(err) : "");
}

/* Grows the file to cover `need`; must_have says whether failing means dropping the event. */
static int iot_grow(uint64_t need, int must_have) {
  int me = (int)iot_self.tid;
  for (int spins = 0;; spins++) {
    if (__atomic_load_n(&iot_extent, __ATOMIC_ACQUIRE) >= need)
      return 1;
    int owner = 0;
    if (__atomic_compare_exchange_n(&iot_grow_owner, &owner, me ? me : -1, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
      break;
    /* a signal handler that interrupted this thread's own grow must not wait for it */
    if (!must_have || owner == me || spins > 2000)
      return 0;
    if (spins > 50)
      sched_yield();
  }
  uint64_t extent = iot_extent,
           target = need > extent + IOT_GROW_STEP ? need : extent + IOT_GROW_STEP;
  if (target > iot_map_size)
    target = iot_map_size;
  int err = 0, ok = 0;
  if (target > extent) {
    err = iot_allocate(iot_trace_fd, extent, target);
    if (err == EBADF && iot_reopen() == 0)
      err = iot_allocate(iot_trace_fd, extent, target);
    if (err && need > extent && need < target) { /* the disk is nearly full: ask for just enough */
      target = need;
      err = iot_allocate(iot_trace_fd, extent, target);
    }
    if (!err)
      __atomic_store_n(&iot_extent, target, __ATOMIC_RELEASE);
  }
  ok = __atomic_load_n(&iot_extent, __ATOMIC_ACQUIRE) >= need;
  __atomic_store_n(&iot_grow_owner, 0, __ATOMIC_RELEASE);
  if (!ok && must_have)
    iot_mark_full(err);
  return ok;
}

/* Writes a chunk header; the magic goes last, so a half-written header reads as empty. */
static struct iot_chunk *iot_chunk_at(uint64_t off, uint16_t type, uint32_t size) {
  struct iot_chunk *ch = (struct iot_chunk *)(iot_base + off);
  ch->type = type;
  ch->size = size;
  ch->tid = iot_self.tid;
  ch->seq = iot_self.seq++;
  syscall(SYS_prctl, PR_GET_NAME, ch->thread_name, 0, 0, 0);
  __atomic_store_n(&ch->magic, IOT_CHUNK_MAGIC, __ATOMIC_RELEASE);
  return ch;
}

/*
 * Hands out `size` bytes of file.  A chunk that is a whole number of pages starts on a page, so
 * that once full its pages can leave the process whole; the gap before it becomes an empty
 * events chunk, which readers skip like any other.
 */
struct iot_chunk *iot_claim_chunk(uint16_t type, uint32_t size) {
  if (!iot_hdr)
    return NULL;
  uint64_t cur = __atomic_load_n(&iot_cursor, __ATOMIC_RELAXED), start;
  if (__atomic_load_n(&iot_hdr->flags, __ATOMIC_RELAXED) & IOT_HF_FULL)
    return NULL; /* once full, stay full: a retry per event would cost a system call each */
  do {
    if (cur & IOT_CURSOR_CLOSED)
      return NULL;
    start = size % IOT_PAGE_SIZE == 0 ? (cur + IOT_PAGE_SIZE - 1) & ~(uint64_t)(IOT_PAGE_SIZE - 1)
                                      : cur;
    if (start + size > iot_map_size) {
      iot_mark_full(0);
      return NULL;
    }
  } while (!__atomic_compare_exchange_n(&iot_cursor, &cur, start + size, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED));
  uint64_t end = start + size;
  if (end > __atomic_load_n(&iot_extent, __ATOMIC_ACQUIRE)) {
    if (!iot_grow(end, 1))
      return NULL;
  } else if (end + IOT_GROW_STEP / 2 > iot_extent) {
    iot_grow(end + IOT_GROW_STEP / 2, 0); /* ahead of need: failure is fine */
  }
  uint64_t used = __atomic_load_n(&iot_hdr->used_bytes, __ATOMIC_RELAXED);
  while (used < end && !__atomic_compare_exchange_n(&iot_hdr->used_bytes, &used, end, 1,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    ;
  if (start > cur) {
    struct iot_chunk *gap = iot_chunk_at(cur, IOT_CHUNK_EVENTS, (uint32_t)(start - cur));
    gap->capacity = (gap->size - (uint32_t)sizeof *gap) / (uint32_t)sizeof(struct iot_event);
  }
  return iot_chunk_at(start, type, size);
}

void iot_count_drop(void) {
  if (iot_hdr)
    __atomic_fetch_add(&iot_hdr->dropped_events, 1, __ATOMIC_RELAXED);
}

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

/* If an earlier image of this same process (before exec) wrote `path`, its exec_seq; else -1. */
static int iot_earlier_image(const char *path, uint64_t start_ticks) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct iot_file_header h;
  ssize_t n = pread(fd, &h, sizeof h, 0);
  syscall(SYS_close, fd);
  if (n != (ssize_t)sizeof h || memcmp(h.magic, IOT_MAGIC, 8) != 0 || h.pid != (uint32_t)getpid() ||
      h.proc_start_ticks != start_ticks)
    return -1;
  return (int)h.exec_seq;
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

int iot_writer_open(void) {
  uint64_t start_ticks = iot_sys_proc_start_ticks();
  int pid = (int)getpid(), fd = -1, exec_seq = 0;
  for (int n = 0; n < 100 && fd < 0; n++) {
    if (iot_expand(iot_path, sizeof iot_path, iot_config.output, pid, n) != 0) {
      iot_say("IOTRACE_OUTPUT is too long; this process is not traced");
      return -1;
    }
    fd = (int)syscall(SYS_openat, AT_FDCWD, iot_path,
                      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
      break;
    int err = errno;
    struct stat st;
    if (err == EEXIST && lstat(iot_path, &st) == 0 && S_ISLNK(st.st_mode)) {
      iot_say("%s is a symbolic link; not following it, this process is not traced", iot_path);
      return -1;
    }
    if (err != EEXIST) {
      iot_say("cannot create %s (%s); this process is not traced", iot_path, strerror(err));
      return -1;
    }
    int seq = iot_earlier_image(iot_path, start_ticks);
    if (seq >= exec_seq)
      exec_seq = seq + 1;
  }
  if (fd < 0) {
    iot_say("no free trace file name for %s; this process is not traced", iot_config.output);
    return -1;
  }
  int err = iot_allocate(fd, 0, IOT_HEADER_SIZE + IOT_FIRST_EXTENT);
  uint64_t extent = IOT_HEADER_SIZE + IOT_FIRST_EXTENT;
  if (err == ENOSPC || err == EDQUOT) {
    extent = IOT_HEADER_SIZE + 4 * IOT_CHUNK_ALIGN;
    err = iot_allocate(fd, 0, extent);
  }
  void *base = MAP_FAILED;
  if (!err) {
    base = mmap(NULL, iot_config.max_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
      err = errno;
  }
  if (err) {
    iot_say("cannot set up %s (%s); this process is not traced", iot_path, strerror(err));
    syscall(SYS_unlinkat, AT_FDCWD, iot_path, 0);
    syscall(SYS_close, fd);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) == 0)
    iot_dev = st.st_dev, iot_ino = st.st_ino;
  iot_trace_fd = iot_fd_to_top(fd);
  iot_base = base;
  iot_map_size = iot_config.max_bytes;
  iot_extent = extent;
  iot_cursor = IOT_HEADER_SIZE;
  iot_full_reported = 0;
  iot_grow_owner = 0;
  iot_fill_header((struct iot_file_header *)base, start_ticks, (uint32_t)exec_seq);
  ((struct iot_file_header *)base)->used_bytes = IOT_HEADER_SIZE;
  __atomic_store_n(&iot_hdr, (struct iot_file_header *)base, __ATOMIC_RELEASE);
  return 0;
}

void iot_writer_close(int execing) {
  if (!iot_hdr)
    return;
  uint64_t end = __atomic_fetch_or(&iot_cursor, IOT_CURSOR_CLOSED, __ATOMIC_ACQ_REL);
  end &= ~IOT_CURSOR_CLOSED;
  uint64_t extent = __atomic_load_n(&iot_extent, __ATOMIC_ACQUIRE);
  if (end > extent) /* claims past the allocated space failed: nothing was written there */
    end = extent;
  iot_hdr->used_bytes = end;
  iot_hdr->end_mono_ns = iot_mono_ns();
  __atomic_fetch_or(&iot_hdr->flags, execing ? IOT_HF_EXECED : IOT_HF_CLOSED, __ATOMIC_RELEASE);
  /* the program may have renamed itself since (nginx: "worker process"): keep its last words */
  if (!execing) {
    char cmd[sizeof iot_hdr->cmdline];
    size_t len = iot_sys_read_file("/proc/self/cmdline", cmd, sizeof cmd);
    while (len > 1 && cmd[len - 1] == 0 && cmd[len - 2] == 0)
      len--; /* a retitled process pads the old argument space with NULs */
    if (len > 0) {
      memcpy(iot_hdr->cmdline, cmd, len);
      memset(iot_hdr->cmdline + len, 0, sizeof iot_hdr->cmdline - len);
      iot_hdr->cmdline_len = (uint32_t)len;
    }
  }
  /* no chunk can be handed out any more, so the space reserved ahead can go */
  if (!execing && end < extent)
    syscall(SYS_ftruncate, iot_trace_fd, (long)end);
}

/* An exec that failed: the process goes on, and so does its trace. */
void iot_writer_reopen_after_exec(void) {
  if (!iot_hdr)
    return;
  __atomic_fetch_and(&iot_hdr->flags, ~(uint32_t)IOT_HF_EXECED, __ATOMIC_RELAXED);
  iot_hdr->end_mono_ns = 0;
  __atomic_fetch_and(&iot_cursor, ~IOT_CURSOR_CLOSED, __ATOMIC_RELEASE);
}

void iot_writer_forget(void) {
  if (iot_hdr) {
    munmap(iot_base, iot_map_size);
    syscall(SYS_close, iot_trace_fd);
  }
  iot_hdr = NULL;
  iot_base = NULL;
  iot_trace_fd = -1;
}
