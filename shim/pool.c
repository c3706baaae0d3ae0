/* Power-of-two free lists over mmap'd slabs; used only under the fd table's lock. */
#define _GNU_SOURCE
#include "iot_shim.h"
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "pool.h"

#define IOT_POOL_MIN_SHIFT 4  /* 16 bytes */
#define IOT_POOL_MAX_SHIFT 20 /* 1 MiB; larger blocks are mapped on their own */
#define IOT_SLAB (256u * 1024u)

struct iot_free {
  struct iot_free *next;
};
static struct iot_free *iot_free_lists[IOT_POOL_MAX_SHIFT + 1];
static char *iot_slab_next, *iot_slab_end;

/* Once a seccomp filter may be on, mmap is a call the program did not ask for: the pool then
 * lives on what it holds, and an allocation it cannot serve fails (the table copes with NULL). */
static void *iot_pool_map(size_t size) {
  if (iot_sandboxed)
    return NULL;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void iot_pool_reserve(void) {
  if (iot_slab_next)
    return;
  void *p = iot_pool_map(IOT_SLAB); /* address space only: pages are touched as blocks are used */
  if (p)
    iot_slab_next = p, iot_slab_end = (char *)p + IOT_SLAB;
}

void iot_pool_forget(void) {
  for (unsigned c = 0; c <= IOT_POOL_MAX_SHIFT; c++)
    iot_free_lists[c] = NULL; /* they may be half updated: the blocks are left where they are */
}

static unsigned iot_class(size_t size) {
  unsigned s = IOT_POOL_MIN_SHIFT;
  while (((size_t)1 << s) < size)
    s++;
  return s;
}

void *iot_pool_alloc(size_t size) {
  if (size == 0)
    size = 1;
  unsigned c = iot_class(size);
  if (c > IOT_POOL_MAX_SHIFT)
    return iot_pool_map(size);
  struct iot_free *f = iot_free_lists[c];
  if (f) {
    iot_free_lists[c] = f->next;
    memset(f, 0, (size_t)1 << c);
    return f;
  }
  size_t bytes = (size_t)1 << c;
  if (iot_slab_next == NULL || (size_t)(iot_slab_end - iot_slab_next) < bytes) {
    size_t slab = bytes > IOT_SLAB ? bytes : IOT_SLAB;
    void *p = iot_pool_map(slab);
    if (!p)
      return NULL;
    iot_slab_next = p, iot_slab_end = (char *)p + slab; /* the rest of the old slab is dropped */
  }
  void *p = iot_slab_next;
  iot_slab_next += bytes;
  return p; /* fresh anonymous memory is zero */
}

void iot_pool_free(void *p, size_t size) {
  if (!p)
    return;
  unsigned c = iot_class(size ? size : 1);
  if (c > IOT_POOL_MAX_SHIFT) {
    if (!iot_sandboxed)
      munmap(p, size); /* in a sandbox the block is kept: unmapping is a call too */
    return;
  }
  struct iot_free *f = p;
  f->next = iot_free_lists[c];
  iot_free_lists[c] = f;
}
