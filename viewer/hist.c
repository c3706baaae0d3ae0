/* A fixed-size log-linear histogram of durations, so percentiles cost the same memory for any
 * trace. */
#include "hist.h"

static unsigned bucket_of(uint64_t v) {
  unsigned e;
  if (v < 64)
    return (unsigned)v;
  e = 63u - (unsigned)__builtin_clzll(v); /* 6..63 */
  return 64u + (e - 6u) * IOTV_HIST_SUB + (unsigned)((v >> (e - 5u)) & (IOTV_HIST_SUB - 1u));
}

/* The lowest value of a bucket and its width. */
static void bucket_range(unsigned b, uint64_t *lo, uint64_t *width) {
  unsigned e, m;
  if (b < 64) {
    *lo = b;
    *width = 1;
    return;
  }
  e = (b - 64u) / IOTV_HIST_SUB + 6u;
  m = (b - 64u) % IOTV_HIST_SUB;
  *width = (uint64_t)1 << (e - 5u);
  *lo = ((uint64_t)1 << e) + (uint64_t)m * *width;
}

void iotv_hist_add(struct iotv_hist *h, uint64_t v) {
  if (h->n == 0 || v < h->min)
    h->min = v;
  if (v > h->max)
    h->max = v;
  h->n++;
  h->bucket[bucket_of(v)]++;
}

uint64_t iotv_hist_pct(const struct iotv_hist *h, unsigned pct) {
  return iotv_hist_quantile(h, pct, 100);
}

void iotv_hist_merge(struct iotv_hist *into, const struct iotv_hist *from) {
  unsigned b;
  if (from->n == 0)
    return;
  if (into->n == 0 || from->min < into->min)
    into->min = from->min;
  if (from->max > into->max)
    into->max = from->max;
  into->n += from->n;
  for (b = 0; b < IOTV_HIST_BUCKETS; b++)
    into->bucket[b] += from->bucket[b];
}

uint64_t iotv_hist_quantile(const struct iotv_hist *h, uint64_t num, uint64_t den) {
  uint64_t rank, seen = 0, lo, width, v;
  unsigned b;
  if (h->n == 0 || den == 0)
    return 0;
  /* Integer arithmetic: 0.99 * n in floating point can land just above an integer. */
  rank = (uint64_t)(((unsigned __int128)num * h->n + den - 1) / den);
  if (rank < 1)
    rank = 1;
  if (rank > h->n)
    rank = h->n;
  for (b = 0; b < IOTV_HIST_BUCKETS; b++) {
    seen += h->bucket[b];
    if (seen >= rank)
      break;
  }
  bucket_range(b, &lo, &width);
  v = lo + width / 2;
  if (v < h->min)
    v = h->min;
  if (v > h->max)
    v = h->max;
  return v;
}
