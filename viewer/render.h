/* The render writers: the timeline of a set of traces drawn as an SVG image or an HTML page. */
#ifndef IOTV_RENDER_H
#define IOTV_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "reader.h"

/* What both writers draw: the traces and the window they cover (absolute monotonic ns). */
struct iotv_scene {
  struct iotv_trace *tr;
  size_t n;
  uint64_t start, end;
};

/* The colour of each enum iotv_kind, and of idle time, shared so both outputs match. */
extern const char *const iotv_kind_colors[];
extern const char *const iotv_kind_labels[];

/* The HTML page around its data: the head ends inside the tag that holds the JSON, the script
 * part closes it (render_page.c). */
extern const char iotv_page_head[];
extern const char iotv_page_script[];

int iotv_render_svg(FILE *f, const struct iotv_scene *sc);
int iotv_render_html(FILE *f, const struct iotv_scene *sc);

#endif
