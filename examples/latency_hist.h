/* latency_hist.h: a fixed-size histogram of latencies that answers percentiles within about 3%. */
#ifndef EXAMPLES_LATENCY_HIST_H
#define EXAMPLES_LATENCY_HIST_H

#include <stdint.h>

/* Values below 64 get a bucket each; above, each power of two is split into 32 buckets, so a
 * bucket is at most 1/32 of its value wide. 1920 buckets cover all of uint64_t. */
#define LATENCY_HIST_BUCKETS 1920

struct latency_hist {
  uint64_t count;
  uint64_t buckets[LATENCY_HIST_BUCKETS];
};

void latency_hist_add(struct latency_hist *h, uint64_t value);

/* The value below which a fraction q (0..1) of the values lie, as the middle of its bucket;
 * 0 when the histogram is empty. */
double latency_hist_quantile(const struct latency_hist *h, double q);

#endif
