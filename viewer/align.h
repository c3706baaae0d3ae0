/* Placing traces on one time axis: their monotonic clocks when they share one, else wall clocks. */
#ifndef IOTV_ALIGN_H
#define IOTV_ALIGN_H

#include <stddef.h>

#include "reader.h"

enum iotv_clock {
  IOTV_CLOCK_AUTO, /* monotonic when every file shares one clock, else wall */
  IOTV_CLOCK_MONO, /* each file's CLOCK_MONOTONIC anchor: exact within one boot of one host */
  IOTV_CLOCK_WALL  /* each file's CLOCK_REALTIME anchor: comparable across hosts and boots */
};

struct iotv_alignment {
  enum iotv_clock used; /* MONO or WALL */
  int forced;           /* --clock asked for it */
  int shared_clock;     /* every file comes from one boot of one host */
  size_t nhosts;        /* distinct host names */
};

/* "auto", "mono" or "wall"; -1 for anything else. */
int iotv_clock_parse(const char *s, enum iotv_clock *out);
/* Sets every trace's anchor_ns on the axis chosen, and says which in *a. */
void iotv_align(struct iotv_trace *tr, size_t n, enum iotv_clock want, struct iotv_alignment *a);
/* One line on stderr when the choice is not the plain one (several hosts or boots, or forced). */
void iotv_align_note(const char *cmd, const struct iotv_alignment *a);
/* How many distinct host names the files carry. */
size_t iotv_host_count(const struct iotv_trace *tr, size_t n);
/* Whether lane labels need the host to tell processes apart. */
static inline int iotv_align_show_host(const struct iotv_alignment *a) {
  return a->nhosts > 1;
}

#endif
