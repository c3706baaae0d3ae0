/* The trace file's windows: bounded mappings of it, made as chunks land in them and dropped once no
 * thread writes there any more. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "iot_shim.h"
#include "writer.h"

/*
 * Address space is taken as the file is used (an RLIMIT_AS budget belongs to the program): the
 * file is mapped in windows of IOT_WIN_SIZE, each mapped IOT_WIN_OVERLAP longer so that any chunk
 * lies whole in the window it starts in.  The callers hold the writer's lock, except
 * iot_win_cut, which runs in a SIGBUS handler.
 */
#define IOT_WIN_SIZE (1024u * 1024u)
#define IOT_WIN_SPAN (IOT_WIN_SIZE + IOT_WIN_OVERLAP)
#define IOT_MAX_WINDOWS 1024

struct iot_window {
  uint64_t index_plus1; /* 0: a free slot */
  char *base;
  uint32_t refs; /* chunks of it a thread may still write into, plus pins */
};
static struct iot_window iot_windows[IOT_MAX_WINDOWS];
static unsigned iot_nwindows; /* slots in use are below this */

static struct iot_window *iot_find(uint64_t idx) {
  for (unsigned i = 0; i < iot_nwindows; i++)
    if (iot_windows[i].index_plus1 == idx + 1)
      return &iot_windows[i];
  return NULL;
}

char *iot_win_at(uint64_t off, int hold, int *err) {
  uint64_t idx = off / IOT_WIN_SIZE;
  struct iot_window *w = iot_find(idx);
  if (!w) {
    if (iot_sandboxed) { /* every window a sandboxed claim may use was mapped beforehand */
      *err = EPERM;
      return NULL;
    }
    for (unsigned i = 0; i < iot_nwindows && !w; i++)
      if (!iot_windows[i].index_plus1)
        w = &iot_windows[i];
    if (!w && iot_nwindows < IOT_MAX_WINDOWS)
      w = &iot_windows[iot_nwindows++];
    int fd = w ? iot_own_fd() : -1;
    if (!w || fd < 0) {
      *err = w ? EBADF : ENOMEM;
      return NULL;
    }
    void *p = mmap(NULL, IOT_WIN_SPAN, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                   (off_t)(idx * IOT_WIN_SIZE));
    if (p == MAP_FAILED) { /* RLIMIT_AS, or no memory: a drop, never a crash */
      *err = errno;
      return NULL;
    }
    w->index_plus1 = idx + 1;
    w->base = p;
    w->refs = 0;
  }
  if (hold)
    w->refs++;
  return w->base + (off - idx * IOT_WIN_SIZE);
}

/*
 * A window no chunk holds stays mapped until the cursor is IOT_WIN_GRACE windows past it: threads
 * that share one thread's state (raw clone() threads without their own TLS) share its chunk, so
 * one of them may still be storing into a chunk the other has just let go of.  The grace bounds
 * the address space to a few more windows and makes that store land in mapped memory.
 */
#define IOT_WIN_GRACE 8

static void iot_unmap_if_idle(struct iot_window *w, uint64_t cursor) {
  uint64_t at = cursor / IOT_WIN_SIZE;
  if (w->refs || iot_sandboxed || w->index_plus1 + IOT_WIN_GRACE > at + 1)
    return; /* the cursor's window, or one it left only lately */
  munmap(w->base, IOT_WIN_SPAN);
  w->index_plus1 = 0;
  w->base = NULL;
}

void iot_win_release(const void *p, uint64_t cursor) {
  for (unsigned i = 0; p && i < iot_nwindows; i++) {
    struct iot_window *w = &iot_windows[i];
    if (w->index_plus1 && (const char *)p >= w->base && (const char *)p < w->base + IOT_WIN_SIZE) {
      if (w->refs && !--w->refs)
        iot_unmap_if_idle(w, cursor);
      return;
    }
  }
}

void iot_win_moved(uint64_t from, uint64_t cursor) {
  if (from / IOT_WIN_SIZE == cursor / IOT_WIN_SIZE)
    return;
  /* the cursor entered a new window: the idle ones it left far enough behind can go */
  for (unsigned i = 0; i < iot_nwindows; i++)
    if (iot_windows[i].index_plus1)
      iot_unmap_if_idle(&iot_windows[i], cursor);
}

uint64_t iot_win_pin(uint64_t from, uint64_t to) {
  int err;
  for (uint64_t off = from; off < to; off = (off / IOT_WIN_SIZE + 1) * IOT_WIN_SIZE)
    if (!iot_win_at(off, 1, &err))
      return off;
  return to;
}

static int iot_in(const void *addr, const void *base, size_t len) {
  return base && (const char *)addr >= (const char *)base &&
         (const char *)addr < (const char *)base + len;
}

int iot_win_owns(const void *addr) {
  for (unsigned i = 0; i < iot_nwindows; i++)
    if (iot_windows[i].index_plus1 && iot_in(addr, iot_windows[i].base, IOT_WIN_SPAN))
      return 1;
  return 0;
}

void iot_win_to_anon(void) {
  for (unsigned i = 0; i < iot_nwindows; i++)
    if (iot_windows[i].index_plus1)
      mmap(iot_windows[i].base, IOT_WIN_SPAN, PROT_READ | PROT_WRITE,
           MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

void iot_win_forget(void) {
  if (!iot_sandboxed)
    for (unsigned i = 0; i < iot_nwindows; i++)
      if (iot_windows[i].index_plus1)
        munmap(iot_windows[i].base, IOT_WIN_SPAN);
  memset(iot_windows, 0, sizeof iot_windows);
  iot_nwindows = 0;
}
