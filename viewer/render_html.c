/* HTML rendering of the timeline: the page's data (lanes, calls and what the multiplexers cost) as
 * JSON inside the fixed page of render_page.c. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "lanes.h"
#include "model.h"
#include "render.h"
#include "render_cost.h"
#include "stats.h"

/* Above this many events the page gets binned lanes instead: a browser would choke. */
#define RAW_EVENT_LIMIT 200000u
#define BINNED_CELLS 20000u

static int page_kind(const struct iot_event *e) {
  int k = (int)iotv_event_kind(e);
  return k == IOTV_KIND_MUX && iotv_event_awake_mux(e) ? IOTV_RENDER_AWAKE : k;
}

static void lane_head(FILE *f, const struct iotv_scene *sc, size_t proc, uint32_t tid,
                      const char *name, const struct iotv_lane_cost *cost, int comma) {
  char lab[160];
  uint64_t start, until; /* the lane is idle, not blank, until its process ends */
  iotv_trace_span(&sc->tr[proc], &start, &until);
  if (until < cost->last)
    until = cost->last;
  iotv_lane_label(lab, sizeof lab, sc->show_host ? sc->tr[proc].hdr.host : NULL,
                  sc->tr[proc].hdr.pid, tid, name);
  fprintf(f, "%s\n{\"label\":", comma ? "," : "");
  iotv_json_str(f, lab);
  fprintf(f, ",\"proc\":%zu,\"first\":%" PRIu64 ",\"last\":%" PRIu64 ",\"cost\":", proc,
          cost->first - sc->start, until - sc->start);
  iotv_lane_cost_json(f, cost);
  fputs(",\"by\":", f);
  iotv_lane_cost_by_json(f, cost);
  fputs(",\"name\":", f);
  iotv_json_str(f, name);
  fputs(",\"e\":[", f);
}

/* Every event as [start, duration, kind, call, fd, result, errno, blocked, bytes to user, bytes
 * to kernel], times from the scene's start (negative for a call that began before a --from
 * window); then every select and poll call as [start, duration, fds scanned]. */
static void raw_lanes(FILE *f, const struct iotv_scene *sc) {
  size_t i, k;
  int comma = 0;
  for (i = 0; i < sc->n; i++) {
    struct iotv_trace *t = &sc->tr[i];
    for (k = 0; k < t->nthreads; k++) {
      struct iotv_cursor c;
      struct iotv_lane_cost cost;
      const struct iot_event *e;
      uint64_t base = t->anchor_ns;
      int n = 0;
      /* The figures first, so the lane header can come before its events. */
      iotv_lane_cost(&cost, t, k, NULL);
      lane_head(f, sc, i, t->threads[k].tid, t->threads[k].name, &cost, comma);
      comma = 1;
      iotv_cursor_init(&c, t, k);
      while ((e = iotv_cursor_next(&c, NULL)) != NULL) {
        uint64_t to_k, to_u;
        int inferred, blocked = iotv_event_blocked(e, &inferred);
        iot_event_bytes(e, &t->hdr, &to_k, &to_u);
        fprintf(f, "%s%" PRId64 ",%" PRIu64 ",%d,%u,%d,%d,%u,%d,%" PRIu64 ",%" PRIu64,
                n++ ? "," : "", (int64_t)(base + e->start_ns) - (int64_t)sc->start,
                iot_event_dur_ns(e), page_kind(e), e->call, e->fd, e->result, e->err,
                blocked ? (inferred ? 2 : 1) : 0, to_u, to_k);
      }
      fputs("],\"c\":[", f);
      n = 0;
      iotv_cursor_init(&c, t, k);
      while (cost.scanned && (e = iotv_cursor_next(&c, NULL)) != NULL)
        if (iotv_call_is_scan(e->call))
          fprintf(f, "%s%" PRId64 ",%" PRIu64 ",%u", n++ ? "," : "",
                  (int64_t)(base + e->start_ns) - (int64_t)sc->start, iot_event_dur_ns(e), e->arg);
      fputs("]}", f);
    }
  }
}

static uint64_t cell_start(const struct iotv_scene *sc, unsigned c) {
  return (uint64_t)((__uint128_t)(sc->end - sc->start) * c / BINNED_CELLS);
}

/* One binned lane: runs of equal cells with no call details, then the fds scanned per cell. */
static void binned_lane(FILE *f, const struct iotv_scene *sc, const struct iotv_lane *l,
                        const struct iotv_cost_cells *cc) {
  unsigned c = 0;
  int n = 0;
  while (c < BINNED_CELLS) {
    int k = iotv_render_cell_kind(l, cc, c);
    unsigned end = c + 1;
    while (end < BINNED_CELLS && iotv_render_cell_kind(l, cc, end) == k)
      end++;
    if (k >= 0)
      fprintf(f, "%s%" PRIu64 ",%" PRIu64 ",%d,-1,0,0,0,0,0,0", n++ ? "," : "",
              cell_start(sc, c), cell_start(sc, end) - cell_start(sc, c), k);
    c = end;
  }
  fputs("],\"c\":[", f);
  n = 0;
  for (c = 0; c < BINNED_CELLS; c++)
    if (cc->scanned[c] >= 0.5)
      fprintf(f, "%s%" PRIu64 ",%" PRIu64 ",%.0f", n++ ? "," : "", cell_start(sc, c),
              cell_start(sc, c + 1) - cell_start(sc, c), cc->scanned[c]);
  fputs("]}", f);
}

