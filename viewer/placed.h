/* Opening a command's traces ready to use: --pid applied, placed on one time axis, filters bound. */
#ifndef IOTV_PLACED_H
#define IOTV_PLACED_H

#include <stddef.h>
#include <stdint.h>

#include "align.h"
#include "filter.h"
#include "reader.h"

struct iotv_placed {
  struct iotv_trace *tr;
  size_t n;
  struct iotv_alignment al;
  uint64_t start, end; /* the earliest start and latest end over the files, on the axis */
};

/* Opens argv's traces (iotv_open_traces), keeps those --pid lets through, aligns them by f's
 * --clock (saying so for cmd) and binds f to them.  *status becomes 2 on a damaged input; -1 when out of
 * memory. */
int iotv_open_placed(struct iotv_placed *p, int argc, char **argv, int *status, const char *cmd,
                     struct iotv_filter *f);
void iotv_close_placed(struct iotv_placed *p);

#endif
