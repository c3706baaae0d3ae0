/* latency_hist.c: a fixed-size histogram of latencies that answers percentiles within about 3%. */
#include "latency_hist.h"

#include <math.h>

static unsigned bucket_of(uint64_t v) {
  if (v < 64)
    return (unsigned)v;
  unsigned top = 63u - (unsigned)__builtin_clzll(v); /* index of the highest set bit, >= 6 */
  unsigned shift = top - 5;                          /* keep the 6 highest bits: 32..63 */
  return shift * 32 + (unsigned)(v >> shift);
}

/* The smallest value in bucket b, and the width of the bucket. */
static void bucket_range(unsigned b, double *low, double *width) {
  if (b < 64) {
    *low = b;
    *width = 1;
    return;
  }
  unsigned shift = b / 32 - 1;
  uint64_t top_bits = b % 32 + 32;
  *low = ldexp((double)top_bits, (int)shift);
  *width = ldexp(1.0, (int)shift);
}

void latency_hist_add(struct latency_hist *h, uint64_t value) {
  h->buckets[bucket_of(value)]++;
  h->count++;
}

double latency_hist_quantile(const struct latency_hist *h, double q) {
  if (h->count == 0)
    return 0;
  /* The rank of the wanted value, counted from 1. */
  uint64_t rank = (uint64_t)ceil(q * (double)h->count);
  if (rank < 1)
    rank = 1;
  uint64_t seen = 0;
  for (unsigned b = 0; b < LATENCY_HIST_BUCKETS; b++) {
    seen += h->buckets[b];
    if (seen >= rank) {
      double low, width;
      bucket_range(b, &low, &width);
      return width > 1 ? low + width / 2 : low;
    }
  }
  return 0;
}
