/* The executable mappings behind call-site frames: read from /proc/self/maps, whatever its size,
 * each written once as a MODULES record. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iot_shim.h"
#include "buildid.h"
#include "modules.h"

/*
 * A process with thousands of mappings (many libraries, a JIT, a big heap in pieces) has a maps
 * file of megabytes, so it is read in pieces, line by line.  A mapping is written when first
 * seen; the file is read again only when a frame falls outside every mapping known so far (a
 * dlopen since), and a frame that is in no mapping even then is remembered, so it does not make
 * every new call site read the file again.
 */
#define IOT_MOD_BLOCK 1024u /* mappings per block of the table, allocated as needed */
#define IOT_MOD_BLOCKS 64u  /* up to 65,536 executable mappings */
#define IOT_MISS_SLOTS 16u
#define IOT_MAX_PATH 4000u

struct iot_mod {
  uintptr_t lo, hi;
};

static struct iot_mod *iot_mod_blocks[IOT_MOD_BLOCKS];
static uint32_t iot_nmods; /* entries below it are complete: stored with release */
static int iot_mods_busy;  /* one reader of /proc/self/maps at a time; others go on */
static uintptr_t iot_missed[IOT_MISS_SLOTS];
static unsigned iot_missed_next;
/* Guarded by iot_mods_busy. */
static char iot_maps_piece[16384];
static char iot_maps_line[IOT_MAX_PATH + 256];

static const struct iot_mod *iot_mod_at(uint32_t i) {
  return &iot_mod_blocks[i / IOT_MOD_BLOCK][i % IOT_MOD_BLOCK];
}

static int iot_known(uintptr_t ip) {
  uint32_t n = __atomic_load_n(&iot_nmods, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n; i++) {
    const struct iot_mod *m = iot_mod_at(i);
    if (ip >= m->lo && ip < m->hi)
      return 1;
  }
  for (unsigned i = 0; i < IOT_MISS_SLOTS; i++)
    if (__atomic_load_n(&iot_missed[i], __ATOMIC_RELAXED) == ip)
      return 1; /* in no mapping at the last reading: reading again would not name it */
  return 0;
}

static int iot_known_exactly(uintptr_t lo, uintptr_t hi) {
  for (uint32_t i = 0; i < iot_nmods; i++)
    if (iot_mod_at(i)->lo == lo && iot_mod_at(i)->hi == hi)
      return 1;
  return 0;
}

