/* A fixed-size log-linear histogram of durations, so percentiles cost the same memory for any
 * trace. */
#ifndef IOTV_HIST_H
#define IOTV_HIST_H

#include <stdint.h>

/* Values below 64 get a bucket each; above, 32 buckets per power of two (at most 1/64 error). */
#define IOTV_HIST_SUB 32u
#define IOTV_HIST_BUCKETS (64u + 58u * IOTV_HIST_SUB)

struct iotv_hist {
  uint64_t n, min, max;
  uint64_t bucket[IOTV_HIST_BUCKETS];
};

void iotv_hist_add(struct iotv_hist *h, uint64_t v);
/* The value at percentile pct (1..100): the middle of the bucket holding the ceil(pct% * n)-th
 * smallest value, clamped to the smallest and largest values seen.  0 when empty. */
uint64_t iotv_hist_pct(const struct iotv_hist *h, unsigned pct);
/* The same at the quantile num/den (999/1000 for p99.9). */
uint64_t iotv_hist_quantile(const struct iotv_hist *h, uint64_t num, uint64_t den);
/* Adds every value of from into into, as if they had been added one by one. */
void iotv_hist_merge(struct iotv_hist *into, const struct iotv_hist *from);

#endif
