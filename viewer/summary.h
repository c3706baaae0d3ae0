/* The two renderings of the summary command: a text table and the JSON of docs/summary-json.md. */
#ifndef IOTV_SUMMARY_H
#define IOTV_SUMMARY_H

#include <stdio.h>

#include "reader.h"
#include "stats.h"

struct iotv_proc {
  struct iotv_trace *t;
  struct iotv_stats *s;
  const char *debug_dir; /* --debug-dir, NULL for the default */
  char model[64];
  char evidence[256];
};

/* How the text table is laid out: sort key (iotv_summary_sort_key, 0 for call order) and the
 * width to fit (0: no limit). */
struct iotv_table_opts {
  int sort;
  unsigned width;
};
int iotv_summary_sort_key(const char *name);
void iotv_summary_text(FILE *f, const struct iotv_proc *p, int by_site,
                       const struct iotv_table_opts *o);
/* The table of calls summed over several processes (their percentiles from merged histograms). */
void iotv_summary_total_text(FILE *f, const struct iotv_callstat *calls, size_t nprocs,
                             const struct iotv_table_opts *o);
void iotv_summary_total_json(FILE *f, const struct iotv_callstat *calls, size_t nprocs);
/* One element of the "processes" array. */
void iotv_summary_json(FILE *f, const struct iotv_proc *p, int by_site);
/* Site keys sorted by time spent, most first (malloc'd, *n of them). */
uint64_t *iotv_sites_by_time(const struct iotv_stats *s, size_t *n);

#endif
