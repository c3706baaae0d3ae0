/* loadgen_report.c: prints the load generator's result as a summary line or a JSON object. */
#include "loadgen.h"

#include <inttypes.h>
#include <stdio.h>

void loadgen_report(const struct loadgen_opts *o, const struct loadgen_result *r) {
  double rps = r->duration_s > 0 ? (double)r->messages / r->duration_s : 0;
  double p50 = latency_hist_quantile(&r->latency_ns, 0.50) / 1000;
  double p99 = latency_hist_quantile(&r->latency_ns, 0.99) / 1000;
  double p999 = latency_hist_quantile(&r->latency_ns, 0.999) / 1000;

  fprintf(o->json ? stderr : stdout,
          "loadgen: %d connections (%d active), %" PRIu64 " messages of %zu bytes in %.3f s: "
          "%.0f msg/s, latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us, %" PRIu64 " errors\n",
          o->connections, o->active, r->messages, o->size, r->duration_s, rps, p50, p99, p999,
          r->errors);
  if (o->json)
    printf("{\"connections\":%d,\"active\":%d,\"messages\":%" PRIu64 ",\"bytes_sent\":%" PRIu64
           ",\"bytes_received\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"rps\":%.1f,\"p50_us\":%.1f"
           ",\"p99_us\":%.1f,\"p999_us\":%.1f,\"duration_s\":%.6f}\n",
           o->connections, o->active, r->messages, r->bytes_sent, r->bytes_received, r->errors, rps,
           p50, p99, p999, r->duration_s);
  fflush(stdout);
}
