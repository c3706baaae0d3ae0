/* The export command: opens the traces, picks a writer and sends every event to a file or stdout.
 */
#include "export.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "cmds.h"
#include "inputs.h"
#include "placed.h"

static const struct {
  const char *name;
  void (*write)(FILE *f, struct iotv_trace *tr, size_t n, uint64_t base);
} formats[] = {
    {"chrome", iotv_export_chrome},
    {"csv", iotv_export_csv},
};

int iotv_cmd_export(int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"output", required_argument, NULL, 'o'},
                                       IOTV_FILTER_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  struct iotv_filter filter;
  struct iotv_placed pl;
  const char *format = NULL, *out = NULL;
  struct iotv_trace *tr;
  size_t i, n = 0, fi;
  uint64_t base = UINT64_MAX;
  int c, status = IOTV_EXIT_OK;
  FILE *f;
  memset(&filter, 0, sizeof filter);
  optind = 1;
  while ((c = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
    if (iotv_filter_is_option(c)) {
      IOTV_FILTER_TAKE(&filter, "export", c, optarg);
      continue;
    }
    if (c == 'f')
      format = optarg;
    else if (c == 'o')
      out = optarg;
    else
      return iotv_usage_error("export", "unknown option");
  }
  if (!format)
    return iotv_usage_error("export", "--format chrome|csv is required");
  for (fi = 0; fi < sizeof formats / sizeof formats[0]; fi++)
    if (strcmp(formats[fi].name, format) == 0)
      break;
  if (fi == sizeof formats / sizeof formats[0])
    return iotv_usage_error("export", "unknown format '%s' (chrome or csv)", format);
  if (!out)
    return iotv_usage_error("export", "-o OUT is required (- for standard output)");
  if (optind >= argc)
    return iotv_usage_error("export", "no trace file given");
  if (iotv_open_placed(&pl, argc - optind, argv + optind, &status, "export", &filter) < 0)
    return IOTV_EXIT_INPUT;
  tr = pl.tr, n = pl.n;
  /* The common time base is the earliest of the files' anchors. */
  for (i = 0; i < n; i++)
    if (tr[i].anchor_ns < base)
      base = tr[i].anchor_ns;
  f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
  if (!f) {
    fprintf(stderr, "iotrace export: %s: %s\n", out, strerror(errno));
    status = IOTV_EXIT_USAGE;
  } else {
    formats[fi].write(f, tr, n, n ? base : 0);
    if ((f == stdout ? fflush(f) : fclose(f)) != 0) {
      fprintf(stderr, "iotrace export: %s: %s\n", out, strerror(errno));
      status = IOTV_EXIT_INPUT;
    }
  }
  iotv_close_placed(&pl);
  return status;
}
