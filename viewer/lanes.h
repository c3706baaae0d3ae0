/* Binned lanes: per thread, how much of each slice of a time window went to each kind of activity.
 */
#ifndef IOTV_LANES_H
#define IOTV_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "reader.h"

struct iotv_lane {
  uint32_t pid, tid;
  char name[17];
  const char *host;                 /* shown in the label when set: several hosts are drawn */
  uint64_t first_ns, last_ns;       /* the thread's first and last event, on the common axis */
  uint64_t until_ns;                /* its process's end: the lane is idle, not blank, until then */
  int64_t (*cell)[IOTV_KIND_COUNT]; /* ns of each kind per cell; signed: nested phases undo */
  uint32_t *events;                 /* events touching each cell */
  uint64_t cell_ns;                 /* the width of one cell */
};

struct iotv_lanes {
  uint64_t from, to; /* the window, on the common axis (align.c) */
  unsigned ncells;
  int show_host; /* set before adding lanes when the traces come from several hosts */
  struct iotv_lane *lane;
  size_t n;
};

/* The span a trace covers on the common axis (one pass over its events, the first time, if it did
 * not close). */
void iotv_trace_span(struct iotv_trace *t, uint64_t *start, uint64_t *end);
void iotv_lanes_init(struct iotv_lanes *l, uint64_t from, uint64_t to, unsigned ncells);
/* Adds one lane per thread of t; -1 when out of memory. */
int iotv_lanes_add(struct iotv_lanes *l, struct iotv_trace *t);
void iotv_lanes_free(struct iotv_lanes *l);
/* The label of a thread's lane in every output: "pid/tid name", "host: pid/tid name" when a host
 * is given. */
void iotv_lane_label(char *buf, size_t len, const char *host, uint32_t pid, uint32_t tid,
                     const char *name);
/*
 * The one rule every timeline (text, SVG, HTML) colours a cell by.  Copying, the short phase the
 * tool exists to show, must not be outvoted by the long waits around it: the cell shows the first
 * kind in IOTV_CELL_PRIORITY order that filled at least 1/IOTV_CELL_SHARE of it; if none did
 * but calls together filled that much, the kind that filled most; else it is idle (-1).
 */
#define IOTV_CELL_SHARE 8
#define IOTV_CELL_PRIORITY                                                                         \
  { IOTV_KIND_COPY, IOTV_KIND_EAGAIN, IOTV_KIND_WAIT, IOTV_KIND_MUX, IOTV_KIND_OTHER }
int iotv_cell_rule(const int64_t ns[IOTV_KIND_COUNT], uint64_t cell_ns);
/* The rule applied to one cell of a lane; -1 (idle) also when no event touched it. */
int iotv_lane_cell_kind(const struct iotv_lane *lane, unsigned cell);

#endif
