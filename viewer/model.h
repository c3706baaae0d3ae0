/* What an event means: call families, the blocked decision and the phase an event spent its time
 * in. */
#ifndef IOTV_MODEL_H
#define IOTV_MODEL_H

#include "iotrace_format.h"

/* Without a measurement, a call this long is taken to have left the CPU. */
#define IOTV_INFER_BLOCK_NS 50000u

/* Where a call spent its time, as the timeline and the export colour it. */
enum iotv_kind {
  IOTV_KIND_WAIT,   /* blocked in a read or accept, or a wait phase */
  IOTV_KIND_COPY,   /* a read that returned data without blocking, or a copy phase */
  IOTV_KIND_EAGAIN, /* returned EAGAIN: polling a socket that had nothing */
  IOTV_KIND_MUX,    /* inside select, poll or epoll_wait */
  IOTV_KIND_OTHER,  /* everything else: epoll_ctl, errors, empty reads */
  IOTV_KIND_COUNT
};

const char *iotv_call_name(unsigned call);
/* The call id for a name, or IOT_CALL_NONE. */
unsigned iotv_call_by_name(const char *name);
int iotv_call_is_scan(unsigned call);       /* select, pselect, poll, ppoll: scan every fd */
int iotv_call_is_epoll_wait(unsigned call); /* epoll_wait, epoll_pwait, epoll_pwait2 */
int iotv_call_is_mux(unsigned call);        /* either of the above */
int iotv_call_is_read(unsigned call);       /* recv family and read/readv */
int iotv_call_is_accept(unsigned call);
int iotv_call_is_phase(unsigned call);
/* Whether bytes_asked counts this call's arg (recvmmsg's arg is a message count). */
int iotv_call_asks_bytes(unsigned call);

/* Whether the call blocked; *inferred is set when that was guessed from its duration. */
int iotv_event_blocked(const struct iot_event *e, int *inferred);
enum iotv_kind iotv_event_kind(const struct iot_event *e);
const char *iotv_kind_name(enum iotv_kind k);

#endif
