/* Frame names: turns a return address into "function (module+offset)" using ELF symbols on disk. */
#include "symbols.h"

#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct sym {
  uint64_t addr, size;
  const char *name; /* points into the mapped file */
};

/* One module file, loaded the first time a frame falls into it. */
struct elf_file {
  int loaded;
  const unsigned char *base;
  size_t len;
  const Elf64_Phdr *ph; /* PT_LOAD headers map file offsets to addresses */
  unsigned nph;
  struct sym *syms; /* functions, by address */
  size_t nsyms;
  int full;         /* syms came from a .symtab (static functions too), not only .dynsym */
  int stale;        /* its build id is not the traced file's: it was rebuilt since */
  unsigned char id[64];
  unsigned idlen;
  struct elf_file *debug; /* the separate debug file that named its functions, if any */
};

struct iotv_symbolizer {
  const struct iotv_trace *t;
  struct elf_file *files; /* parallel to t->modules */
  const char *debug_dir;  /* where -dbgsym packages put debug files: /usr/lib/debug */
};

struct iotv_symbolizer *iotv_sym_new(const struct iotv_trace *t, const char *debug_dir) {
  struct iotv_symbolizer *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->t = t;
  s->debug_dir = debug_dir ? debug_dir : IOTV_DEBUG_DIR;
  s->files = calloc(t->nmodules ? t->nmodules : 1, sizeof *s->files);
  if (!s->files) {
    free(s);
    return NULL;
  }
  return s;
}

static void unload(struct elf_file *f) {
  if (f->base)
    munmap((void *)f->base, f->len);
  free(f->syms);
  if (f->debug) {
    unload(f->debug);
    free(f->debug);
  }
}

void iotv_sym_free(struct iotv_symbolizer *s) {
  size_t i;
  if (!s)
    return;
  for (i = 0; i < s->t->nmodules; i++)
    unload(&s->files[i]);
  free(s->files);
  free(s);
}

static int cmp_sym(const void *a, const void *b) {
  const struct sym *x = a, *y = b;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Whether [off, off + n) lies inside the file: every offset read from disk is checked first. */
static int inside(const struct elf_file *f, uint64_t off, uint64_t n) {
  return off <= f->len && n <= f->len - off;
}

/* Collects the functions of one symbol table section; the strings stay in the mapping. */
static void read_symtab(struct elf_file *f, const Elf64_Shdr *sh, const Elf64_Shdr *str) {
  size_t n, i, k = 0;
  if (sh->sh_entsize != sizeof(Elf64_Sym) || !inside(f, sh->sh_offset, sh->sh_size) ||
      !inside(f, str->sh_offset, str->sh_size) || str->sh_size == 0 ||
      f->base[str->sh_offset + str->sh_size - 1] != '\0') /* names must end inside the table */
    return;
  n = sh->sh_size / sizeof(Elf64_Sym);
  f->syms = calloc(n ? n : 1, sizeof *f->syms);
  if (!f->syms)
    return;
  for (i = 0; i < n; i++) {
    Elf64_Sym sy;
    memcpy(&sy, f->base + sh->sh_offset + i * sizeof sy, sizeof sy);
    if (ELF64_ST_TYPE(sy.st_info) != STT_FUNC || sy.st_shndx == SHN_UNDEF || sy.st_value == 0 ||
        sy.st_name >= str->sh_size)
      continue;
    f->syms[k].addr = sy.st_value;
    f->syms[k].size = sy.st_size;
    f->syms[k].name = (const char *)f->base + str->sh_offset + sy.st_name;
    k++;
  }
  f->nsyms = k;
  qsort(f->syms, k, sizeof *f->syms, cmp_sym);
}

/* The file's GNU build id, from its PT_NOTE segments. */
static void read_build_id(struct elf_file *f) {
  unsigned i;
  for (i = 0; i < f->nph; i++) {
    const Elf64_Phdr *ph = &f->ph[i];
    uint64_t p, end;
    if (ph->p_type != PT_NOTE || !inside(f, ph->p_offset, ph->p_filesz))
      continue;
    for (p = ph->p_offset, end = p + ph->p_filesz; p + sizeof(Elf64_Nhdr) <= end;) {
      Elf64_Nhdr nh;
      uint64_t name, desc, next;
      memcpy(&nh, f->base + p, sizeof nh);
      name = p + sizeof nh;
      desc = name + ((nh.n_namesz + 3ull) & ~3ull);
      next = desc + ((nh.n_descsz + 3ull) & ~3ull);
      if (next > end)
        break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
          memcmp(f->base + name, "GNU", 4) == 0 && nh.n_descsz > 0 &&
          nh.n_descsz <= sizeof f->id) {
        memcpy(f->id, f->base + desc, nh.n_descsz);
        f->idlen = nh.n_descsz;
        return;
      }
      p = next;
    }
  }
}

