/* The GNU build id of a mapped ELF file, read from the process's own memory, never from disk. */
#define _GNU_SOURCE
#include <elf.h>
#include <string.h>

#include "buildid.h"

/*
 * The loader maps a file's first page (ELF header, program headers and, in every common layout,
 * the notes) at its load base.  Only addresses inside the readable span [lo, hi) the caller knows
 * to be mapped from this file are read, so a stray or hostile layout cannot fault.
 */
static int in_span(uintptr_t p, size_t n, uintptr_t lo, uintptr_t hi) {
  return p >= lo && p <= hi && n <= hi - p;
}

unsigned iot_buildid_read(uintptr_t base, uintptr_t lo, uintptr_t hi, unsigned char *out,
                          unsigned cap) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
  if (!in_span(base, sizeof *eh, lo, hi) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr))
    return 0;
  uintptr_t ph0 = base + eh->e_phoff;
  if (eh->e_phoff > hi - base || !in_span(ph0, (size_t)eh->e_phnum * sizeof(Elf64_Phdr), lo, hi))
    return 0;
  /* The load bias: 0 for an executable linked at its address, base for a shared object. */
  uintptr_t bias = base;
  for (unsigned i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(ph0 + i * sizeof(Elf64_Phdr));
    if (ph->p_type == PT_LOAD && ph->p_offset == 0) {
      bias = base - (uintptr_t)ph->p_vaddr;
      break;
    }
  }
  for (unsigned i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(ph0 + i * sizeof(Elf64_Phdr));
    if (ph->p_type != PT_NOTE)
      continue;
    uintptr_t p = bias + (uintptr_t)ph->p_vaddr, end = p + ph->p_memsz;
    if (end < p || !in_span(p, ph->p_memsz, lo, hi))
      continue;
    while (p + sizeof(Elf64_Nhdr) <= end) {
      const Elf64_Nhdr *nh = (const Elf64_Nhdr *)p;
      uintptr_t name = p + sizeof *nh, desc = name + ((nh->n_namesz + 3u) & ~3u);
      uintptr_t next = desc + ((nh->n_descsz + 3u) & ~3u);
      if (next > end || next <= p)
        break;
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
          memcmp((const void *)name, "GNU", 4) == 0 && nh->n_descsz > 0) {
        unsigned n = nh->n_descsz < cap ? nh->n_descsz : cap;
        memcpy(out, (const void *)desc, n);
        return n;
      }
      p = next;
    }
  }
  return 0;
}