/* Too many events: the lanes binned into cells, as the SVG does, at a finer grain. */
static int binned_lanes(FILE *f, const struct iotv_scene *sc) {
  struct iotv_lanes L;
  struct iotv_cost_cells cc = {
      sc->start, sc->end > sc->start ? sc->end : sc->start + 1, BINNED_CELLS, NULL, NULL, NULL};
  size_t i, k, li = 0;
  int r = -1;
  iotv_lanes_init(&L, sc->start, sc->end, BINNED_CELLS);
  L.show_host = sc->show_host;
  cc.scanned = malloc(BINNED_CELLS * sizeof *cc.scanned);
  cc.mux_ns = malloc(BINNED_CELLS * sizeof *cc.mux_ns);
  cc.awake_ns = malloc(BINNED_CELLS * sizeof *cc.awake_ns);
  if (!cc.scanned || !cc.mux_ns || !cc.awake_ns)
    goto out;
  for (i = 0; i < sc->n; i++)
    if (iotv_lanes_add(&L, &sc->tr[i]) < 0)
      goto out;
  /* iotv_lanes_add made one lane per thread, traces and threads in this same order. */
  for (i = 0; i < sc->n; i++)
    for (k = 0; k < sc->tr[i].nthreads; k++, li++) {
      struct iotv_lane_cost cost;
      iotv_lane_cost(&cost, &sc->tr[i], k, &cc);
      lane_head(f, sc, i, L.lane[li].tid, L.lane[li].name, &cost, li > 0);
      binned_lane(f, sc, &L.lane[li], &cc);
    }
  r = 0;
out:
  free(cc.scanned);
  free(cc.mux_ns);
  free(cc.awake_ns);
  iotv_lanes_free(&L);
  return r;
}

/* Each process once: pid and command line, which lanes point to. */
static void procs(FILE *f, const struct iotv_scene *sc) {
  size_t i, a;
  fputs(",\"procs\":[", f);
  for (i = 0; i < sc->n; i++) {
    const struct iotv_trace *t = &sc->tr[i];
    char *cmd = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&cmd, &len);
    for (a = 0; m && a < t->argc; a++)
      fprintf(m, "%s%s", a ? " " : "", t->argv[a]);
    if (m)
      fclose(m);
    fprintf(f, "%s{\"pid\":%u,\"command\":", i ? "," : "", t->hdr.pid);
    iotv_json_str(f, cmd ? cmd : "");
    fputs("}", f);
    free(cmd);
  }
  fputs("]", f);
}

/* The kinds as the page numbers them (render.h), their colours and the legend's order. */
static void kinds(FILE *f) {
  unsigned k;
  fputs(",\"kinds\":[", f);
  for (k = 0; k < IOTV_RENDER_KINDS; k++) {
    fputs(k ? "," : "", f);
    iotv_json_str(f, iotv_kind_labels[k]);
  }
  fputs("],\"colors\":[", f);
  for (k = 0; k < IOTV_RENDER_KINDS; k++)
    fprintf(f, "%s\"%s\"", k ? "," : "", iotv_kind_colors[k]);
  fputs("],\"legend\":[", f);
  for (k = 0; k < IOTV_RENDER_KINDS; k++)
    fprintf(f, "%s%d", k ? "," : "", iotv_render_legend[k]);
  fputs("]", f);
  /* The numbers of the cell rule (lanes.h), which the page's script applies at every zoom. */
  {
    static const int priority[IOTV_KIND_COUNT] = IOTV_CELL_PRIORITY;
    fprintf(f, ",\"rule\":{\"share\":%d,\"mux\":%d,\"awake\":%d,\"priority\":[", IOTV_CELL_SHARE,
            IOTV_KIND_MUX, IOTV_RENDER_AWAKE);
    for (k = 0; k < IOTV_KIND_COUNT; k++)
      fprintf(f, "%s%d", k ? "," : "", priority[k]);
    fputs("]}", f);
  }
}

int iotv_render_html(FILE *f, const struct iotv_scene *sc) {
  uint64_t events = 0;
  size_t i;
  unsigned k;
  char title[512], when[64], dur[32];
  int binned;
  for (i = 0; i < sc->n; i++)
    for (k = 0; k < sc->tr[i].nchunks; k++)
      events += sc->tr[i].chunks[k].nslots;
  binned = events > RAW_EVENT_LIMIT;
  snprintf(
      title, sizeof title, "iotrace: %zu process%s, %s from %s%s", sc->n, sc->n == 1 ? "" : "es",
      iotv_fmt_dur(dur, sizeof dur, sc->end - sc->start),
      iotv_fmt_wallclock(when, sizeof when,
                         sc->tr[0].hdr.real_anchor_ns - (sc->tr[0].anchor_ns - sc->start)),
      binned ? " (binned: too many events to show one by one)" : "");
  fputs(iotv_page_head, f);
  fputs("{\"title\":", f);
  iotv_json_str(f, title);
  fprintf(f, ",\"span\":%" PRIu64, sc->end > sc->start ? sc->end - sc->start : 1);
  kinds(f);
  fputs(",\"calls\":[", f);
  for (k = 0; k < IOT_CALL_COUNT; k++) {
    fputs(k ? "," : "", f);
    iotv_json_str(f, iotv_call_name(k));
  }
  fputs("]", f);
  procs(f, sc);
  /* errno names for the tooltips */
  fputs(",\"errnames\":{", f);
  for (k = 1; k < IOTV_ERRNOS; k++) {
    char name[16];
    fprintf(f, "%s\"%u\":\"%s\"", k > 1 ? "," : "", k, iotv_errno_name(k, name, sizeof name));
  }
  fputs("}", f);
  fputs(",\"lanes\":[", f);
  if (binned) {
    if (binned_lanes(f, sc) < 0)
      return -1;
  } else {
    raw_lanes(f, sc);
  }
  fputs("]}", f);
  fputs(iotv_page_script, f);
  return ferror(f) ? -1 : 0;
}
