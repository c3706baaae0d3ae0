/* The two renderings of the summary command: a text table and the JSON of docs/summary-json.md. */
#ifndef IOTV_SUMMARY_H
#define IOTV_SUMMARY_H

#include <stdio.h>

#include "reader.h"
#include "stats.h"

struct iotv_proc {
  struct iotv_trace *t;
  struct iotv_stats *s;
  char model[64];
  char evidence[256];
};

void iotv_summary_text(FILE *f, const struct iotv_proc *p, int by_site);
/* One element of the "processes" array. */
void iotv_summary_json(FILE *f, const struct iotv_proc *p, int by_site);
/* Site keys sorted by time spent, most first (malloc'd, *n of them). */
uint64_t *iotv_sites_by_time(const struct iotv_stats *s, size_t *n);

#endif
