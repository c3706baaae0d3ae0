/* The trace file's chunk space: grown in steps that follow use, handed out in chunks, each in a
 * window of the file (windows.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "sys.h"
#include "writer.h"

/*
 * Events go straight into a MAP_SHARED mapping of the file, so whatever was
 * recorded is in the page cache the moment it is stored and survives SIGKILL.
 * Storing into a page the file does not back raises SIGBUS, so the file is
 * grown with fallocate() ahead of the chunks handed out: a full disk makes a
 * grow fail (and events are dropped and counted), never a store.
 */
#define IOT_MIN_STEP (64u * 1024u)
#define IOT_MAX_STEP (4u * 1024u * 1024u)
/* About 24,000 events after a seccomp filter: the reserve cannot be given back once the filter
 * forbids ftruncate, so it is what every sandboxed process leaves on disk at most. */
#define IOT_SANDBOX_RESERVE (768u * 1024u)
#define IOT_CURSOR_CLOSED (1ull << 63)
#define IOT_LOCK_SPINS 100000

struct iot_file_header *iot_hdr;

static uint64_t iot_limit;  /* no chunk ends past this: IOTRACE_MAX_SIZE, or the sandbox reserve */
static uint64_t iot_extent; /* bytes of the file backed by allocated blocks */
static uint64_t iot_cursor; /* next free offset; IOT_CURSOR_CLOSED once closed */
static int iot_full_reported;
static uint32_t iot_space_gen; /* a new space: per-thread notes about the old one are stale */
static uint32_t iot_space_pid; /* the process the space was made in */

/* The chunks each thread replaced: the last one is still being let go of by its caller (record.c
 * advises its pages after the claim), so it is released one claim later. */
static IOT_TLS struct {
  uint32_t gen;
  struct iot_chunk *events, *stacks;
} iot_retiring;

static void iot_mark_full(int err) {
  __atomic_fetch_or(&iot_hdr->flags, IOT_HF_FULL, __ATOMIC_RELAXED);
  if (!__atomic_exchange_n(&iot_full_reported, 1, __ATOMIC_RELAXED) && !iot_sandboxed)
    iot_say("%s: %s%s; dropping events from now on, the program runs on", iot_path,
            err ? "cannot grow: " : "reached IOTRACE_MAX_SIZE", err ? strerror(err) : "");
}

/*
 * One thread at a time changes the space.  Claims are rare (one per 64 KiB of events), so a lock
 * costs nothing; it is never waited for by the thread that holds it (a signal handler that
 * interrupted a claim drops its event).  The lock word holds the owner's tid and a count of
 * acquisitions: a waiter that gives up after IOT_LOCK_SPINS notes the word, and later waiters that
 * find the very same holding give up at once.  So a slow fallocate costs one drop, and a lock
 * abandoned by a longjmp out of a signal handler costs drops, counted, never a hang.
 */
static uint64_t iot_lock_word;  /* acquisitions << 32 | owner tid, owner 0 if free */
static uint64_t iot_lock_stuck; /* a holding a waiter gave up on */

