/* IOTRACE_STACK: call sites captured with libunwind, interned so each costs its frames once. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "iot_shim.h"
#include "sys.h"

/*
 * libunwind is loaded RTLD_LOCAL and only when asked for: linked normally its
 * _Unwind_* and backtrace exports would replace the program's own (C++
 * exceptions included).  A site is the list of return addresses outside the
 * shim, hashed into a lock-free table; the first thread to see a site writes
 * its frames into its STACKS chunk, and every event names the site by id.
 * The executable mappings are written once (and again when a frame falls
 * outside them, after a dlopen) so the viewer can print module+offset.
 */
#define IOT_SITE_SLOTS (1u << 16)
#define IOT_MAX_MODULES 1024
#define IOT_STACK_CHUNK (4u * 1024u)

struct iot_site_slot {
  uint64_t hash;
  uint32_t id;
};

static int (*iot_unw_backtrace)(void **, int);
static struct iot_site_slot *iot_sites;
static uint32_t iot_next_site = 1;
static uintptr_t iot_self_lo, iot_self_hi; /* the shim's own code, skipped in stacks */
static struct { uintptr_t lo, hi; } iot_mods[IOT_MAX_MODULES];
static int iot_nmods;
static int iot_mods_busy;

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

/* Appends one record of `len` bytes to a chunk of `type` that the thread keeps in *slot. */
static void *iot_append(struct iot_chunk **slot, uint16_t type, uint32_t len) {
  struct iot_chunk *ch = *slot;
  if (!ch || ch->used + len > ch->capacity) {
    uint32_t size = IOT_STACK_CHUNK;
    while (size - sizeof *ch < len)
      size *= 2;
    ch = iot_claim_chunk(type, size);
    if (!ch)
      return NULL;
    ch->capacity = size - sizeof *ch;
    *slot = ch;
  }
  void *p = (char *)(ch + 1) + ch->used;
  ch->used += len;
  return p;
}

/* Writes the executable mappings of /proc/self/maps as MODULES records. */
static void iot_write_modules(void) {
  int expected = 0;
  if (!__atomic_compare_exchange_n(&iot_mods_busy, &expected, 1, 0, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED))
    return;
  static char maps[256 * 1024]; /* guarded by iot_mods_busy */
  size_t n = iot_sys_read_file("/proc/self/maps", maps, sizeof maps - 1);
  maps[n] = 0;
  struct iot_chunk *chunk = NULL;
  int nmods = 0;
  for (char *line = maps; line && *line;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    unsigned long lo, hi, off;
    char perms[8];
    int pathpos = 0;
    if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &off, &pathpos) >= 4 &&
        perms[2] == 'x' && pathpos > 0 && (line[pathpos] == '/' || line[pathpos] == '[')) {
      const char *path = line + pathpos;
      size_t plen = strlen(path);
      if (plen > 4000)
        plen = 4000;
      uint32_t len = (uint32_t)((sizeof(struct iot_module_rec) + plen + 7) & ~7u);
      struct iot_module_rec *m = iot_append(&chunk, IOT_CHUNK_MODULES, len);
      if (m) {
        m->start = lo, m->end = hi, m->file_offset = off;
        m->path_len = (uint16_t)plen;
        memcpy(m->path, path, plen);
        __atomic_store_n(&m->commit, IOT_MODULE_COMMIT, __ATOMIC_RELEASE);
      }
      if (nmods < IOT_MAX_MODULES)
        iot_mods[nmods].lo = lo, iot_mods[nmods].hi = hi, nmods++;
    }
    line = next;
  }
  iot_nmods = nmods;
  __atomic_store_n(&iot_mods_busy, 0, __ATOMIC_RELEASE);
}

static int iot_known_module(uintptr_t ip) {
  for (int i = 0; i < iot_nmods; i++)
    if (ip >= iot_mods[i].lo && ip < iot_mods[i].hi)
      return 1;
  return 0;
}

uint32_t iot_stack_site(void) {
  if (!iot_unw_backtrace)
    return 0;
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
    int unknown = iot_nmods == 0;
    for (int i = 0; i < count && !unknown; i++)
      unknown = !iot_known_module((uintptr_t)raw[first + i]);
    if (unknown)
      iot_write_modules();
    struct iot_stack_rec *r =
        iot_append(&iot_self.st_chunk, IOT_CHUNK_STACKS, (uint32_t)(8 + 8 * count));
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
  iot_nmods = 0;
  iot_mods_busy = 0;
  iot_next_site = 1;
}