/* The name in the file's .gnu_debuglink section, or NULL. */
static const char *debuglink(const struct elf_file *f) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->base;
  const Elf64_Shdr *sh;
  unsigned i;
  if (!f->base || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 != 0 ||
      !inside(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) ||
      eh->e_shstrndx >= eh->e_shnum)
    return NULL;
  sh = (const Elf64_Shdr *)(f->base + eh->e_shoff);
  if (!inside(f, sh[eh->e_shstrndx].sh_offset, sh[eh->e_shstrndx].sh_size))
    return NULL;
  for (i = 0; i < eh->e_shnum; i++) {
    uint64_t nm = sh[eh->e_shstrndx].sh_offset + sh[i].sh_name;
    if (sh[i].sh_name >= sh[eh->e_shstrndx].sh_size || !inside(f, nm, 15) ||
        memcmp(f->base + nm, ".gnu_debuglink", 15) != 0 || !inside(f, sh[i].sh_offset, sh[i].sh_size) ||
        sh[i].sh_size < 2 || memchr(f->base + sh[i].sh_offset, 0, sh[i].sh_size) == NULL)
      continue;
    return (const char *)f->base + sh[i].sh_offset;
  }
  return NULL;
}

static void load(struct elf_file *f, const char *path) {
  struct stat st;
  const Elf64_Ehdr *eh;
  const Elf64_Shdr *sh;
  unsigned i, want;
  int fd;
  f->loaded = 1;
  /* The path comes from the trace: a FIFO or a device there must not block or be read. */
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
    close(fd);
    return;
  }
  void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED)
    return;
  f->base = p;
  f->len = (size_t)st.st_size;
  eh = p;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_phentsize != sizeof(Elf64_Phdr) ||
      !inside(f, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) || eh->e_phoff % 8 != 0)
    return;
  f->ph = (const Elf64_Phdr *)(f->base + eh->e_phoff);
  f->nph = eh->e_phnum;
  read_build_id(f);
  if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 != 0 ||
      !inside(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
    return;
  sh = (const Elf64_Shdr *)(f->base + eh->e_shoff);
  /* .symtab has the static functions too; a stripped file only has .dynsym. */
  for (want = SHT_SYMTAB;; want = SHT_DYNSYM) {
    for (i = 0; i < eh->e_shnum; i++)
      if (sh[i].sh_type == want && sh[i].sh_link < eh->e_shnum) {
        read_symtab(f, &sh[i], &sh[sh[i].sh_link]);
        f->full = want == SHT_SYMTAB;
        if (f->nsyms)
          return;
        free(f->syms);
        f->syms = NULL;
      }
    if (want == SHT_DYNSYM)
      return;
  }
}

/* The address in the file's own layout for a file offset, through the PT_LOAD headers. */
static int vaddr_of(const struct elf_file *f, uint64_t off, uint64_t *va) {
  unsigned i;
  for (i = 0; i < f->nph; i++) {
    const Elf64_Phdr *ph = &f->ph[i];
    if (ph->p_type == PT_LOAD && off >= ph->p_offset && off - ph->p_offset < ph->p_filesz) {
      *va = off - ph->p_offset + ph->p_vaddr;
      return 1;
    }
  }
  return 0;
}

