/* What an event means: call families, the blocked decision and the phase an event spent its time
 * in. */
#include "model.h"

#include <string.h>

static const char *const names[IOT_CALL_COUNT] = {[IOT_CALL_NONE] = "none",
#define IOTV_NAME(name, str) [IOT_CALL_##name] = str,
                                                  IOT_CALLS(IOTV_NAME)
#undef IOTV_NAME
};

const char *iotv_call_name(unsigned call) {
  return call < IOT_CALL_COUNT ? names[call] : "unknown";
}

unsigned iotv_call_by_name(const char *name) {
  unsigned i;
  for (i = 1; i < IOT_CALL_COUNT; i++)
    if (strcmp(names[i], name) == 0)
      return i;
  return IOT_CALL_NONE;
}

int iotv_call_is_scan(unsigned call) {
  return call == IOT_CALL_SELECT || call == IOT_CALL_PSELECT || call == IOT_CALL_POLL ||
         call == IOT_CALL_PPOLL;
}

int iotv_call_is_epoll_wait(unsigned call) {
  return call == IOT_CALL_EPOLL_WAIT || call == IOT_CALL_EPOLL_PWAIT ||
         call == IOT_CALL_EPOLL_PWAIT2;
}

int iotv_call_is_mux(unsigned call) {
  return iotv_call_is_scan(call) || iotv_call_is_epoll_wait(call);
}

int iotv_call_is_read(unsigned call) {
  return call == IOT_CALL_RECV || call == IOT_CALL_RECVFROM || call == IOT_CALL_RECVMSG ||
         call == IOT_CALL_RECVMMSG || call == IOT_CALL_READ || call == IOT_CALL_READV;
}

int iotv_call_is_accept(unsigned call) {
  return call == IOT_CALL_ACCEPT || call == IOT_CALL_ACCEPT4;
}

int iotv_call_is_phase(unsigned call) {
  return call == IOT_CALL_PHASE_WAIT || call == IOT_CALL_PHASE_COPY;
}

int iotv_call_asks_bytes(unsigned call) {
  return iotv_call_is_read(call) && call != IOT_CALL_RECVMMSG;
}

int iotv_event_blocked(const struct iot_event *e, int *inferred) {
  if (e->flags & IOT_EF_BLOCK_UNKNOWN) {
    if (inferred)
      *inferred = 1;
    return iot_event_dur_ns(e) >= IOTV_INFER_BLOCK_NS;
  }
  if (inferred)
    *inferred = 0;
  return (e->flags & IOT_EF_BLOCKED) != 0;
}

enum iotv_kind iotv_event_kind(const struct iot_event *e) {
  if (e->call == IOT_CALL_PHASE_WAIT)
    return IOTV_KIND_WAIT;
  if (e->call == IOT_CALL_PHASE_COPY)
    return IOTV_KIND_COPY;
  if (e->flags & IOT_EF_WOULDBLOCK)
    return IOTV_KIND_EAGAIN;
  if (iotv_call_is_mux(e->call))
    return IOTV_KIND_MUX;
  if ((iotv_call_is_read(e->call) || iotv_call_is_accept(e->call)) && iotv_event_blocked(e, NULL))
    return IOTV_KIND_WAIT;
  if (iotv_call_is_read(e->call) && e->result > 0)
    return IOTV_KIND_COPY;
  return IOTV_KIND_OTHER;
}

const char *iotv_kind_name(enum iotv_kind k) {
  static const char *const kn[IOTV_KIND_COUNT] = {"wait", "copy", "eagain", "multiplexer", "other"};
  return (unsigned)k < IOTV_KIND_COUNT ? kn[k] : "?";
}
