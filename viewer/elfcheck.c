/* Whether a program can be traced by a preload shim: it must be dynamically linked and not Go. */
#include "elfcheck.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_at(int fd, off_t off, void *buf, size_t n) {
  return pread(fd, buf, n, off) == (ssize_t)n ? 0 : -1;
}

/* Go programs make system calls directly, not through libc, so LD_PRELOAD never sees them. */
static int has_go_buildinfo(int fd, const Elf64_Ehdr *eh) {
  Elf64_Shdr strsh, sh;
  char name[32];
  unsigned i;
  if (eh->e_shentsize != sizeof sh || eh->e_shstrndx >= eh->e_shnum ||
      read_at(fd, (off_t)(eh->e_shoff + (uint64_t)eh->e_shstrndx * sizeof sh), &strsh,
              sizeof strsh) < 0)
    return 0;
  for (i = 0; i < eh->e_shnum; i++) {
    if (read_at(fd, (off_t)(eh->e_shoff + (uint64_t)i * sizeof sh), &sh, sizeof sh) < 0)
      return 0;
    if (sh.sh_name >= strsh.sh_size)
      continue;
    memset(name, 0, sizeof name);
    if (pread(fd, name, sizeof name - 1, (off_t)(strsh.sh_offset + sh.sh_name)) <= 0)
      continue;
    if (strcmp(name, ".go.buildinfo") == 0)
      return 1;
  }
  return 0;
}

int iotv_elf_untraceable(const char *path, char *why, size_t len) {
  Elf64_Ehdr eh;
  Elf64_Phdr ph;
  unsigned i;
  int fd = open(path, O_RDONLY | O_CLOEXEC), interp = 0, result = 0;
  if (fd < 0)
    return -1;
  if (read_at(fd, 0, &eh, sizeof eh) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    close(fd);
    return 0;
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof ph) {
    snprintf(why, len, "it is not a 64-bit ELF program like the shim");
    close(fd);
    return 1;
  }
  for (i = 0; i < eh.e_phnum; i++) {
    if (read_at(fd, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph), &ph, sizeof ph) < 0)
      break;
    if (ph.p_type == PT_INTERP)
      interp = 1;
  }
  if (has_go_buildinfo(fd, &eh)) {
    snprintf(why, len,
             "it is a Go program: Go makes system calls itself, not through libc, so a preload "
             "shim cannot see them");
    result = 1;
  } else if (!interp) {
    snprintf(why, len,
             "it is statically linked (no program interpreter): the dynamic loader never runs, "
             "so LD_PRELOAD cannot insert the shim");
    result = 1;
  }
  close(fd);
  return result;
}
