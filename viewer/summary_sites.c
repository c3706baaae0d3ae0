/* Orders the call sites of a summary by the time spent in them, most first. */
#include <stdlib.h>

#include "maps.h"
#include "summary.h"

static const struct iotv_stats *sort_ctx;

static int cmp_site_time(const void *a, const void *b) {
  const struct iotv_sitestat *x = iotv_map_get(sort_ctx->sites, *(const uint64_t *)a);
  const struct iotv_sitestat *y = iotv_map_get(sort_ctx->sites, *(const uint64_t *)b);
  if (x->time_ns != y->time_ns)
    return x->time_ns > y->time_ns ? -1 : 1;
  return *(const uint64_t *)a < *(const uint64_t *)b ? -1 : 1;
}

uint64_t *iotv_sites_by_time(const struct iotv_stats *s, size_t *n) {
  uint64_t *keys = iotv_map_sorted_keys(s->sites);
  *n = keys ? iotv_map_count(s->sites) : 0;
  /* qsort has no context argument in C11; the summary is single-threaded. */
  sort_ctx = s;
  if (keys)
    qsort(keys, *n, sizeof *keys, cmp_site_time);
  return keys;
}
