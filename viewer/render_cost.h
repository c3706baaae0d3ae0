/* What each thread's multiplexer calls cost the kernel, as the render shows it beside its lane. */
#ifndef IOTV_RENDER_COST_H
#define IOTV_RENDER_COST_H

#include <stdint.h>
#include <stdio.h>

#include "lanes.h"
#include "reader.h"

struct iotv_lane_cost {
  uint64_t first, last, events;     /* the thread's span (on the common axis) and event count */
  unsigned call;                    /* the multiplexer it called most, IOT_CALL_NONE if none */
  uint64_t calls, slept;            /* multiplexer calls, and those during which the thread slept */
  uint64_t ns, awake_ns;            /* time inside them, and inside those that did not sleep */
  uint64_t scanned, watched, ready; /* fds scanned (select, poll), watched or registered, ready */
  uint64_t to_kernel, to_user;      /* bytes they copied each way */
  uint64_t by_call[IOT_CALL_COUNT]; /* multiplexer calls of each kind, not lumped together */
};

/* A window cut into n cells, each told the fds scanned and the multiplexer time (all of it, and
 * the part in calls that did not sleep) that fell in it; callers own the arrays. */
struct iotv_cost_cells {
  uint64_t from, to;
  unsigned n;
  double *scanned, *mux_ns, *awake_ns;
};

/* Whether the call is a multiplexer call that returned without the thread sleeping. */
int iotv_event_awake_mux(const struct iot_event *e);
/* One pass over a thread's events; cells, when given, are cleared and filled too. */
void iotv_lane_cost(struct iotv_lane_cost *c, struct iotv_trace *t, size_t thread,
                    struct iotv_cost_cells *cells);
/* The colour (render.h) of a binned cell, awake multiplexer time told apart; -1 when empty. */
int iotv_render_cell_kind(const struct iotv_lane *l, const struct iotv_cost_cells *cc, unsigned c);
/* The figures as a JSON object. */
void iotv_lane_cost_json(FILE *f, const struct iotv_lane_cost *c);
/* Its multiplexer calls by kind, as [[call id, count], ...], most used first is not implied. */
void iotv_lane_cost_by_json(FILE *f, const struct iotv_lane_cost *c);

#endif
