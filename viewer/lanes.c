/* Binned lanes: per thread, how much of each slice of a time window went to each kind of activity.
 */
#include "lanes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Phases remembered to recognise the read that encloses them (the shim records them first). */
#define RECENT_PHASES 4

void iotv_trace_span(struct iotv_trace *t, uint64_t *start, uint64_t *end) {
  uint64_t d = t->span_known ? t->span_ns : iotv_trace_duration_hint(t);
  size_t i;
  /* A file that did not close says nothing of its end: one pass over its events, done once (the
   * outputs ask per lane), before any filter is bound, so the span is the process's. */
  if (d == 0 && !t->span_known) {
    for (i = 0; i < t->nthreads; i++) {
      struct iotv_cursor c;
      const struct iot_event *e;
      iotv_cursor_init(&c, t, i);
      while ((e = iotv_cursor_next(&c, NULL)) != NULL)
        if (e->start_ns + iot_event_dur_ns(e) > d)
          d = e->start_ns + iot_event_dur_ns(e);
    }
  }
  t->span_ns = d;
  t->span_known = 1;
  *start = t->anchor_ns;
  *end = t->anchor_ns + d;
}

void iotv_lanes_init(struct iotv_lanes *l, uint64_t from, uint64_t to, unsigned ncells) {
  memset(l, 0, sizeof *l);
  l->from = from;
  l->to = to > from ? to : from + 1;
  l->ncells = ncells ? ncells : 1;
}

/* Spreads [s, e) over the cells it overlaps, sign -1 to take it back out. */
static void spread(const struct iotv_lanes *l, struct iotv_lane *lane, uint64_t s, uint64_t e,
                   int kind, int sign) {
  uint64_t span = l->to - l->from;
  unsigned c0, c1, c;
  if (e <= l->from || s >= l->to)
    return;
  if (s < l->from)
    s = l->from;
  if (e > l->to)
    e = l->to;
  c0 = (unsigned)((__uint128_t)(s - l->from) * l->ncells / span);
  c1 = (unsigned)((__uint128_t)(e - l->from) * l->ncells / span);
  if (c1 >= l->ncells)
    c1 = l->ncells - 1;
  for (c = c0; c <= c1; c++) {
    uint64_t cs = l->from + (uint64_t)((__uint128_t)span * c / l->ncells);
    uint64_t ce = l->from + (uint64_t)((__uint128_t)span * (c + 1) / l->ncells);
    uint64_t a = s > cs ? s : cs, b = e < ce ? e : ce;
    /* At least 1 ns, so an instant call still names its kind instead of a zero tie. */
    lane->cell[c][kind] += sign * (int64_t)(b > a ? b - a : 1);
    if (sign > 0)
      lane->events[c]++;
  }
}

struct read_mark {
  int active, undone;
  int32_t fd;
  uint64_t s, e;
  int kind;
};

static int inside(int32_t fd, uint64_t s, uint64_t e, const struct read_mark *r) {
  return r->active && r->fd == fd && s >= r->s && e <= r->e + 1000;
}

static void fill_lane(struct iotv_lanes *l, struct iotv_lane *lane, struct iotv_trace *t,
                      size_t thread) {
  struct iotv_cursor c;
  const struct iot_event *e;
  struct read_mark rd = {0};
  struct read_mark recent[RECENT_PHASES];
  unsigned nrecent = 0, i;
  uint64_t base = t->anchor_ns;
  iotv_cursor_init(&c, t, thread);
  while ((e = iotv_cursor_next(&c, NULL)) != NULL) {
    uint64_t s = base + e->start_ns, end = s + iot_event_dur_ns(e);
    int kind = iotv_event_kind(e), covered = 0;
    if (lane->first_ns == 0 || s < lane->first_ns)
      lane->first_ns = s;
    if (end > lane->last_ns)
      lane->last_ns = end;
    /* A read split into phases is drawn as its phases: its own time would count twice. */
    if (iotv_call_is_phase(e->call)) {
      if (inside(e->fd, s, end, &rd) && !rd.undone) {
        spread(l, lane, rd.s, rd.e, rd.kind, -1);
        rd.undone = 1;
      }
      recent[nrecent % RECENT_PHASES] = (struct read_mark){1, 0, e->fd, s, end, kind};
      nrecent++;
      spread(l, lane, s, end, kind, 1);
      continue;
    }
    if (iotv_call_is_read(e->call)) {
      struct read_mark me = {1, 0, e->fd, s, end, kind};
      for (i = 0; i < RECENT_PHASES && i < nrecent; i++)
        if (inside(recent[i].fd, recent[i].s, recent[i].e, &me))
          covered = 1;
      rd = me;
      rd.undone = covered;
    }
    nrecent = 0;
    if (!covered)
      spread(l, lane, s, end, kind, 1);
  }
}

