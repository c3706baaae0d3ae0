/* One thread's events with every split phase kept inside the read it belongs to. */
#include "nested.h"

#include "model.h"

/*
 * A read longer than 4.3 s has its duration stored in microseconds (over 71 minutes, in
 * milliseconds), rounded down by older shims, while its phases keep nanoseconds: the copy phase
 * can then end up to a unit after its read, and trace viewers drop slices that overlap their
 * parent.  The shim records a read's phases just before the read; other writers may put them
 * just after.  Either way the group is held back until it is whole, and each phase on the read's
 * fd is cut to the read's span.
 */
static void clamp(struct iot_event *p, const struct iot_event *rd) {
  uint64_t rs = rd->start_ns, re = rs + iot_event_dur_ns(rd);
  uint64_t ps = p->start_ns, pe = ps + iot_event_dur_ns(p);
  if (ps < rs)
    ps = rs;
  if (pe > re)
    pe = re;
  if (pe < ps)
    pe = ps;
  if (ps == p->start_ns && pe == ps + iot_event_dur_ns(p))
    return;
  p->start_ns = ps;
  p->flags &= (uint8_t)~IOT_EF_DUR_MASK;
  if (pe - ps <= UINT32_MAX) {
    p->dur = (uint32_t)(pe - ps);
  } else { /* still a coarse unit: rounded down, so it stays inside */
    p->dur = (uint32_t)((pe - ps) / 1000u);
    p->flags |= IOT_DUR_US << IOT_EF_DUR_SHIFT;
  }
}

void iotv_nested_init(struct iotv_nested *s, struct iotv_trace *t, size_t thread) {
  iotv_cursor_init(&s->c, t, thread);
  s->n = s->pos = 0;
  s->has_next = 0;
}

/* The next raw event: the one read ahead, else the cursor's. */
static int fetch(struct iotv_nested *s, struct iot_event *e, uint32_t *site) {
  const struct iot_event *r;
  if (s->has_next) {
    *e = s->next, *site = s->next_site;
    s->has_next = 0;
    return 1;
  }
  if ((r = iotv_cursor_next(&s->c, site)) == NULL)
    return 0;
  *e = *r;
  return 1;
}

static void push(struct iotv_nested *s, const struct iot_event *e, uint32_t site) {
  s->held[s->n] = *e;
  s->sites[s->n++] = site;
}

static int phase_of(const struct iot_event *p, const struct iot_event *rd) {
  uint64_t rs = rd->start_ns, re = rs + iot_event_dur_ns(rd) + 1000; /* a unit's rounding */
  return iotv_call_is_phase(p->call) && p->fd == rd->fd && p->start_ns + 1000 >= rs &&
         p->start_ns <= re;
}

const struct iot_event *iotv_nested_next(struct iotv_nested *s, uint32_t *site) {
  struct iot_event e;
  uint32_t st;
  unsigned i;
  if (s->pos < s->n)
    goto out;
  s->n = s->pos = 0;
  if (!fetch(s, &e, &st))
    return NULL;
  push(s, &e, st);
  if (iotv_call_is_phase(e.call)) { /* phases first: their read follows */
    while (s->n < IOTV_NESTED_HOLD + 1 && fetch(s, &e, &st)) {
      push(s, &e, st);
      if (!iotv_call_is_phase(e.call))
        break;
    }
    if (iotv_call_is_read(s->held[s->n - 1].call))
      for (i = 0; i + 1 < s->n; i++)
        if (phase_of(&s->held[i], &s->held[s->n - 1]))
          clamp(&s->held[i], &s->held[s->n - 1]);
  } else if (iotv_call_is_read(e.call)) { /* or the read first, its phases after it */
    while (s->n < IOTV_NESTED_HOLD + 1 && fetch(s, &e, &st)) {
      if (!phase_of(&e, &s->held[0])) {
        s->next = e, s->next_site = st, s->has_next = 1;
        break;
      }
      clamp(&e, &s->held[0]);
      push(s, &e, st);
    }
  }
out:
  if (site)
    *site = s->sites[s->pos];
  return &s->held[s->pos++];
}