static const char *lookup(const struct elf_file *f, uint64_t va, uint64_t *delta) {
  size_t lo = 0, hi = f->nsyms;
  const struct sym *s;
  while (lo < hi) { /* the last symbol starting at or before va */
    size_t mid = lo + (hi - lo) / 2;
    if (f->syms[mid].addr <= va)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  s = &f->syms[lo - 1];
  if (s->size && va >= s->addr + s->size)
    return NULL;
  *delta = va - s->addr;
  return s->name;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int same_id(const unsigned char *a, unsigned alen, const unsigned char *b, unsigned blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

/* A debug file for f, with the build id id: where -dbgsym packages and objcopy --only-keep-debug
 * put them, by build id first, then by the name in .gnu_debuglink next to the file, in .debug/
 * beside it, and under the debug directory. */
static struct elf_file *find_debug(const struct iotv_symbolizer *s, const struct elf_file *f,
                                   const char *path, const unsigned char *id, unsigned idlen) {
  char cand[4][PATH_MAX];
  int n = 0, k;
  const char *link = f->base ? debuglink(f) : NULL;
  if (idlen >= 2) {
    char hex[2 * 64 + 1];
    unsigned i;
    for (i = 0; i < idlen; i++)
      snprintf(hex + 2 * i, 3, "%02x", id[i]);
    snprintf(cand[n++], PATH_MAX, "%s/.build-id/%.2s/%s.debug", s->debug_dir, hex, hex + 2);
  }
  if (link && !strchr(link, '/')) {
    const char *slash = strrchr(path, '/');
    int dir = slash ? (int)(slash - path) : 0;
    snprintf(cand[n++], PATH_MAX, "%.*s/%s", dir, path, link);
    snprintf(cand[n++], PATH_MAX, "%.*s/.debug/%s", dir, path, link);
    snprintf(cand[n++], PATH_MAX, "%s%.*s/%s", s->debug_dir, dir, path, link);
  }
  for (k = 0; k < n; k++) {
    struct elf_file *d = calloc(1, sizeof *d);
    if (!d)
      return NULL;
    load(d, cand[k]);
    /* A debug file of another build would name the wrong functions. */
    if (d->nsyms && (idlen == 0 || same_id(d->id, d->idlen, id, idlen)))
      return d;
    unload(d);
    free(d);
  }
  return NULL;
}

/* Loads the module's file, and its debug file when the file has no .symtab of its own. */
static void load_module(const struct iotv_symbolizer *s, const struct iotv_module *m,
                        struct elf_file *f) {
  load(f, m->path);
  if (m->build_id_len && f->base && !same_id(f->id, f->idlen, m->build_id, m->build_id_len))
    f->stale = 1;
  if (!f->full || f->stale) {
    const unsigned char *id = m->build_id_len ? m->build_id : f->id;
    unsigned idlen = m->build_id_len ? m->build_id_len : f->idlen;
    f->debug = find_debug(s, f, m->path, id, idlen);
  }
}

void iotv_sym_frame(struct iotv_symbolizer *s, uint64_t ip, char *buf, size_t len) {
  size_t i;
  for (i = 0; s && i < s->t->nmodules; i++) {
    const struct iotv_module *m = &s->t->modules[i];
    struct elf_file *f = &s->files[i];
    uint64_t off, va, delta = 0;
    const char *name = NULL;
    if (ip < m->start || ip >= m->end)
      continue;
    off = ip - m->start + m->file_offset;
    if (!f->loaded)
      load_module(s, m, f);
    /* A return address points after the call; ip - 1 is inside the calling function.  The
     * addresses of a rebuilt file are another program's: only a debug file of the traced build
     * (found by its build id) may name the frame then. */
    if (off > 0) {
      const struct elf_file *layout = f->stale ? f->debug : f;
      if (layout && layout->base && vaddr_of(layout, off - 1, &va)) {
        if (f->debug)
          name = lookup(f->debug, va, &delta);
        if (!name && !f->stale)
          name = lookup(f, va, &delta);
      }
    }
    if (name)
      snprintf(buf, len, "%s+0x%llx (%s+0x%llx)", name, (unsigned long long)delta + 1,
               base_name(m->path), (unsigned long long)off);
    else
      snprintf(buf, len, "?? (%s+0x%llx%s)", base_name(m->path), (unsigned long long)off,
               f->stale ? ", the file was rebuilt since the trace" : "");
    return;
  }
  snprintf(buf, len, "0x%llx", (unsigned long long)ip);
}