int iotv_lanes_add(struct iotv_lanes *l, struct iotv_trace *t) {
  size_t i;
  uint64_t start, until;
  struct iotv_lane *p;
  if (t->nthreads == 0) /* a process that made no traced call: realloc(p, 0) would free p */
    return 0;
  iotv_trace_span(t, &start, &until);
  p = realloc(l->lane, (l->n + t->nthreads) * sizeof *p);
  if (!p)
    return -1;
  l->lane = p;
  for (i = 0; i < t->nthreads; i++) {
    struct iotv_lane *lane = &l->lane[l->n];
    memset(lane, 0, sizeof *lane);
    lane->pid = t->hdr.pid;
    lane->host = l->show_host ? t->hdr.host : NULL;
    lane->tid = t->threads[i].tid;
    memcpy(lane->name, t->threads[i].name, sizeof lane->name);
    lane->cell_ns = (l->to - l->from) / l->ncells;
    lane->cell = calloc(l->ncells, sizeof *lane->cell);
    lane->events = calloc(l->ncells, sizeof *lane->events);
    if (!lane->cell || !lane->events) {
      free(lane->cell);
      free(lane->events);
      return -1;
    }
    l->n++;
    fill_lane(l, lane, t, i);
  }
  for (i = l->n - t->nthreads; i < l->n; i++) /* the process lasts as long as its longest thread */
    if (l->lane[i].last_ns > until)
      until = l->lane[i].last_ns;
  for (i = l->n - t->nthreads; i < l->n; i++)
    l->lane[i].until_ns = until;
  return 0;
}

void iotv_lane_label(char *buf, size_t len, const char *host, uint32_t pid, uint32_t tid,
                     const char *name) {
  if (host)
    snprintf(buf, len, "%s: %u/%u %s", host, pid, tid, name);
  else
    snprintf(buf, len, "%u/%u %s", pid, tid, name);
}

void iotv_lanes_free(struct iotv_lanes *l) {
  size_t i;
  for (i = 0; i < l->n; i++) {
    free(l->lane[i].cell);
    free(l->lane[i].events);
  }
  free(l->lane);
  memset(l, 0, sizeof *l);
}

int iotv_cell_rule(const int64_t ns[IOTV_KIND_COUNT], uint64_t cell_ns) {
  static const int priority[IOTV_KIND_COUNT] = IOTV_CELL_PRIORITY;
  int64_t busy = 0, most = 0;
  int k, best = -1;
  for (k = 0; k < IOTV_KIND_COUNT; k++)
    if (ns[priority[k]] > 0 && (uint64_t)ns[priority[k]] * IOTV_CELL_SHARE >= cell_ns)
      return priority[k];
  for (k = 0; k < IOTV_KIND_COUNT; k++) {
    int64_t v = ns[priority[k]];
    if (v > 0)
      busy += v;
    if (v > most)
      most = v, best = priority[k];
  }
  return busy > 0 && (uint64_t)busy * IOTV_CELL_SHARE >= cell_ns ? best : -1;
}

int iotv_lane_cell_kind(const struct iotv_lane *lane, unsigned cell) {
  if (lane->events[cell] == 0)
    return -1;
  return iotv_cell_rule(lane->cell[cell], lane->cell_ns ? lane->cell_ns : 1);
}
