/* The summary command: aggregates each trace file and prints it as a table or as JSON. */
#include "summary.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "inputs.h"
#include "placed.h"
#include "term.h"

/* Figures summed over every file given, for the total after them. */
struct totals {
  struct iotv_callstat *calls; /* IOT_CALL_COUNT of them */
  size_t nprocs;
};

static int summarize(struct iotv_trace *t, int json, int by_site, const char *debug_dir,
                     int *first, const struct iotv_table_opts *o, struct totals *tot) {
  struct iotv_proc p;
  int status = IOTV_EXIT_OK;
  iotv_trace_load_notes(t);
  memset(&p, 0, sizeof p);
  p.t = t;
  p.debug_dir = debug_dir;
  p.s = iotv_stats_collect(t, by_site);
  if (!p.s) {
    fprintf(stderr, "%s: out of memory\n", t->path);
    return IOTV_EXIT_INPUT;
  }
  iotv_diagnose(p.s, p.model, sizeof p.model, p.evidence, sizeof p.evidence);
  if (json) {
    fputs(*first ? "\n" : ",\n", stdout);
    iotv_summary_json(stdout, &p, by_site);
  } else {
    if (!*first)
      fputc('\n', stdout);
    iotv_summary_text(stdout, &p, by_site, o);
  }
  if (tot->calls) {
    unsigned c;
    for (c = 1; c < IOT_CALL_COUNT; c++)
      iotv_callstat_merge(&tot->calls[c], &p.s->call[c]);
    tot->nprocs++;
  }
  *first = 0;
  iotv_stats_free(p.s);
  return status;
}

int iotv_cmd_summary(int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"by-site", no_argument, NULL, 's'},
                                       {"sort", required_argument, NULL, 'o'},
                                       {"width", required_argument, NULL, 'w'},
                                       {"debug-dir", required_argument, NULL, 'd'},
                                       IOTV_FILTER_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  struct iotv_filter filter;
  struct iotv_placed pl;
  struct iotv_table_opts o = {0, iotv_terminal_columns()};
  struct totals tot = {NULL, 0};
  int json = 0, by_site = 0, c, status = IOTV_EXIT_OK, first = 1;
  const char *debug_dir = NULL;
  size_t i;
  memset(&filter, 0, sizeof filter);
  optind = 1;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (iotv_filter_is_option(c)) {
      IOTV_FILTER_TAKE(&filter, "summary", c, optarg);
      continue;
    }
    if (c == 'j')
      json = 1;
    else if (c == 's')
      by_site = 1;
    else if (c == 'o' && (o.sort = iotv_summary_sort_key(optarg)) < 0)
      return iotv_usage_error("summary", "--sort takes calls, time, wait, copy, errors, p99, max "
                                         "or name");
    else if (c == 'w' && (atoi(optarg) < 40 || atoi(optarg) > 100000))
      return iotv_usage_error("summary", "--width must be between 40 and 100000");
    else if (c == 'w')
      o.width = (unsigned)atoi(optarg);
    else if (c == 'd')
      debug_dir = optarg;
    else if (c != 'o' && c != 'd')
      return iotv_usage_error("summary", "unknown option");
  }
  if (optind >= argc)
    return iotv_usage_error("summary", "no trace file given");
  /* Every file is opened first: --from and --to count from the earliest of them. */
  if (iotv_open_placed(&pl, argc - optind, argv + optind, &status, "summary", &filter) < 0) {
    fprintf(stderr, "iotrace: out of memory\n");
    return IOTV_EXIT_INPUT;
  }
  if (pl.n > 1)
    tot.calls = calloc(IOT_CALL_COUNT, sizeof *tot.calls);
  if (json)
    fputs("{\"processes\":[", stdout);
  for (i = 0; i < pl.n; i++) {
    int r = summarize(&pl.tr[i], json, by_site, debug_dir, &first, &o, &tot);
    if (r > status)
      status = r;
  }
  if (json)
    fputs("\n]", stdout);
  if (tot.nprocs > 1 && json)
    iotv_summary_total_json(stdout, tot.calls, tot.nprocs);
  else if (tot.nprocs > 1)
    iotv_summary_total_text(stdout, tot.calls, tot.nprocs, &o);
  if (json)
    fputs("}\n", stdout);
  free(tot.calls);
  iotv_close_placed(&pl);
  return status;
}
