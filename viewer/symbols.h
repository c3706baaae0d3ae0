/* Frame names: turns a return address into "function (module+offset)" using ELF symbols on disk. */
#ifndef IOTV_SYMBOLS_H
#define IOTV_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

struct iotv_symbolizer;

/* Where Debian's -dbgsym packages install debug files, looked up by build id. */
#define IOTV_DEBUG_DIR "/usr/lib/debug"

/* debug_dir: where to look for separate debug files (NULL: IOTV_DEBUG_DIR). */
struct iotv_symbolizer *iotv_sym_new(const struct iotv_trace *t, const char *debug_dir);
void iotv_sym_free(struct iotv_symbolizer *s);
/* Writes the name of the frame at ip; falls back to module+offset, then to the bare address. */
void iotv_sym_frame(struct iotv_symbolizer *s, uint64_t ip, char *buf, size_t len);

#endif
