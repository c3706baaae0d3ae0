/* Stores one event into the calling thread's own chunk: no lock, no allocation, signal-safe, and
 * safe to re-enter from a signal handler that interrupts it (the handler's call gets a slot too).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"

IOT_TLS struct iot_thread iot_self;
int iot_tracing;
volatile int iot_sandboxed;

/* Chunks grow per thread, so a short-lived thread costs 1 KiB and a busy one claims rarely. */
#define IOT_SMALL_CHUNK IOT_CHUNK_ALIGN
#define IOT_LARGE_CHUNK (64u * 1024u)

/* Once a seccomp filter may be on, gettid is a system call the program did not ask for: a thread
 * that starts recording then has tid 0 in its chunks (docs/trace-format.md). */
pid_t iot_gettid(void) {
  return iot_sandboxed ? 0 : (pid_t)syscall(SYS_gettid);
}

/* A new thread, or the one thread of a freshly forked child: the old chunks are not ours. */
static void iot_thread_reset(struct iot_thread *t) {
  t->gen = iot_gen;
  t->tid = (uint32_t)iot_gettid();
  t->ev_chunk = NULL;
  t->st_chunk = NULL;
  t->next_chunk_size = IOT_SMALL_CHUNK;
  t->seq = 0;
}

/* Takes the next slot index of a chunk.  One instruction, so a signal handler cannot split it;
 * locked, because threads made with a raw clone() share their creator's TLS, and so its chunk. */
static inline uint32_t iot_take_slot(struct iot_chunk *ch) {
  return __atomic_fetch_add(&ch->used, 1, __ATOMIC_RELAXED);
}

#define IOT_MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels answer EINVAL, which is fine */

static void iot_advise_pages(void *p, uint32_t size, int advice) {
  uintptr_t lo = ((uintptr_t)p + IOT_PAGE_SIZE - 1) & ~(uintptr_t)(IOT_PAGE_SIZE - 1);
  uintptr_t hi = ((uintptr_t)p + size) & ~(uintptr_t)(IOT_PAGE_SIZE - 1);
  if (hi > lo && !iot_sandboxed) { /* only advice: without it the pages just stay resident */
    int saved = errno;
    madvise((void *)lo, hi - lo, advice);
    errno = saved;
  }
}

/* A claimed chunk, sized for events.  Signals are not blocked around it: unblocking them could
 * hand a signal meant for another thread to this one. */
static struct iot_chunk *iot_claim_events(uint32_t size) {
  struct iot_chunk *ch = iot_claim_chunk(IOT_CHUNK_EVENTS, size);
  if (ch) {
    uint32_t per = sizeof(struct iot_event) + (iot_config.stack_depth ? sizeof(uint32_t) : 0);
    ch->capacity = (size - sizeof *ch) / per;
    ch->flags = iot_config.stack_depth ? IOT_CF_SITES : 0;
  }
  return ch;
}

static struct iot_chunk *iot_new_events_chunk(struct iot_thread *t) {
  uint32_t size = t->next_chunk_size;
  /* Read before the claim: once a chunk is replaced, the writer may let its window go (at once,
   * when two threads share this state, as raw clone() threads sharing TLS do), and only an
   * madvise, harmless on memory no longer mapped, may still name its address. */
  struct iot_chunk *old = t->ev_chunk;
  uint32_t old_size = old ? old->size : 0;
  struct iot_chunk *ch = iot_claim_events(size);
  if (!ch)
    return NULL;
  t->ev_chunk = ch;
  if (size < IOT_LARGE_CHUNK) {
    t->next_chunk_size = size * 4;
  } else {
    /* Fault the new chunk's pages in with one call rather than one fault per page on the
     * traced calls; and let a full chunk's pages leave this process (they stay in the file),
     * so the shim's resident memory does not grow with run time.  Only whole pages: the
     * partial pages at either end are shared with neighbouring chunks. */
    iot_advise_pages(ch, size, IOT_MADV_POPULATE_WRITE);
    if (old && old_size >= IOT_LARGE_CHUNK)
      iot_advise_pages(old, old_size, MADV_DONTNEED);
  }
  return ch;
}

