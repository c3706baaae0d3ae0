/* The summary as JSON: one "processes" element per trace, exactly the schema of
 * docs/summary-json.md. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "maps.h"
#include "model.h"
#include "summary.h"
#include "symbols.h"

static void u64(FILE *f, const char *key, uint64_t v) {
  fprintf(f, ",\"%s\":%" PRIu64, key, v);
}

static void boolean(FILE *f, const char *key, int v) {
  fprintf(f, ",\"%s\":%s", key, v ? "true" : "false");
}

/* Failures by errno name: {"EAGAIN": 300, "ECONNRESET": 2}; "other" for numbers past the table. */
static void errnos_json(FILE *f, const struct iotv_callstat *c) {
  unsigned e;
  int first = 1;
  fputs(",\"errnos\":{", f);
  for (e = 0; e < IOTV_ERRNOS; e++) {
    unsigned i = iotv_errno_shown(e);
    char name[16];
    if (!c->errnos[i])
      continue;
    fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", iotv_errno_name(i, name, sizeof name),
            c->errnos[i]);
    first = 0;
  }
  fputc('}', f);
}

static void call_json(FILE *f, const char *name, const struct iotv_callstat *c, int first) {
  fputs(first ? "\n    " : ",\n    ", f);
  iotv_json_str(f, name);
  fprintf(f, ":{\"count\":%" PRIu64, c->count);
  u64(f, "blocked", c->blocked);
  u64(f, "would_block", c->would_block);
  u64(f, "errors", c->errors);
  u64(f, "time_ns", c->time_ns);
  u64(f, "mean_ns", c->count ? c->time_ns / c->count : 0);
  u64(f, "p50_ns", iotv_hist_pct(&c->hist, 50));
  u64(f, "p90_ns", iotv_hist_pct(&c->hist, 90));
  u64(f, "p99_ns", iotv_hist_pct(&c->hist, 99));
  u64(f, "p999_ns", iotv_hist_quantile(&c->hist, 999, 1000));
  u64(f, "max_ns", c->hist.max);
  u64(f, "wait_ns", c->wait_ns);
  u64(f, "copy_ns", c->copy_ns);
  u64(f, "fds_scanned", c->fds_scanned);
  u64(f, "fds_watched", c->fds_watched);
  u64(f, "fds_ready", c->fds_ready);
  u64(f, "bytes_asked", c->bytes_asked);
  u64(f, "bytes_to_kernel", c->bytes_to_kernel);
  u64(f, "bytes_to_user", c->bytes_to_user);
  u64(f, "interest_max", c->interest_max);
  errnos_json(f, c);
  fputc('}', f);
}

void iotv_summary_total_json(FILE *f, const struct iotv_callstat *calls, size_t nprocs) {
  unsigned c;
  int first = 1;
  fprintf(f, ",\n\"total\":{\"processes\":%zu,\"calls\":{", nprocs);
  for (c = 1; c < IOT_CALL_COUNT; c++)
    if (calls[c].count) {
      call_json(f, iotv_call_name(c), &calls[c], first);
      first = 0;
    }
  fputs("}}", f);
}

/* With --by-site only: an extra "sites" array, outside the fixed schema other tools rely on. */
static void sites_json(FILE *f, const struct iotv_proc *p) {
  struct iotv_symbolizer *sym = iotv_sym_new(p->t, p->debug_dir);
  size_t n, i;
  uint64_t *keys = iotv_sites_by_time(p->s, &n);
  fputs(",\"sites\":[", f);
  for (i = 0; i < n; i++) {
    const struct iotv_sitestat *st = iotv_map_get(p->s->sites, keys[i]);
    const struct iotv_site *site = iotv_trace_site(p->t, st->site);
    uint32_t k;
    fprintf(f, "%s\n    {\"site\":%u,\"call\":", i ? "," : "", st->site);
    iotv_json_str(f, iotv_call_name(st->call));
    u64(f, "count", st->count);
    u64(f, "blocked", st->blocked);
    u64(f, "would_block", st->would_block);
    u64(f, "errors", st->errors);
    u64(f, "time_ns", st->time_ns);
    u64(f, "wait_ns", st->wait_ns);
    u64(f, "copy_ns", st->copy_ns);
    fputs(",\"frames\":[", f);
    for (k = 0; site && k < site->nframes; k++) {
      char buf[512];
      iotv_sym_frame(sym, iotv_site_ip(site, k), buf, sizeof buf);
      if (k)
        fputc(',', f);
      iotv_json_str(f, buf);
    }
    fputs("]}", f);
  }
  fputs("]", f);
  free(keys);
  iotv_sym_free(sym);
}

void iotv_summary_json(FILE *f, const struct iotv_proc *p, int by_site) {
  const struct iotv_trace *t = p->t;
  const struct iot_file_header *h = &t->hdr;
  unsigned c;
  size_t i;
  int first = 1;
  fputs("  {\"file\":", f);
  iotv_json_str(f, t->path);
  u64(f, "pid", h->pid);
  u64(f, "ppid", h->ppid);
  u64(f, "exec_seq", h->exec_seq);
  fputs(",\"cmdline\":[", f);
  for (i = 0; i < t->argc; i++) {
    if (i)
      fputc(',', f);
    iotv_json_str(f, t->argv[i]);
  }
  fputs("],\"host\":", f);
  iotv_json_str(f, h->host);
  fputs(",\"boot_id\":\"", f);
  for (i = 0; i < sizeof h->boot_id; i++)
    fprintf(f, "%02x", h->boot_id[i]);
  fputc('"', f);
  u64(f, "start_realtime_ns", h->real_anchor_ns);
  u64(f, "duration_ns", iotv_stats_duration(p->s, t));
  u64(f, "threads", t->nthreads);
  u64(f, "events", p->s->events);
  u64(f, "torn_slots", p->s->torn);
  u64(f, "dropped_events", h->dropped_events);
  boolean(f, "closed", h->flags & IOT_HF_CLOSED);
  boolean(f, "execed", h->flags & IOT_HF_EXECED);
  boolean(f, "full", h->flags & IOT_HF_FULL);
  boolean(f, "truncated", t->truncated);
  u64(f, "damaged_ranges", t->damaged_ranges);
  boolean(f, "stacks", h->flags & IOT_HF_STACKS);
  boolean(f, "split", h->flags & IOT_HF_SPLIT);
  boolean(f, "blocked_measured", !(h->flags & IOT_HF_NO_RSEQ) && !p->s->inferred);
  fputs(",\"model\":{\"name\":", f);
  iotv_json_str(f, p->model);
  fputs(",\"evidence\":", f);
  iotv_json_str(f, p->evidence);
  fputs("},\n   \"calls\":{", f);
  for (c = 1; c < IOT_CALL_COUNT; c++) {
    if (p->s->call[c].count == 0)
      continue;
    call_json(f, iotv_call_name(c), &p->s->call[c], first);
    first = 0;
  }
  fputs("},\n   \"notes\":[", f);
  for (i = 0; i < t->nnotes; i++) {
    fprintf(f, "%s{\"time_ns\":%" PRIu64 ",\"text\":", i ? "," : "", t->notes[i].time_ns);
    iotv_json_str(f, t->notes[i].text);
    fputc('}', f);
  }
  fputs("]", f);
  if (by_site)
    sites_json(f, p);
  fputs("}", f);
}
