/* A file's events across all its threads in start order: a merge of the per-thread cursors. */
#ifndef IOTV_TIME_ORDER_H
#define IOTV_TIME_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

/* How far a thread's own events may be out of start order and still come out sorted: a read
 * recorded after the phases or the signal-handler calls that happened inside it. */
#define IOTV_REORDER_WINDOW 64

struct iotv_time_order;

/* NULL when out of memory. */
struct iotv_time_order *iotv_time_order_new(struct iotv_trace *t);
/* The next event by start time, or NULL at the end; *thread is its thread's index, *site its
 * call-site id.  The event stays valid until the next call. */
const struct iot_event *iotv_time_order_next(struct iotv_time_order *o, size_t *thread,
                                             uint32_t *site);
void iotv_time_order_free(struct iotv_time_order *o);

#endif
