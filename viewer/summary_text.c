/* The summary as text: a process header and a strace -c style table that separates wait from copy.
 */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "maps.h"
#include "model.h"
#include "summary.h"
#include "symbols.h"

/* A column of the table: its heading, width, and how it shows one row. */
struct column {
  const char *head;
  int width;
  void (*cell)(char *buf, size_t len, const struct iotv_callstat *c);
};

#define COUNT_CELL(fn, expr)                                                                       \
  static void fn(char *buf, size_t len, const struct iotv_callstat *c) {                           \
    char tmp[32];                                                                                  \
    snprintf(buf, len, "%s", iotv_fmt_count(tmp, (expr)));                                         \
  }
#define DUR_CELL(fn, expr)                                                                         \
  static void fn(char *buf, size_t len, const struct iotv_callstat *c) {                           \
    iotv_fmt_dur(buf, len, (expr));                                                                \
  }

COUNT_CELL(cell_count, c->count)
COUNT_CELL(cell_blocked, c->blocked)
COUNT_CELL(cell_eagain, c->would_block)
/* EAGAIN has its own column: errors are the other failures. */
COUNT_CELL(cell_errors, c->errors - (c->would_block < c->errors ? c->would_block : c->errors))
DUR_CELL(cell_time, c->time_ns)
DUR_CELL(cell_mean, c->count ? c->time_ns / c->count : 0)
/* The total row has no histogram: a percentile of mixed calls would mean nothing. */
static void pct_cell(char *buf, size_t len, const struct iotv_callstat *c, unsigned pct) {
  if (c->hist.n == 0)
    snprintf(buf, len, "-");
  else
    iotv_fmt_dur(buf, len, iotv_hist_pct(&c->hist, pct));
}

static void cell_p50(char *buf, size_t len, const struct iotv_callstat *c) {
  pct_cell(buf, len, c, 50);
}

static void cell_p90(char *buf, size_t len, const struct iotv_callstat *c) {
  pct_cell(buf, len, c, 90);
}

static void cell_p99(char *buf, size_t len, const struct iotv_callstat *c) {
  pct_cell(buf, len, c, 99);
}

static void cell_p999(char *buf, size_t len, const struct iotv_callstat *c) {
  if (c->hist.n == 0)
    snprintf(buf, len, "-");
  else
    iotv_fmt_dur(buf, len, iotv_hist_quantile(&c->hist, 999, 1000));
}

static void cell_max(char *buf, size_t len, const struct iotv_callstat *c) {
  if (c->hist.n == 0)
    snprintf(buf, len, "-");
  else
    iotv_fmt_dur(buf, len, c->hist.max);
}
DUR_CELL(cell_wait, c->wait_ns)
DUR_CELL(cell_copy, c->copy_ns)
COUNT_CELL(cell_scanned, c->fds_scanned)
COUNT_CELL(cell_ready, c->fds_ready)
COUNT_CELL(cell_to_kernel, c->bytes_to_kernel)
COUNT_CELL(cell_to_user, c->bytes_to_user)

static void cell_ratio(char *buf, size_t len, const struct iotv_callstat *c) {
  if (c->fds_scanned && c->fds_ready)
    snprintf(buf, len, "%.1f", (double)c->fds_scanned / (double)c->fds_ready);
  else
    snprintf(buf, len, "-");
}

static const struct column columns[] = {
    {"calls", 9, cell_count},      {"blocked", 8, cell_blocked},
    {"EAGAIN", 8, cell_eagain},    {"errors", 7, cell_errors},
    {"time", 9, cell_time},        {"mean", 9, cell_mean},
    {"p50", 9, cell_p50},          {"p90", 9, cell_p90},
    {"p99", 9, cell_p99},          {"p99.9", 9, cell_p999},
    {"max", 9, cell_max},          {"wait", 9, cell_wait},
    {"copy", 9, cell_copy},        {"scanned", 9, cell_scanned},
    {"ready", 8, cell_ready},      {"scan/rdy", 8, cell_ratio},
    {"to kernel", 11, cell_to_kernel}, {"to user", 11, cell_to_user},
};

#define NCOLUMNS (sizeof columns / sizeof columns[0])
#define NAME_WIDTH 12

static void row(FILE *f, const char *name, const struct iotv_callstat *c, size_t from, size_t to) {
  size_t i;
  fprintf(f, "%-*s", NAME_WIDTH, name);
  for (i = from; i < to; i++) {
    char buf[48];
    columns[i].cell(buf, sizeof buf, c);
    fprintf(f, " %*s", columns[i].width, buf);
  }
  fputc('\n', f);
}

/* --sort: rows ordered by one column, most first; "name" alphabetically; default call order. */
static const char *const sort_keys[] = {"calls", "time", "wait", "copy", "errors", "p99", "max",
                                        "name"};

int iotv_summary_sort_key(const char *name) {
  size_t i;
  for (i = 0; i < sizeof sort_keys / sizeof sort_keys[0]; i++)
    if (strcmp(name, sort_keys[i]) == 0)
      return (int)i + 1;
  return -1;
}

