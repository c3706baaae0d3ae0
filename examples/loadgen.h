/* loadgen.h: what the load generator's run loop hands to its report. */
#ifndef EXAMPLES_LOADGEN_H
#define EXAMPLES_LOADGEN_H

#include "latency_hist.h"
#include "loadgen_opts.h"

#include <stdint.h>

struct loadgen_result {
  uint64_t messages; /* echoed back whole and equal to what was sent */
  uint64_t bytes_sent;
  uint64_t bytes_received;
  uint64_t errors;   /* mismatches, unexpected closes, failed calls, echoes never received */
  double duration_s; /* from the first message to the last echo */
  struct latency_hist latency_ns;
};

/* Prints the one-line summary, or with --json one JSON object, on stdout; with --json the
 * summary line goes to stderr. */
void loadgen_report(const struct loadgen_opts *opts, const struct loadgen_result *res);

#endif
