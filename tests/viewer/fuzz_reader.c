/* libFuzzer target: any bytes given to the reader, the aggregation and the exporters must not
 * crash. */
#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "lanes.h"
#include "reader.h"
#include "stats.h"
#include "summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  struct iotv_trace t;
  struct iotv_proc p;
  struct iotv_lanes lanes;
  uint64_t start, end;
  if (!sink)
    sink = fopen("/dev/null", "w");
  /* No warning stream: printing every complaint would slow the fuzzer to a crawl. */
  if (iotv_trace_open_mem(&t, "fuzz", data, size, NULL) < 0)
    return 0;
  p.t = &t;
  p.s = iotv_stats_collect(&t, 1); /* by site: also parses stacks and modules chunks */
  if (p.s) {
    iotv_diagnose(p.s, p.model, sizeof p.model, p.evidence, sizeof p.evidence);
    iotv_summary_json(sink, &p, 0); /* not by site: that would read module files from disk */
    {
      struct iotv_table_opts o = {0, 80}; /* a narrow table: the column groups too */
      iotv_summary_text(sink, &p, 0, &o);
    }
    iotv_stats_free(p.s);
  }
  iotv_trace_span(&t, &start, &end);
  iotv_lanes_init(&lanes, start, end, 64);
  iotv_lanes_add(&lanes, &t);
  iotv_lanes_free(&lanes);
  iotv_export_chrome(sink, &t, 1, t.hdr.mono_anchor_ns);
  iotv_export_csv(sink, &t, 1, t.hdr.mono_anchor_ns);
  iotv_trace_close(&t);
  return 0;
}
