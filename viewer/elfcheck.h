/* Whether a program can be traced by a preload shim: it must be dynamically linked and not Go. */
#ifndef IOTV_ELFCHECK_H
#define IOTV_ELFCHECK_H

#include <stddef.h>

/* 1 when path is an ELF file the shim cannot see into (static, or a Go binary), with the reason
 * in why; 0 when it can be traced or is not ELF (a script runs a dynamic interpreter); -1 when
 * it cannot be read. */
int iotv_elf_untraceable(const char *path, char *why, size_t len);

#endif
