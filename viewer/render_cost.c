/* What each thread's multiplexer calls cost the kernel, as the render shows it beside its lane. */
#include "render_cost.h"

#include <inttypes.h>
#include <string.h>

#include "model.h"
#include "render.h"

int iotv_event_awake_mux(const struct iot_event *e) {
  return iotv_call_is_mux(e->call) && !iotv_event_blocked(e, NULL);
}

/* Adds v to the cells [s, e) overlaps, in proportion to the overlap (all to one cell if s == e). */
static void spread(const struct iotv_cost_cells *cc, double *cell, uint64_t s, uint64_t e,
                   double v) {
  uint64_t span = cc->to - cc->from;
  unsigned c0, c1, c;
  if (e < cc->from || s >= cc->to)
    return;
  if (s < cc->from)
    s = cc->from;
  if (e > cc->to)
    e = cc->to;
  c0 = (unsigned)((__uint128_t)(s - cc->from) * cc->n / span);
  c1 = (unsigned)((__uint128_t)(e - cc->from) * cc->n / span);
  if (c1 >= cc->n)
    c1 = cc->n - 1;
  if (c0 == c1 || e == s) {
    cell[c0] += v;
    return;
  }
  for (c = c0; c <= c1; c++) {
    uint64_t cs = cc->from + (uint64_t)((__uint128_t)span * c / cc->n);
    uint64_t ce = cc->from + (uint64_t)((__uint128_t)span * (c + 1) / cc->n);
    uint64_t a = s > cs ? s : cs, b = e < ce ? e : ce;
    if (b > a)
      cell[c] += v * (double)(b - a) / (double)(e - s);
  }
}

void iotv_lane_cost(struct iotv_lane_cost *c, struct iotv_trace *t, size_t thread,
                    struct iotv_cost_cells *cells) {
  uint64_t per_call[IOT_CALL_COUNT] = {0}, base = t->anchor_ns, best = 0;
  struct iotv_cursor cur;
  const struct iot_event *e;
  unsigned k;
  memset(c, 0, sizeof *c);
  c->first = UINT64_MAX;
  if (cells) {
    memset(cells->scanned, 0, cells->n * sizeof *cells->scanned);
    memset(cells->mux_ns, 0, cells->n * sizeof *cells->mux_ns);
    memset(cells->awake_ns, 0, cells->n * sizeof *cells->awake_ns);
  }
  iotv_cursor_init(&cur, t, thread);
  while ((e = iotv_cursor_next(&cur, NULL)) != NULL) {
    uint64_t s = base + e->start_ns, dur = iot_event_dur_ns(e), to_k, to_u;
    c->events++;
    if (s < c->first)
      c->first = s;
    if (s + dur > c->last)
      c->last = s + dur;
    if (!iotv_call_is_mux(e->call))
      continue;
    per_call[e->call]++;
    c->calls++;
    c->ns += dur;
    if (iotv_event_awake_mux(e))
      c->awake_ns += dur;
    else
      c->slept++;
    if (iotv_call_is_scan(e->call))
      c->scanned += e->arg;
    if (e->aux != IOT_UNKNOWN) /* fds watched for select and poll, interest set for epoll */
      c->watched += e->aux;
    if (e->result > 0)
      c->ready += (uint64_t)e->result;
    iot_event_bytes(e, &t->hdr, &to_k, &to_u);
    c->to_kernel += to_k;
    c->to_user += to_u;
    if (cells) {
      if (iotv_call_is_scan(e->call))
        spread(cells, cells->scanned, s, s + dur, e->arg);
      spread(cells, cells->mux_ns, s, s + dur, (double)dur);
      if (iotv_event_awake_mux(e))
        spread(cells, cells->awake_ns, s, s + dur, (double)dur);
    }
  }
  if (c->first == UINT64_MAX)
    c->first = c->last = base;
  c->call = IOT_CALL_NONE;
  memcpy(c->by_call, per_call, sizeof c->by_call);
  for (k = 0; k < IOT_CALL_COUNT; k++)
    if (per_call[k] > best) {
      best = per_call[k];
      c->call = k;
    }
}

int iotv_render_cell_kind(const struct iotv_lane *l, const struct iotv_cost_cells *cc, unsigned c) {
  int k = iotv_lane_cell_kind(l, c);
  return k == IOTV_KIND_MUX && cc->awake_ns[c] * 2 > cc->mux_ns[c] ? IOTV_RENDER_AWAKE : k;
}

void iotv_lane_cost_json(FILE *f, const struct iotv_lane_cost *c) {
  fprintf(f,
          "{\"call\":%d,\"calls\":%" PRIu64 ",\"slept\":%" PRIu64 ",\"ns\":%" PRIu64
          ",\"awake_ns\":%" PRIu64 ",\"scanned\":%" PRIu64 ",\"watched\":%" PRIu64
          ",\"ready\":%" PRIu64 ",\"to_kernel\":%" PRIu64 ",\"to_user\":%" PRIu64 "}",
          c->call == IOT_CALL_NONE ? -1 : (int)c->call, c->calls, c->slept, c->ns, c->awake_ns,
          c->scanned, c->watched, c->ready, c->to_kernel, c->to_user);
}

void iotv_lane_cost_by_json(FILE *f, const struct iotv_lane_cost *c) {
  unsigned k;
  int first = 1;
  fputs("[", f);
  for (k = 0; k < IOT_CALL_COUNT; k++)
    if (c->by_call[k]) {
      fprintf(f, "%s[%u,%" PRIu64 "]", first ? "" : ",", k, c->by_call[k]);
      first = 0;
    }
  fputs("]", f);
}