static uint64_t sort_value(const struct iotv_callstat *c, int key) {
  switch (key) {
  case 1:
    return c->count;
  case 2:
    return c->time_ns;
  case 3:
    return c->wait_ns;
  case 4:
    return c->copy_ns;
  case 5:
    return c->errors;
  case 6:
    return iotv_hist_pct(&c->hist, 99);
  case 7:
    return c->hist.max;
  default:
    return 0;
  }
}

static const struct iotv_callstat *sort_calls;
static int sort_by;
static int cmp_rows(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  uint64_t vx, vy;
  if (sort_by == 8)
    return strcmp(iotv_call_name(x), iotv_call_name(y));
  vx = sort_value(&sort_calls[x], sort_by);
  vy = sort_value(&sort_calls[y], sort_by);
  return vx != vy ? (vx < vy ? 1 : -1) : (x > y) - (x < y);
}

/* The failures of each call by errno, EAGAIN included: "recv: EAGAIN 300, ECONNRESET 2". */
static void errno_lines(FILE *f, const struct iotv_callstat *calls) {
  unsigned c, e;
  int any = 0;
  for (c = 1; c < IOT_CALL_COUNT; c++) {
    const struct iotv_callstat *x = &calls[c];
    int first = 1;
    if (!x->errors)
      continue;
    if (!any)
      fprintf(f, "failures by errno:\n");
    any = 1;
    fprintf(f, "  %s:", iotv_call_name(c));
    for (e = 0; e < IOTV_ERRNOS; e++) {
      unsigned i = iotv_errno_shown(e);
      char cnt[32], name[16];
      if (!x->errnos[i])
        continue;
      fprintf(f, "%s %s %s", first ? "" : ",", iotv_errno_name(i, name, sizeof name),
              iotv_fmt_count(cnt, x->errnos[i]));
      first = 0;
    }
    fputc('\n', f);
  }
}

/* The total row sums what adds up; percentiles of a mix of calls would mean nothing. The wait and
 * copy phase rows lie inside their reads' time and bytes, so only their stray wait and copy time
 * (phases whose read is missing) is added. */
static void total_row(FILE *f, const struct iotv_callstat *calls, size_t from, size_t to) {
  struct iotv_callstat *sum = calloc(1, sizeof *sum);
  unsigned c;
  if (!sum)
    return;
  for (c = 1; c < IOT_CALL_COUNT; c++) {
    const struct iotv_callstat *x = &calls[c];
    sum->wait_ns += x->wait_ns;
    sum->copy_ns += x->copy_ns;
    if (iotv_call_is_phase(c))
      continue;
    sum->count += x->count;
    sum->blocked += x->blocked;
    sum->would_block += x->would_block;
    sum->errors += x->errors;
    sum->time_ns += x->time_ns;
    sum->fds_scanned += x->fds_scanned;
    sum->fds_ready += x->fds_ready;
    sum->bytes_to_kernel += x->bytes_to_kernel;
    sum->bytes_to_user += x->bytes_to_user;
  }
  row(f, "total", sum, from, to);
  free(sum);
}

/*
 * The table of one process, or of the total over several: one row per call, then the total.  On
 * a terminal narrower than the table, the columns are cut into groups that each fit, every group
 * led by the call names.
 */
static void table(FILE *f, const struct iotv_callstat *calls, const struct iotv_table_opts *o) {
  unsigned order[IOT_CALL_COUNT], n = 0, c, k;
  size_t from = 0, to, i;
  for (c = 1; c < IOT_CALL_COUNT; c++)
    if (calls[c].count)
      order[n++] = c;
  if (o->sort > 0) {
    sort_calls = calls;
    sort_by = o->sort;
    qsort(order, n, sizeof *order, cmp_rows);
  }
  while (from < NCOLUMNS) {
    unsigned used = NAME_WIDTH;
    for (to = from; to < NCOLUMNS; to++) {
      if (o->width && to > from && used + 1 + (unsigned)columns[to].width > o->width)
        break;
      used += 1 + (unsigned)columns[to].width;
    }
    if (from > 0)
      fputc('\n', f);
    fprintf(f, "%-*s", NAME_WIDTH, "call");
    for (i = from; i < to; i++)
      fprintf(f, " %*s", columns[i].width, columns[i].head);
    fputc('\n', f);
    for (k = 0; k < n; k++)
      row(f, iotv_call_name(order[k]), &calls[order[k]], from, to);
    total_row(f, calls, from, to);
    from = to;
  }
  if (calls[IOT_CALL_PHASE_WAIT].count || calls[IOT_CALL_PHASE_COPY].count)
    fprintf(f, "(total leaves out the wait and copy rows: phases happen inside their reads)\n");
  fprintf(f, "(errors are failures other than EAGAIN, which has its own column)\n");
  errno_lines(f, calls);
}

