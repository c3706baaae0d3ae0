/* SVG rendering of the timeline, for slides: per thread a row of rectangles and, under it, the fds
 * its multiplexer scanned; axis and legend. */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "lanes.h"
#include "model.h"
#include "render.h"
#include "render_cost.h"

#define CELLS 1200 /* horizontal resolution: one cell per SVG unit */
#define LABEL_W 240
#define ROW_H 22  /* the activity row */
#define COST_H 14 /* the fds scanned row under it */
#define LANE_H (ROW_H + COST_H + 8)
#define TOP 40
#define SCAN_COLOR "#8c2d04"

/* Consecutive cells of the same kind become one rectangle, to keep the file small. */
static void lane_rects(FILE *f, const struct iotv_lane *l, const struct iotv_cost_cells *cc,
                       unsigned y) {
  unsigned c = 0;
  while (c < CELLS) {
    int k = iotv_render_cell_kind(l, cc, c);
    unsigned end = c + 1;
    while (end < CELLS && iotv_render_cell_kind(l, cc, end) == k)
      end++;
    if (k >= 0)
      fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>\n", LABEL_W + c,
              y + 3, end - c, ROW_H - 6, iotv_kind_colors[k]);
    c = end;
  }
}

/* The fds scanned per cell as bars, on the scale shared by every lane (most = full height). */
static void cost_bars(FILE *f, const double *scanned, double most, unsigned y) {
  unsigned c;
  fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"1\" fill=\"#bbb\"/>\n", LABEL_W,
          y + ROW_H + COST_H, CELLS);
  for (c = 0; c < CELLS; c++)
    if (scanned[c] >= 0.5 && most > 0) {
      double h = scanned[c] / most * (COST_H - 2);
      fprintf(f, "<rect x=\"%u\" y=\"%.1f\" width=\"1\" height=\"%.1f\" fill=\"%s\"/>\n",
              LABEL_W + c, y + ROW_H + COST_H - (h < 1 ? 1 : h), h < 1 ? 1 : h, SCAN_COLOR);
    }
}

static void lane_text(FILE *f, const struct iotv_lane *l, const struct iotv_lane_cost *cost,
                      unsigned y) {
  char lab[160], n[32];
  iotv_lane_label(lab, sizeof lab, l->host, l->pid, l->tid, l->name);
  fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">", LABEL_W - 8, y + ROW_H - 7);
  /* Thread names come from the traced program: escaped like any other untrusted text. */
  iotv_xml_str(f, lab);
  fputs("</text>\n", f);
  if (cost->calls)
    fprintf(f,
            "<text x=\"%u\" y=\"%u\" text-anchor=\"end\" font-size=\"10\" fill=\"%s\">%s: %s fds "
            "scanned per call</text>\n",
            LABEL_W - 8, y + ROW_H + COST_H - 3, cost->scanned ? SCAN_COLOR : "#555",
            iotv_call_name(cost->call),
            iotv_fmt_count(n, (cost->scanned + cost->calls / 2) / cost->calls)); /* as the page */
}

static void legend(FILE *f, unsigned y) {
  unsigned i, x = 10;
  for (i = 0; i < IOTV_RENDER_KINDS; i++) {
    int k = iotv_render_legend[i];
    fprintf(f,
            "<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"%s\"/>"
            "<text x=\"%u\" y=\"%u\">%s</text>\n",
            x, y, iotv_kind_colors[k], x + 16, y + 11, iotv_kind_labels[k]);
    x += 16 + 13 * (unsigned)strlen(iotv_kind_labels[k]) / 2 + 16;
  }
}

/* The cell boundary nearest to t, clamped to the drawing. */
static unsigned cell_of(const struct iotv_scene *sc, uint64_t t) {
  uint64_t span = sc->end > sc->start ? sc->end - sc->start : 1;
  if (t <= sc->start)
    return 0;
  if (t >= sc->end)
    return CELLS;
  return (unsigned)(((__uint128_t)(t - sc->start) * CELLS + span / 2) / span);
}

int iotv_render_svg(FILE *f, const struct iotv_scene *sc) {
  struct iotv_lanes L;
  struct iotv_lane_cost *cost = NULL;
  struct iotv_cost_cells cc = {
      sc->start, sc->end > sc->start ? sc->end : sc->start + 1, CELLS, NULL, NULL, NULL};
  double *scanned = NULL, *mux = NULL, *awake = NULL, most = 0;
  size_t i, k, nl = 0;
  unsigned w = LABEL_W + CELLS + 20, h, x;
  int r = -1;
  for (i = 0; i < sc->n; i++)
    nl += sc->tr[i].nthreads;
  h = TOP + (unsigned)nl * LANE_H + 50;
  iotv_lanes_init(&L, sc->start, sc->end, CELLS);
  L.show_host = sc->show_host;
  cost = calloc(nl ? nl : 1, sizeof *cost);
  scanned = calloc((nl ? nl : 1) * CELLS, sizeof *scanned);
  mux = calloc((nl ? nl : 1) * CELLS, sizeof *mux);
  awake = calloc((nl ? nl : 1) * CELLS, sizeof *awake);
  if (!cost || !scanned || !mux || !awake)
    goto out;
  for (i = 0; i < sc->n; i++)
    if (iotv_lanes_add(&L, &sc->tr[i]) < 0)
      goto out;
  /* The cost of each lane, in the order iotv_lanes_add made them: traces, then threads. */
  for (i = 0, nl = 0; i < sc->n; i++)
    for (k = 0; k < sc->tr[i].nthreads; k++, nl++) {
      cc.scanned = scanned + nl * CELLS;
      cc.mux_ns = mux + nl * CELLS;
      cc.awake_ns = awake + nl * CELLS;
      iotv_lane_cost(&cost[nl], &sc->tr[i], k, &cc);
    }
  for (i = 0; i < nl * CELLS; i++)
    if (scanned[i] > most)
      most = scanned[i];
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
          "viewBox=\"0 0 %u %u\" font-family=\"sans-serif\" font-size=\"12\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          w, h, w, h);
  for (k = 0; k <= 10; k++) {
    char t[32];
    x = LABEL_W + CELLS * (unsigned)k / 10;
    iotv_fmt_tick(t, sizeof t, (sc->end - sc->start) * k / 10, (sc->end - sc->start) / 10);
    fprintf(f,
            "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#ccc\"/>"
            "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
            x, TOP - 8, x, TOP + (unsigned)nl * LANE_H, x, TOP - 12, t);
  }
  for (i = 0; i < L.n; i++) {
    unsigned y = TOP + (unsigned)i * LANE_H;
    unsigned a = cell_of(sc, L.lane[i].first_ns), b = cell_of(sc, L.lane[i].until_ns);
    /* Idle only while the process was there: before it started and after it ended stays blank. */
    if (b > a)
      fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>\n",
              LABEL_W + a, y + 3, b - a, ROW_H - 6, iotv_kind_colors[IOTV_RENDER_IDLE]);
    lane_text(f, &L.lane[i], &cost[i], y);
    cc.scanned = scanned + i * CELLS;
    cc.mux_ns = mux + i * CELLS;
    cc.awake_ns = awake + i * CELLS;
    lane_rects(f, &L.lane[i], &cc, y);
    cost_bars(f, cc.scanned, most, y);
  }
  legend(f, TOP + (unsigned)nl * LANE_H + 20);
  fputs("</svg>\n", f);
  r = ferror(f) ? -1 : 0;
out:
  free(cost);
  free(scanned);
  free(mux);
  free(awake);
  iotv_lanes_free(&L);
  return r;
}
