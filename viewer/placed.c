/* Opening a command's traces ready to use: --pid applied, placed on one time axis, filters bound. */
#include "placed.h"

#include <string.h>

#include "inputs.h"
#include "lanes.h"

int iotv_open_placed(struct iotv_placed *p, int argc, char **argv, int *status, const char *cmd,
                     struct iotv_filter *f) {
  size_t i, kept = 0;
  memset(p, 0, sizeof *p);
  p->tr = iotv_open_traces(argc, argv, &p->n, status);
  if (!p->tr)
    return -1;
  for (i = 0; i < p->n; i++) {
    if (iotv_filter_pid(f, p->tr[i].hdr.pid))
      p->tr[kept++] = p->tr[i];
    else
      iotv_trace_close(&p->tr[i]);
  }
  p->n = kept;
  iotv_align(p->tr, p->n, f ? f->clock : IOTV_CLOCK_AUTO, &p->al);
  iotv_align_note(cmd, &p->al);
  p->start = UINT64_MAX;
  for (i = 0; i < p->n; i++) {
    uint64_t s, e;
    iotv_trace_span(&p->tr[i], &s, &e);
    if (s < p->start)
      p->start = s;
    if (e > p->end)
      p->end = e;
  }
  if (p->n == 0)
    p->start = 0;
  if (f)
    iotv_filter_bind(f, p->tr, p->n, p->start);
  return 0;
}

void iotv_close_placed(struct iotv_placed *p) {
  iotv_close_traces(p->tr, p->n);
  memset(p, 0, sizeof *p);
}