/* What the shim said while it traced (a full disk, a setting it ignored), with when. */
static void notes_text(FILE *f, const struct iotv_trace *t) {
  size_t i;
  if (t->nnotes)
    fprintf(f, "   shim notes:\n");
  for (i = 0; i < t->nnotes; i++) {
    char when[32];
    if (t->notes[i].time_ns)
      iotv_fmt_dur(when, sizeof when, t->notes[i].time_ns);
    else
      snprintf(when, sizeof when, "at start");
    fprintf(f, "     %s: ", when);
    iotv_term_str(f, t->notes[i].text);
    fputc('\n', f);
  }
}

static void header(FILE *f, const struct iotv_proc *p) {
  const struct iotv_trace *t = p->t;
  const struct iot_file_header *h = &t->hdr;
  char a[64], b[32], c[32], d[32], e[32];
  size_t i;
  fprintf(f, "== ");
  iotv_term_str(f, t->path);
  fprintf(f, ": pid %u (ppid %u), exec %u, host ", h->pid, h->ppid, h->exec_seq);
  iotv_term_str(f, h->host);
  fprintf(f, "\n   command:");
  for (i = 0; i < t->argc; i++) {
    fputc(' ', f);
    iotv_term_str(f, t->argv[i]);
  }
  fprintf(f, "%s\n", h->flags & IOT_HF_CMD_TRUNC ? " [...]" : "");
  fprintf(f, "   started %s, ran %s, %zu thread%s, %s events\n",
          iotv_fmt_wallclock(a, sizeof a, h->real_anchor_ns),
          iotv_fmt_dur(b, sizeof b, iotv_stats_duration(p->s, t)), t->nthreads,
          t->nthreads == 1 ? "" : "s", iotv_fmt_count(c, p->s->events));
  fprintf(f, "   state: %s%s%s%s; %s torn slots, %s dropped events, %s damaged ranges\n",
          h->flags & IOT_HF_CLOSED ? "closed normally"
                                   : "NOT CLOSED (killed, crashed or still running)",
          h->flags & IOT_HF_EXECED ? ", execed (a later file continues it)" : "",
          t->truncated ? ", TRUNCATED (file cut short: counts stop at the cut)" : "",
          h->flags & IOT_HF_FULL ? ", FULL (space ran out)" : "", iotv_fmt_count(d, p->s->torn),
          iotv_fmt_count(e, h->dropped_events), iotv_fmt_count(a, t->damaged_ranges));
  fprintf(f, "   blocked: %s; phases: %s; stacks: %s\n",
          (h->flags & IOT_HF_NO_RSEQ) || p->s->inferred
              ? "inferred (calls of 50 us or more count as blocked)"
              : "measured",
          h->flags & IOT_HF_SPLIT ? "split into wait and copy" : "not split",
          h->flags & IOT_HF_STACKS ? "recorded" : "off");
  fprintf(f, "   io model: %s: %s\n", p->model, p->evidence);
  notes_text(f, t);
  fputc('\n', f);
}

static void sites_text(FILE *f, const struct iotv_proc *p) {
  struct iotv_symbolizer *sym = iotv_sym_new(p->t, p->debug_dir);
  size_t n, i;
  uint64_t *keys = iotv_sites_by_time(p->s, &n);
  fprintf(f, "\ncall sites (by time):\n");
  if (n == 0)
    fprintf(f, "  none recorded (trace with IOTRACE_STACK to get them)\n");
  for (i = 0; i < n; i++) {
    const struct iotv_sitestat *st = iotv_map_get(p->s->sites, keys[i]);
    const struct iotv_site *site = iotv_trace_site(p->t, st->site);
    char a[32], b[32], c[32], d[32];
    uint32_t k;
    fprintf(f, "  site %u %s: %s calls, time %s, wait %s, copy %s\n", st->site,
            iotv_call_name(st->call), iotv_fmt_count(a, st->count),
            iotv_fmt_dur(b, sizeof b, st->time_ns), iotv_fmt_dur(c, sizeof c, st->wait_ns),
            iotv_fmt_dur(d, sizeof d, st->copy_ns));
    if (!site)
      fprintf(f, "      (stack not recorded)\n");
    for (k = 0; site && k < site->nframes; k++) {
      char buf[512];
      iotv_sym_frame(sym, iotv_site_ip(site, k), buf, sizeof buf);
      fprintf(f, "      #%u ", k);
      iotv_term_str(f, buf);
      fputc('\n', f);
    }
  }
  free(keys);
  iotv_sym_free(sym);
}

void iotv_summary_text(FILE *f, const struct iotv_proc *p, int by_site,
                       const struct iotv_table_opts *o) {
  header(f, p);
  table(f, p->s->call, o);
  if (by_site)
    sites_text(f, p);
}

void iotv_summary_total_text(FILE *f, const struct iotv_callstat *calls, size_t nprocs,
                             const struct iotv_table_opts *o) {
  fprintf(f, "\n== total of %zu processes\n\n", nprocs);
  table(f, calls, o);
}