static int iot_lock(void) {
  uint32_t me = iot_self.tid ? iot_self.tid : UINT32_MAX;
  for (int spins = 0;; spins++) {
    uint64_t w = __atomic_load_n(&iot_lock_word, __ATOMIC_RELAXED);
    if ((uint32_t)w == 0) {
      if (__atomic_compare_exchange_n(&iot_lock_word, &w, ((w >> 32) + 1) << 32 | me, 0,
                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return 1;
      continue;
    }
    if ((uint32_t)w == me || w == __atomic_load_n(&iot_lock_stuck, __ATOMIC_RELAXED))
      return 0;
    if (spins > IOT_LOCK_SPINS) {
      __atomic_store_n(&iot_lock_stuck, w, __ATOMIC_RELAXED);
      return 0;
    }
    if (spins > 50 && !iot_sandboxed)
      sched_yield();
  }
}

static void iot_unlock(void) {
  uint64_t w = __atomic_load_n(&iot_lock_word, __ATOMIC_RELAXED);
  __atomic_store_n(&iot_lock_word, w & ~(uint64_t)UINT32_MAX, __ATOMIC_RELEASE);
}

int iot_allocate(int fd, uint64_t from, uint64_t to) {
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

/* Grows the file to cover `need` and a step more, the step an eighth of the file: what is
 * allocated stays within 12.5% (and 4 MiB) of what is used however the process ends. */
static int iot_grow(uint64_t need) {
  uint64_t step = need / 8;
  step = step < IOT_MIN_STEP ? IOT_MIN_STEP : step > IOT_MAX_STEP ? IOT_MAX_STEP : step;
  uint64_t target = (need + step + IOT_PAGE_SIZE - 1) & ~(uint64_t)(IOT_PAGE_SIZE - 1);
  if (target > iot_limit)
    target = iot_limit;
  int fd = iot_own_fd(), err = EBADF;
  if (fd >= 0) {
    err = iot_allocate(fd, iot_extent, target);
    if (err && need < target) /* the disk is nearly full: ask for just enough */
      err = iot_allocate(fd, iot_extent, target = need);
  }
  if (err) {
    iot_mark_full(err);
    return 0;
  }
  iot_extent = target;
  return 1;
}

/* Notes that the calling thread replaced `old` with a new chunk, and releases the one before. */
static void iot_retire(struct iot_chunk **slot, struct iot_chunk *old) {
  struct iot_chunk *prev = *slot;
  *slot = old;
  iot_win_release(prev, iot_cursor & ~IOT_CURSOR_CLOSED);
}

static void iot_retire_for(uint16_t type) {
  if (iot_retiring.gen != iot_space_gen) {
    iot_retiring.gen = iot_space_gen;
    iot_retiring.events = iot_retiring.stacks = NULL;
  }
  /* the chunk the caller is about to replace; modules chunks are written once and stay mapped */
  if (type == IOT_CHUNK_EVENTS)
    iot_retire(&iot_retiring.events, iot_self.gen == iot_gen ? iot_self.ev_chunk : NULL);
  else if (type == IOT_CHUNK_STACKS)
    iot_retire(&iot_retiring.stacks, iot_self.gen == iot_gen ? iot_self.st_chunk : NULL);
}

/*
 * A thread that ends lets go of its chunks, so that windows do not stay mapped for threads long
 * gone (a thread per connection).  A thread-specific key's destructor says when; it runs only
 * after the thread's last traced call of its own, and should a later destructor record again,
 * the thread simply claims a fresh chunk.
 */
static pthread_key_t iot_exit_key;
static int iot_exit_key_made;           /* 1 made, -1 could not be */
static IOT_TLS uint32_t iot_exit_armed; /* iot_space_gen when this thread's key was set */

static void iot_thread_gone(void *arg) {
  (void)arg;
  if (iot_exit_armed != iot_space_gen || !iot_lock())
    return;
  if (iot_retiring.gen == iot_space_gen) {
    uint64_t cursor = iot_cursor & ~IOT_CURSOR_CLOSED;
    iot_win_release(iot_retiring.events, cursor), iot_retiring.events = NULL;
    iot_win_release(iot_retiring.stacks, cursor), iot_retiring.stacks = NULL;
    if (iot_self.gen == iot_gen) {
      iot_win_release(iot_self.ev_chunk, cursor), iot_self.ev_chunk = NULL;
      iot_win_release(iot_self.st_chunk, cursor), iot_self.st_chunk = NULL;
    }
  }
  iot_exit_armed = 0;
  iot_unlock();
}

static void iot_arm_thread_exit(void) {
  if (iot_exit_armed == iot_space_gen)
    return;
  if (!iot_exit_key_made)
    iot_exit_key_made = pthread_key_create(&iot_exit_key, iot_thread_gone) == 0 ? 1 : -1;
  if (iot_exit_key_made == 1 && pthread_setspecific(iot_exit_key, &iot_exit_key_made) == 0)
    iot_exit_armed = iot_space_gen;
}

/* Writes a chunk header; the magic goes last, so a half-written header reads as empty. */
static struct iot_chunk *iot_chunk_at(char *at, uint16_t type, uint32_t size) {
  struct iot_chunk *ch = (struct iot_chunk *)at;
  ch->type = type;
  ch->size = size;
  ch->tid = iot_self.tid;
  ch->seq = iot_self.seq++;
  struct iot_chunk *named = iot_self.gen == iot_gen ? iot_self.ev_chunk : NULL;
  if (!iot_sandboxed)
    syscall(SYS_prctl, PR_GET_NAME, ch->thread_name, 0, 0, 0);
  else if (named) /* no prctl in a sandbox: the name the thread had */
    memcpy(ch->thread_name, named->thread_name, sizeof ch->thread_name);
  __atomic_store_n(&ch->magic, IOT_CHUNK_MAGIC, __ATOMIC_RELEASE);
  return ch;
}

/*
 * Hands out `size` bytes of file.  A chunk that is a whole number of pages starts on a page, so
 * that once full its pages can leave the process whole; the gap before it becomes an empty
 * events chunk, which readers skip like any other.
 */
struct iot_chunk *iot_claim_chunk(uint16_t type, uint32_t size) {
  if (!iot_hdr || size > IOT_WIN_OVERLAP)
    return NULL;
  if (__atomic_load_n(&iot_hdr->flags, __ATOMIC_RELAXED) & IOT_HF_FULL)
    return NULL; /* once full, stay full: a retry per event would cost a system call each */
  int saved = errno;
  struct iot_chunk *ch = NULL;
  if (!iot_lock())
    goto out;
  uint64_t cur = iot_cursor;
  if (cur & IOT_CURSOR_CLOSED)
    goto unlock;
  uint64_t start =
      size % IOT_PAGE_SIZE == 0 ? (cur + IOT_PAGE_SIZE - 1) & ~(uint64_t)(IOT_PAGE_SIZE - 1) : cur;
  uint64_t end = start + size;
  if (end > iot_limit) {
    iot_mark_full(0);
    goto unlock;
  }
  if (end > iot_extent && !iot_grow(end))
    goto unlock;
  int err = 0;
  char *gap_at = start > cur ? iot_win_at(cur, 0, &err) : NULL;
  char *at = err ? NULL : iot_win_at(start, 1, &err);
  if (!at) {
    iot_mark_full(err);
    goto unlock;
  }
  iot_cursor = end;
  if (end > iot_hdr->used_bytes)
    __atomic_store_n(&iot_hdr->used_bytes, end, __ATOMIC_RELAXED);
  if (gap_at) {
    struct iot_chunk *gap = iot_chunk_at(gap_at, IOT_CHUNK_EVENTS, (uint32_t)(start - cur));
    gap->capacity = (gap->size - (uint32_t)sizeof *gap) / (uint32_t)sizeof(struct iot_event);
  }
  ch = iot_chunk_at(at, type, size);
  iot_win_moved(cur, end);
  iot_retire_for(type);
  iot_arm_thread_exit();
unlock:
  iot_unlock();
out:
  errno = saved;
  return ch;
}

void iot_count_drop(void) {
  if (iot_hdr)
    __atomic_fetch_add(&iot_hdr->dropped_events, 1, __ATOMIC_RELAXED);
}

struct iot_file_header *iot_space_start(int fd, uint64_t extent, uint64_t limit) {
  void *h = mmap(NULL, IOT_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (h == MAP_FAILED)
    return NULL;
  iot_win_forget();
  iot_limit = limit;
  iot_extent = extent;
  iot_cursor = IOT_HEADER_SIZE;
  iot_full_reported = 0;
  iot_lock_word = 0;
  iot_lock_stuck = 0;
  iot_space_gen++;
  iot_space_pid = (uint32_t)getpid();
  return h;
}

uint64_t iot_space_close(void) {
  uint64_t end = __atomic_fetch_or(&iot_cursor, IOT_CURSOR_CLOSED, __ATOMIC_ACQ_REL);
  return end & ~IOT_CURSOR_CLOSED; /* every claim below it succeeded: claims move it only then */
}

void iot_space_reopen(void) {
  __atomic_fetch_and(&iot_cursor, ~IOT_CURSOR_CLOSED, __ATOMIC_RELEASE);
}

void iot_space_forget(void) {
  iot_win_forget();
  if (iot_hdr && !iot_sandboxed)
    munmap(iot_hdr, IOT_HEADER_SIZE);
  iot_space_gen++;
}

volatile int iot_space_is_cut;

/*
 * The file was cut (`: > file`, copytruncate) and a store fell past its end.  Every window and
 * the header become anonymous memory at the same addresses, so that the store completes and any
 * chunk a thread still holds stays writable; recording stops, claims fail, and nothing more
 * touches the file: not even the cut at exit, which would make it grow back.
 */
int iot_space_cut(const void *addr) {
  const char *h = (const char *)iot_hdr;
  if (!(h && (const char *)addr >= h && (const char *)addr < h + IOT_HEADER_SIZE) &&
      !iot_win_owns(addr))
    return 0;
  int first = !__atomic_exchange_n(&iot_space_is_cut, 1, __ATOMIC_ACQ_REL);
  iot_tracing = 0;
  iot_win_to_anon();
  mmap(iot_hdr, IOT_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
       -1, 0);
  iot_hdr->pid = iot_space_pid; /* others read it: the process, for process_vm_readv */
  __atomic_fetch_or(&iot_hdr->flags, IOT_HF_FULL | IOT_HF_CLOSED, __ATOMIC_RELAXED);
  __atomic_fetch_or(&iot_cursor, IOT_CURSOR_CLOSED, __ATOMIC_RELAXED);
  if (first)
    iot_say("%s was cut while the program ran; recording stopped, the program runs on", iot_path);
  return 1;
}

/*
 * Before a seccomp filter goes on: allocate and map IOT_SANDBOX_RESERVE bytes past the cursor, pin
 * their windows, and let no chunk end past them.  Claims then only move the cursor and write
 * headers; past the reserve, events are dropped and counted.
 */
void iot_space_sandbox(void) {
  if (!iot_hdr)
    return;
  if (!iot_lock()) {
    __atomic_store_n(&iot_limit, 0, __ATOMIC_RELAXED); /* nothing reserved: drop from now on */
    return;
  }
  uint64_t cur = iot_cursor & ~IOT_CURSOR_CLOSED, target = cur + IOT_SANDBOX_RESERVE;
  if (target > iot_limit)
    target = iot_limit;
  if (target > iot_extent && !iot_grow(target))
    target = iot_extent;
  if (target > iot_extent)
    target = iot_extent;
  target = iot_win_pin(cur, target); /* pinned: nothing is unmapped in a sandbox */
  iot_limit = target;
  /* set before the lock goes: a claim that follows must not make a system call the filter may
   * already forbid */
  __atomic_store_n(&iot_sandboxed, 1, __ATOMIC_SEQ_CST);
  iot_unlock();
}
