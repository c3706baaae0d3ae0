/* One thread's events with every split phase kept inside the read it belongs to. */
#ifndef IOTV_NESTED_H
#define IOTV_NESTED_H

#include <stdint.h>

#include "reader.h"

#define IOTV_NESTED_HOLD 4 /* phases held back until their read shows up */

struct iotv_nested {
  struct iotv_cursor c;
  struct iot_event held[IOTV_NESTED_HOLD + 1];
  uint32_t sites[IOTV_NESTED_HOLD + 1];
  unsigned n, pos;
  int has_next; /* an event read ahead that starts the next group */
  struct iot_event next;
  uint32_t next_site;
};

void iotv_nested_init(struct iotv_nested *s, struct iotv_trace *t, size_t thread);
/* As iotv_cursor_next; a phase comes out clamped to the span of the read that encloses it. */
const struct iot_event *iotv_nested_next(struct iotv_nested *s, uint32_t *site);

#endif