static int iot_mod_add(uintptr_t lo, uintptr_t hi) {
  uint32_t n = iot_nmods;
  if (n >= IOT_MOD_BLOCK * IOT_MOD_BLOCKS)
    return -1;
  if (!iot_mod_blocks[n / IOT_MOD_BLOCK]) {
    void *p = mmap(NULL, IOT_MOD_BLOCK * sizeof(struct iot_mod), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return -1;
    __atomic_store_n(&iot_mod_blocks[n / IOT_MOD_BLOCK], p, __ATOMIC_RELEASE);
  }
  iot_mod_blocks[n / IOT_MOD_BLOCK][n % IOT_MOD_BLOCK] = (struct iot_mod){lo, hi};
  __atomic_store_n(&iot_nmods, n + 1, __ATOMIC_RELEASE);
  return 0;
}

/* The last readable mapping of a file at offset 0 (its ELF header), guarded by iot_mods_busy:
 * the loader maps a file's pieces one after the other, so its code follows in the maps file. */
static uintptr_t iot_head_lo, iot_head_hi;
static char iot_head_path[IOT_MAX_PATH + 1];

static void iot_note_head(unsigned long lo, unsigned long hi, const char *perms,
                          unsigned long off, const char *path) {
  if (off == 0 && perms[0] == 'r' && path[0] == '/') {
    iot_head_lo = lo, iot_head_hi = hi;
    snprintf(iot_head_path, sizeof iot_head_path, "%s", path);
  }
}

/* A BUILDIDS record for the module at [lo, hi), mapped from file offset off of path. */
static void iot_write_buildid(unsigned long lo, unsigned long hi, unsigned long off,
                              const char *path, struct iot_chunk **chunk) {
  unsigned char id[64];
  uintptr_t base = lo - off, span_lo = lo, span_hi = hi;
  if (off != 0) { /* the header is in the file's first mapping, before its code */
    if (strcmp(path, iot_head_path) != 0 || iot_head_lo != base)
      return;
    span_lo = iot_head_lo, span_hi = iot_head_hi;
  }
  unsigned n = iot_buildid_read(base, span_lo, span_hi, id, sizeof id);
  if (n == 0)
    return;
  struct iot_buildid_rec *b =
      iot_meta_append(chunk, IOT_CHUNK_BUILDIDS, (uint32_t)((sizeof *b + n + 7) & ~7u));
  if (!b)
    return;
  b->start = lo;
  b->len = (uint16_t)n;
  memcpy(b->id, id, n);
  __atomic_store_n(&b->commit, IOT_BUILDID_COMMIT, __ATOMIC_RELEASE);
}

/* One line of /proc/self/maps: an executable mapping not seen before is added and written. */
static void iot_maps_entry(char *line, struct iot_chunk **chunk, struct iot_chunk **ids) {
  unsigned long lo, hi, off;
  char perms[8];
  int pathpos = 0;
  if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &off, &pathpos) < 4)
    return;
  if (pathpos > 0)
    iot_note_head(lo, hi, perms, off, line + pathpos);
  if (perms[2] != 'x' || iot_known_exactly(lo, hi) || iot_mod_add(lo, hi) != 0)
    return;
  /* Anonymous code (a JIT's) is known from now on but has no file to name it by. */
  if (pathpos <= 0 || (line[pathpos] != '/' && line[pathpos] != '['))
    return;
  const char *path = line + pathpos;
  size_t plen = strnlen(path, IOT_MAX_PATH);
  uint32_t len = (uint32_t)((sizeof(struct iot_module_rec) + plen + 7) & ~(size_t)7);
  struct iot_module_rec *m = iot_meta_append(chunk, IOT_CHUNK_MODULES, len);
  if (!m)
    return;
  m->start = lo, m->end = hi, m->file_offset = off;
  m->path_len = (uint16_t)plen;
  memcpy(m->path, path, plen);
  __atomic_store_n(&m->commit, IOT_MODULE_COMMIT, __ATOMIC_RELEASE);
  if (path[0] == '/')
    iot_write_buildid(lo, hi, off, path, ids);
}

/* Reads /proc/self/maps a piece at a time, handing each whole line to iot_maps_entry. */
static void iot_maps_read(void) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  struct iot_chunk *chunk = NULL, *ids = NULL;
  size_t len = 0;
  iot_head_lo = iot_head_hi = 0;
  int overlong = 0; /* the line did not fit: no executable mapping has such a path */
  for (;;) {
    long n = syscall(SYS_read, fd, iot_maps_piece, sizeof iot_maps_piece);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    for (long i = 0; i < n; i++) {
      char c = iot_maps_piece[i];
      if (c != '\n') {
        if (len < sizeof iot_maps_line - 1)
          iot_maps_line[len++] = c;
        else
          overlong = 1;
        continue;
      }
      iot_maps_line[len] = 0;
      if (!overlong)
        iot_maps_entry(iot_maps_line, &chunk, &ids);
      len = 0, overlong = 0;
    }
  }
  syscall(SYS_close, fd);
}

void iot_modules_cover(void *const *ips, int n) {
  int unknown = 0;
  for (int i = 0; i < n && !unknown; i++)
    unknown = !iot_known((uintptr_t)ips[i]);
  if (!unknown)
    return;
  int expected = 0;
  if (!__atomic_compare_exchange_n(&iot_mods_busy, &expected, 1, 0, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED))
    return; /* another thread is reading: this site's frames may stay unnamed */
  iot_maps_read();
  for (int i = 0; i < n; i++)
    if (!iot_known((uintptr_t)ips[i]))
      __atomic_store_n(&iot_missed[iot_missed_next++ % IOT_MISS_SLOTS], (uintptr_t)ips[i],
                       __ATOMIC_RELAXED);
  __atomic_store_n(&iot_mods_busy, 0, __ATOMIC_RELEASE);
}

void iot_modules_forked(void) {
  iot_nmods = 0; /* the blocks stay: they are this process's copy now */
  iot_mods_busy = 0;
  memset(iot_missed, 0, sizeof iot_missed);
}