static struct iot_event *iot_reserve(struct iot_thread *t, struct iot_span *c, uint32_t **site) {
  if (IOT_UNLIKELY(t->gen != iot_gen))
    iot_thread_reset(t);
  struct iot_chunk *ch = t->ev_chunk;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (ch) {
      /* Settled just before the slot is taken: a jump out after this leaves a torn slot, which
       * readers count, and the call must not be counted a second time as dropped. */
      iot_call_settled(c);
      uint32_t i = iot_take_slot(ch);
      if (IOT_LIKELY(i < ch->capacity)) {
        *site = (ch->flags & IOT_CF_SITES)
                    ? (uint32_t *)((char *)(ch + 1) + ch->capacity * sizeof(struct iot_event)) + i
                    : NULL;
        return (struct iot_event *)(ch + 1) + i;
      }
    }
    ch = iot_new_events_chunk(t);
    if (!ch)
      return NULL;
  }
  return NULL;
}

/*
 * The call-site walk may make traced calls of its own (libunwind validates memory through a
 * pipe), and a signal handler may interrupt it: those calls are recorded, without a site, rather
 * than walked again inside the walk.  The guard holds the walk's frame address, so a walk left by
 * siglongjmp (its frame now above the stack pointer) does not keep the guard set for ever.
 */
static uint32_t iot_site_once(struct iot_thread *t) {
  char *here = __builtin_frame_address(0);
  char *walking = __atomic_load_n(&t->walking, __ATOMIC_RELAXED);
  if (walking && walking < here)
    walking = NULL; /* the walk that set it has been unwound */
  if (walking)
    return 0;
  __atomic_store_n(&t->walking, here, __ATOMIC_RELAXED);
  uint32_t id = iot_stack_site();
  __atomic_store_n(&t->walking, NULL, __ATOMIC_RELAXED);
  return id;
}

static inline int32_t iot_sat32(long v) {
  return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

void iot_record(struct iot_span *c, int call, int fd, long result, int err, uint64_t arg,
                uint64_t aux, uint8_t flags) {
  iot_end(c); /* usually done already, before the shim's own work could count */
  flags |= c->flags;
  uint64_t t1 = c->t1;
  int blocked = c->blocked;
  struct iot_thread *t = &iot_self;
  uint32_t *site = NULL;
  struct iot_event *e = iot_reserve(t, c, &site);
  iot_call_settled(c); /* no chunk at all: it is counted as dropped just below */
  if (!e) {
    iot_count_drop();
    return;
  }
  uint64_t dur = iot_stamp_dur_ns(c->t0, t1);
  /* Past 4.3 s the unit is coarser; rounded up, so that what happened inside the call (a split
   * read's phases, in ns) never ends after it. */
  if (dur <= UINT32_MAX) {
    e->dur = (uint32_t)dur;
  } else if ((dur + 999u) / 1000u <= UINT32_MAX) {
    e->dur = (uint32_t)((dur + 999u) / 1000u);
    flags |= IOT_DUR_US << IOT_EF_DUR_SHIFT;
  } else {
    uint64_t ms = (dur + 999999u) / 1000000u;
    e->dur = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    flags |= IOT_DUR_MS << IOT_EF_DUR_SHIFT;
  }
  if (blocked > 0)
    flags |= IOT_EF_BLOCKED;
  else if (blocked < 0)
    flags |= IOT_EF_BLOCK_UNKNOWN;
  if (result < 0 && (err == EAGAIN || err == EWOULDBLOCK))
    flags |= IOT_EF_WOULDBLOCK;
  e->start_ns = iot_stamp_ns(c->t0) - iot_hdr->mono_anchor_ns;
  e->flags = flags;
  e->err = result < 0 ? (uint16_t)err : 0;
  e->fd = fd;
  e->result = iot_sat32(result);
  e->arg = arg > UINT32_MAX ? UINT32_MAX : (uint32_t)arg;
  e->aux = aux > UINT32_MAX ? UINT32_MAX : (uint32_t)aux;
  if (site)
    *site = iot_site_once(t);
  __atomic_store_n(&e->call, (uint8_t)call, __ATOMIC_RELEASE); /* the slot is valid from here */
}
