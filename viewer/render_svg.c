/* SVG rendering of the timeline, for slides: one row of rectangles per thread, axis and legend. */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "lanes.h"
#include "model.h"
#include "render.h"

#define CELLS 1200 /* horizontal resolution: one cell per SVG unit */
#define LABEL_W 220
#define ROW_H 22
#define TOP 40

/* Consecutive cells of the same kind become one rectangle, to keep the file small. */
static void lane_rects(FILE *f, const struct iotv_lane *l, unsigned y) {
  unsigned c = 0;
  while (c < CELLS) {
    int k = iotv_lane_cell_kind(l, c);
    unsigned end = c + 1;
    while (end < CELLS && iotv_lane_cell_kind(l, end) == k)
      end++;
    if (k >= 0)
      fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>\n", LABEL_W + c,
              y + 3, end - c, ROW_H - 6, iotv_kind_colors[k]);
    c = end;
  }
}

int iotv_render_svg(FILE *f, const struct iotv_scene *sc) {
  struct iotv_lanes L;
  size_t i, nl = 0;
  unsigned w = LABEL_W + CELLS + 20, h, k, x;
  for (i = 0; i < sc->n; i++)
    nl += sc->tr[i].nthreads;
  h = TOP + (unsigned)nl * ROW_H + 60;
  iotv_lanes_init(&L, sc->start, sc->end, CELLS);
  for (i = 0; i < sc->n; i++)
    if (iotv_lanes_add(&L, &sc->tr[i]) < 0) {
      iotv_lanes_free(&L);
      return -1;
    }
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
          "viewBox=\"0 0 %u %u\" font-family=\"sans-serif\" font-size=\"12\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          w, h, w, h);
  for (k = 0; k <= 10; k++) {
    char t[32];
    x = LABEL_W + CELLS * k / 10;
    iotv_fmt_dur(t, sizeof t, (sc->end - sc->start) * k / 10);
    fprintf(f,
            "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#ccc\"/>"
            "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
            x, TOP - 8, x, TOP + (unsigned)nl * ROW_H, x, TOP - 12, t);
  }
  for (i = 0; i < L.n; i++) {
    char lab[64];
    unsigned y = TOP + (unsigned)i * ROW_H;
    snprintf(lab, sizeof lab, "%u/%u %s", L.lane[i].pid, L.lane[i].tid, L.lane[i].name);
    fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>\n", LABEL_W, y + 3,
            CELLS, ROW_H - 6, iotv_kind_colors[IOTV_KIND_COUNT]);
    fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">", LABEL_W - 8, y + ROW_H - 7);
    /* Thread names come from the traced program: escaped like any other untrusted text. */
    iotv_xml_str(f, lab);
    fputs("</text>\n", f);
    lane_rects(f, &L.lane[i], y);
  }
  x = LABEL_W;
  for (k = 0; k <= IOTV_KIND_COUNT; k++) {
    unsigned y = TOP + (unsigned)nl * ROW_H + 25;
    fprintf(f,
            "<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"%s\"/>"
            "<text x=\"%u\" y=\"%u\">%s</text>\n",
            x, y, iotv_kind_colors[k], x + 16, y + 11, iotv_kind_labels[k]);
    x += 16 + 7 * (unsigned)strlen(iotv_kind_labels[k]) + 20;
  }
  fputs("</svg>\n", f);
  iotv_lanes_free(&L);
  return ferror(f) ? -1 : 0;
}
