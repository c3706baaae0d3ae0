/* IOTRACE_STACK: call sites captured with libunwind, interned so each costs its frames once. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "iot_shim.h"
#include "modules.h"

/*
 * libunwind is loaded RTLD_LOCAL and only when asked for: linked normally its
 * _Unwind_* and backtrace exports would replace the program's own (C++
 * exceptions included).  A site is the list of return addresses outside the
 * shim, hashed into a lock-free table; the first thread to see a site writes
 * its frames into its STACKS chunk, and every event names the site by id.
 * The executable mappings go into MODULES records (modules.c) so the viewer can
 * print module+offset.
 */
#define IOT_SITE_SLOTS (1u << 16)

struct iot_site_slot {
  uint64_t hash;
  uint32_t id;
};

static int (*iot_unw_backtrace)(void **, int);
static struct iot_site_slot *iot_sites;
static uint32_t iot_next_site = 1;
static uintptr_t iot_self_lo, iot_self_hi; /* the shim's own code, skipped in stacks */

static int iot_find_self(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size, (void)data;
  uintptr_t me = (uintptr_t)iot_find_self;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (ph->p_type == PT_LOAD && me >= lo && me < hi) {
      iot_self_lo = lo, iot_self_hi = hi;
      return 1;
    }
  }
  return 0;
}

int iot_stack_init(uint32_t depth) {
  (void)depth;
  void *h = dlopen(IOT_LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h)
    iot_unw_backtrace = (int (*)(void **, int))dlsym(h, "unw_backtrace");
  if (!iot_unw_backtrace) {
    iot_say("IOTRACE_STACK: cannot load %s; call sites are not recorded", IOT_LIBUNWIND_SONAME);
    return -1;
  }
  void *p = mmap(NULL, IOT_SITE_SLOTS * sizeof *iot_sites, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return -1;
  iot_sites = p;
  dl_iterate_phdr(iot_find_self, NULL);
  return 0;
}

uint32_t iot_stack_site(void) {
  if (!iot_unw_backtrace)
    return 0;
  /* libunwind maps memory for its caches as it meets new threads and modules: under a seccomp
   * filter that could be the system call that kills the program. */
  if (iot_sandboxed) {
    if (iot_hdr)
      __atomic_fetch_add(&iot_hdr->dropped_stacks, 1, __ATOMIC_RELAXED);
    return 0;
  }
  void *raw[IOT_MAX_STACK_FRAMES + 16];
  int want = (int)iot_config.stack_depth + 4; /* the shim's own frames: wrapper, record, site */
  int n = iot_unw_backtrace(
      raw, want > (int)(sizeof raw / sizeof raw[0]) ? (int)(sizeof raw / sizeof raw[0]) : want);
  int first = 0;
  while (first < n && (uintptr_t)raw[first] >= iot_self_lo && (uintptr_t)raw[first] < iot_self_hi)
    first++;
  int count = n - first;
  if (count > (int)iot_config.stack_depth)
    count = (int)iot_config.stack_depth;
  if (count <= 0)
    return 0;
  uint64_t h = 1469598103934665603ull; /* FNV-1a over the addresses */
  for (int i = 0; i < count; i++) {
    h ^= (uint64_t)(uintptr_t)raw[first + i];
    h *= 1099511628211ull;
  }
  h |= 1; /* 0 marks a free slot */
  for (uint32_t probe = 0; probe < 64; probe++) {
    struct iot_site_slot *s = &iot_sites[(h + probe) & (IOT_SITE_SLOTS - 1)];
    uint64_t cur = __atomic_load_n(&s->hash, __ATOMIC_ACQUIRE);
    if (cur == h)
      return __atomic_load_n(&s->id, __ATOMIC_ACQUIRE); /* 0 while its writer is not done */
    if (cur != 0)
      continue;
    if (!__atomic_compare_exchange_n(&s->hash, &cur, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      if (cur == h)
        return __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
      continue;
    }
    uint32_t id = __atomic_fetch_add(&iot_next_site, 1, __ATOMIC_RELAXED);
    iot_modules_cover(raw + first, count);
    struct iot_stack_rec *r =
        iot_meta_append(&iot_self.st_chunk, IOT_CHUNK_STACKS, (uint32_t)(8 + 8 * count));
    if (!r) {
      __atomic_fetch_add(&iot_hdr->dropped_stacks, 1, __ATOMIC_RELAXED);
      return 0;
    }
    r->id = id;
    r->nframes = (uint16_t)count;
    for (int i = 0; i < count; i++)
      r->ip[i] = (uint64_t)(uintptr_t)raw[first + i];
    __atomic_store_n(&r->commit, IOT_STACK_COMMIT, __ATOMIC_RELEASE);
    __atomic_store_n(&s->id, id, __ATOMIC_RELEASE);
    return id;
  }
  __atomic_fetch_add(&iot_hdr->dropped_stacks, 1, __ATOMIC_RELAXED); /* the table is full */
  return 0;
}

void iot_stack_forked(void) {
  if (iot_sites)
    memset(iot_sites, 0, IOT_SITE_SLOTS * sizeof *iot_sites);
  iot_modules_forked();
  iot_next_site = 1;
}
