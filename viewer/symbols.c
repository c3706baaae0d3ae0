/* Frame names: turns a return address into "function (module+offset)" using ELF symbols on disk. */
#include "symbols.h"

#include <elf.h>
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
};

struct iotv_symbolizer {
  const struct iotv_trace *t;
  struct elf_file *files; /* parallel to t->modules */
};

struct iotv_symbolizer *iotv_sym_new(const struct iotv_trace *t) {
  struct iotv_symbolizer *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->t = t;
  s->files = calloc(t->nmodules ? t->nmodules : 1, sizeof *s->files);
  if (!s->files) {
    free(s);
    return NULL;
  }
  return s;
}

void iotv_sym_free(struct iotv_symbolizer *s) {
  size_t i;
  if (!s)
    return;
  for (i = 0; i < s->t->nmodules; i++) {
    if (s->files[i].base)
      munmap((void *)s->files[i].base, s->files[i].len);
    free(s->files[i].syms);
  }
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
  if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 != 0 ||
      !inside(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
    return;
  sh = (const Elf64_Shdr *)(f->base + eh->e_shoff);
  /* .symtab has the static functions too; a stripped file only has .dynsym. */
  for (want = SHT_SYMTAB;; want = SHT_DYNSYM) {
    for (i = 0; i < eh->e_shnum; i++)
      if (sh[i].sh_type == want && sh[i].sh_link < eh->e_shnum) {
        read_symtab(f, &sh[i], &sh[sh[i].sh_link]);
        if (f->nsyms)
          return;
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
      load(f, m->path);
    /* A return address points after the call; ip - 1 is inside the calling function. */
    if (f->base && off > 0 && vaddr_of(f, off - 1, &va))
      name = lookup(f, va, &delta);
    if (name)
      snprintf(buf, len, "%s+0x%llx (%s+0x%llx)", name, (unsigned long long)delta + 1,
               base_name(m->path), (unsigned long long)off);
    else
      snprintf(buf, len, "?? (%s+0x%llx)", base_name(m->path), (unsigned long long)off);
    return;
  }
  snprintf(buf, len, "0x%llx", (unsigned long long)ip);
}
