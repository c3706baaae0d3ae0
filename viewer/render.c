/* The render command: draws the timeline of traces into a self-contained HTML page or an SVG. */
#include "render.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "cmds.h"
#include "inputs.h"
#include "placed.h"
#include "lanes.h"
#include "model.h"

const char *const iotv_kind_colors[IOTV_RENDER_KINDS] = {
    [IOTV_KIND_WAIT] = "#d62728",   [IOTV_KIND_COPY] = "#2ca02c",  [IOTV_KIND_EAGAIN] = "#ff9f0e",
    [IOTV_KIND_MUX] = "#1f77b4",    [IOTV_KIND_OTHER] = "#9467bd", [IOTV_RENDER_AWAKE] = "#08306b",
    [IOTV_RENDER_IDLE] = "#e8e8e8",
};

const char *const iotv_kind_labels[IOTV_RENDER_KINDS] = {
    [IOTV_KIND_WAIT] = "waiting (blocked read/accept, wait phase)",
    [IOTV_KIND_COPY] = "copying data",
    [IOTV_KIND_EAGAIN] = "EAGAIN (nothing there yet)",
    [IOTV_KIND_MUX] = "in select/poll/epoll_wait, asleep",
    [IOTV_KIND_OTHER] = "other call",
    [IOTV_RENDER_AWAKE] = "in select/poll/epoll_wait, awake (kernel work)",
    [IOTV_RENDER_IDLE] = "idle",
};

const int iotv_render_legend[IOTV_RENDER_KINDS] = {
    IOTV_KIND_WAIT,    IOTV_KIND_COPY,  IOTV_KIND_EAGAIN, IOTV_KIND_MUX,
    IOTV_RENDER_AWAKE, IOTV_KIND_OTHER, IOTV_RENDER_IDLE,
};

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

int iotv_cmd_render(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       IOTV_FILTER_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  struct iotv_filter filter;
  struct iotv_placed pl;
  const char *out = NULL;
  struct iotv_scene sc;
  int c, status = IOTV_EXIT_OK, svg;
  FILE *f;
  memset(&filter, 0, sizeof filter);
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
    if (iotv_filter_is_option(c)) {
      IOTV_FILTER_TAKE(&filter, "render", c, optarg);
      continue;
    }
    if (c != 'o')
      return iotv_usage_error("render", "unknown option");
    out = optarg;
  }
  if (!out)
    return iotv_usage_error("render", "-o OUT.html or -o OUT.svg is required");
  svg = ends_with(out, ".svg");
  if (!svg && !ends_with(out, ".html") && !ends_with(out, ".htm"))
    return iotv_usage_error("render", "the output must end in .html or .svg");
  if (optind >= argc)
    return iotv_usage_error("render", "no trace file given");
  memset(&sc, 0, sizeof sc);
  if (iotv_open_placed(&pl, argc - optind, argv + optind, &status, "render", &filter) < 0)
    return IOTV_EXIT_INPUT;
  sc.tr = pl.tr, sc.n = pl.n;
  sc.show_host = iotv_align_show_host(&pl.al);
  /* --from and --to are also the window drawn. */
  sc.start = pl.start + (filter.has_from ? filter.from : 0);
  sc.end = filter.has_to ? pl.start + filter.to : pl.end;
  if (sc.end <= sc.start && sc.n > 0) {
    fprintf(stderr, "iotrace render: the window is empty\n");
    iotv_close_placed(&pl);
    return IOTV_EXIT_USAGE;
  }
  if (sc.n == 0) {
    fprintf(stderr, "iotrace render: nothing to draw\n");
    status = IOTV_EXIT_INPUT;
  } else if (!(f = fopen(out, "w"))) {
    fprintf(stderr, "iotrace render: %s: %s\n", out, strerror(errno));
    status = IOTV_EXIT_USAGE;
  } else {
    int r = svg ? iotv_render_svg(f, &sc) : iotv_render_html(f, &sc);
    if (fclose(f) != 0 || r < 0) {
      fprintf(stderr, "iotrace render: %s: could not write it all\n", out);
      status = IOTV_EXIT_INPUT;
    }
  }
  iotv_close_placed(&pl);
  return status;
}
