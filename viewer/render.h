/* The render writers: the timeline of a set of traces drawn as an SVG image or an HTML page. */
#ifndef IOTV_RENDER_H
#define IOTV_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "reader.h"

/* What both writers draw: the traces and the window they cover. */
struct iotv_scene {
  struct iotv_trace *tr;
  size_t n;
  uint64_t start, end; /* on the common axis (align.c) */
  int show_host;       /* labels name the host: the traces come from several */
};

/* What both outputs colour: the model's kinds, with multiplexer time split in two (the thread
 * slept in the call, or the call was all kernel work, as select and poll scanning every fd),
 * then idle. */
#define IOTV_RENDER_AWAKE IOTV_KIND_COUNT
#define IOTV_RENDER_IDLE (IOTV_KIND_COUNT + 1)
#define IOTV_RENDER_KINDS (IOTV_KIND_COUNT + 2)
extern const char *const iotv_kind_colors[IOTV_RENDER_KINDS];
extern const char *const iotv_kind_labels[IOTV_RENDER_KINDS];
/* The order of the legend: awake next to asleep. */
extern const int iotv_render_legend[IOTV_RENDER_KINDS];

/* The HTML page around its data: the head ends inside the tag that holds the JSON, the script
 * part closes it (render_page.c). */
extern const char iotv_page_head[];
extern const char iotv_page_script[];

int iotv_render_svg(FILE *f, const struct iotv_scene *sc);
int iotv_render_html(FILE *f, const struct iotv_scene *sc);

#endif
