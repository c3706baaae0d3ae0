/* The timeline command: one text lane per thread, a glyph per time slice, sized to the terminal. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "fmt.h"
#include "inputs.h"
#include "placed.h"
#include "align.h"
#include "lanes.h"
#include "timespec.h"

#define LABEL_MAX 28
#define HOST_MAX 16 /* more room for labels that start with their host */

/* The glyph, ANSI colour and legend text of each kind; idle and outside come after the kinds. */
static const struct {
  char glyph;
  const char *color;
  const char *legend;
} look[IOTV_KIND_COUNT] = {
    [IOTV_KIND_WAIT] = {'#', "\033[31m", "waiting (blocked in read/accept, or wait phase)"},
    [IOTV_KIND_COPY] = {'=', "\033[32m", "copying data"},
    [IOTV_KIND_EAGAIN] = {'!', "\033[33m", "EAGAIN (nothing there yet)"},
    [IOTV_KIND_MUX] = {'~', "\033[34m", "in select/poll/epoll_wait"},
    [IOTV_KIND_OTHER] = {'+', "\033[35m", "other call"},
};
#define IDLE_GLYPH '.'
#define OUTSIDE_GLYPH ' '
#define RESET "\033[0m"
#define DIM "\033[2m"

static unsigned terminal_width(void) {
  const char *cols = getenv("COLUMNS");
  if (iotv_terminal_columns() > 0)
    return iotv_terminal_columns();
  if (cols && atoi(cols) > 0)
    return (unsigned)atoi(cols);
  return 100;
}

/* Labels come from the traced program (thread names, host): never send its control bytes raw. */
static void label(char *buf, size_t len, const char *host, uint32_t pid, uint32_t tid,
                  const char *name) {
  char raw[160];
  iotv_lane_label(raw, sizeof raw, host, pid, tid, name);
  iotv_term_escape(buf, len, raw);
}

static void print_lane(const struct iotv_lanes *L, const struct iotv_lane *l, int lw, int color) {
  char lab[512];
  unsigned c;
  int prev = -3;
  uint64_t span = L->to - L->from;
  label(lab, sizeof lab, l->host, l->pid, l->tid, l->name);
  printf("%-*.*s |", lw, lw, lab);
  for (c = 0; c < L->ncells; c++) {
    int k = iotv_lane_cell_kind(l, c), state;
    uint64_t cs = L->from + (uint64_t)((__uint128_t)span * c / L->ncells);
    uint64_t ce = L->from + (uint64_t)((__uint128_t)span * (c + 1) / L->ncells);
    char g;
    if (k >= 0)
      state = k, g = look[k].glyph;
    else if (ce <= l->first_ns || cs >= l->until_ns)
      state = -2, g = OUTSIDE_GLYPH;
    else
      state = -1, g = IDLE_GLYPH;
    /* Reset first: dim would otherwise stay on under the next colour. */
    if (color && state != prev)
      printf("%s%s", RESET, state >= 0 ? look[state].color : state == -1 ? DIM : "");
    prev = state;
    putchar(g);
  }
  if (color)
    fputs(RESET, stdout);
  puts("|");
}

/* Tick labels (time since origin) every 10 columns where they fit, then the ruler itself. */
static void print_axis(const struct iotv_lanes *L, int lw, uint64_t origin) {
  char *line = malloc(L->ncells + 32);
  unsigned c, next = 0;
  uint64_t span = L->to - L->from;
  if (!line)
    return;
  memset(line, ' ', L->ncells + 31);
  line[L->ncells + 31] = '\0';
  for (c = 0; c < L->ncells; c += 10) {
    char t[32];
    int n;
    if (c < next)
      continue;
    iotv_fmt_tick(t, sizeof t, L->from - origin + (uint64_t)((__uint128_t)span * c / L->ncells),
                  (uint64_t)((__uint128_t)span * 10 / L->ncells));
    n = (int)strlen(t);
    if (c + n > L->ncells)
      break;
    memcpy(line + c, t, n);
    next = c + n + 1;
  }
  line[L->ncells] = '\0';
  printf("%-*s  %s\n", lw, "", line);
  for (c = 0; c < L->ncells; c++)
    line[c] = c % 10 == 0 ? '|' : '-';
  printf("%-*s  %s\n", lw, "", line);
  free(line);
}

static void legend(int color) {
  int k;
  printf("legend:");
  for (k = 0; k < IOTV_KIND_COUNT; k++)
    printf("  %s%c%s %s", color ? look[k].color : "", look[k].glyph, color ? RESET : "",
           look[k].legend);
  printf("  %c idle (between calls)\n", IDLE_GLYPH);
  printf("a column shows the first of = ! # ~ + that filled 1/%d of it, else what filled most\n",
         IOTV_CELL_SHARE);
}

struct window {
  uint64_t from, to;
  int has_from, has_to;
};

static int draw(struct iotv_trace *tr, size_t n, const struct window *w, unsigned width,
                int color, const struct iotv_alignment *al) {
  int show_host = iotv_align_show_host(al);
  struct iotv_lanes L;
  uint64_t start = UINT64_MAX, end = 0, from, to;
  size_t i, nl = 0;
  int lw = 8, cells;
  char a[32], b[32], c[32], d[32], wall[64];
  for (i = 0; i < n; i++) {
    uint64_t s, e;
    iotv_trace_span(&tr[i], &s, &e);
    if (s < start)
      start = s;
    if (e > end)
      end = e;
    nl += tr[i].nthreads;
  }
  from = start + (w->has_from ? w->from : 0);
  to = w->has_to ? start + w->to : end;
  if (to <= from) {
    fprintf(stderr, "iotrace timeline: the window is empty (the traces span %s)\n",
            iotv_fmt_dur(a, sizeof a, end - start));
    return IOTV_EXIT_USAGE;
  }
  for (i = 0; i < n; i++) {
    size_t k;
    for (k = 0; k < tr[i].nthreads; k++) {
      char lab[512];
      label(lab, sizeof lab, show_host ? tr[i].hdr.host : NULL, tr[i].hdr.pid,
            tr[i].threads[k].tid, tr[i].threads[k].name);
      if ((int)strlen(lab) > lw)
        lw = (int)strlen(lab);
    }
  }
  if (lw > LABEL_MAX + (show_host ? HOST_MAX : 0))
    lw = LABEL_MAX + (show_host ? HOST_MAX : 0);
  cells = (int)width - lw - 3;
  if (cells < 10)
    cells = 10;
  iotv_lanes_init(&L, from, to, (unsigned)cells);
  L.show_host = show_host;
  for (i = 0; i < n; i++)
    if (iotv_lanes_add(&L, &tr[i]) < 0) {
      fprintf(stderr, "iotrace timeline: out of memory\n");
      iotv_lanes_free(&L);
      return IOTV_EXIT_INPUT;
    }
  printf("timeline %s .. %s of %s, one column = %s, %zu lane%s, t=0 at %s%s\n",
         iotv_fmt_tick(a, sizeof a, from - start, to - from),
         iotv_fmt_tick(b, sizeof b, to - start, to - from),
         iotv_fmt_dur(c, sizeof c, end - start), iotv_fmt_dur(d, sizeof d, (to - from) / L.ncells),
         nl, nl == 1 ? "" : "s",
         iotv_fmt_wallclock(wall, sizeof wall,
                            tr[0].hdr.real_anchor_ns - (tr[0].anchor_ns - start)),
         al->used == IOTV_CLOCK_WALL ? ", placed by wall clock" : "");
  print_axis(&L, lw, start);
  for (i = 0; i < L.n; i++)
    print_lane(&L, &L.lane[i], lw, color);
  legend(color);
  iotv_lanes_free(&L);
  return IOTV_EXIT_OK;
}

int iotv_cmd_timeline(int argc, char **argv) {
  enum { WIDTH = 256, COLOR, NOCOLOR };
  static const struct option opts[] = {{"width", required_argument, NULL, WIDTH},
                                       {"color", no_argument, NULL, COLOR},
                                       {"no-color", no_argument, NULL, NOCOLOR},
                                       IOTV_FILTER_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  struct iotv_filter filter;
  struct iotv_placed pl;
  struct window w;
  unsigned width = 0;
  int c, color = isatty(STDOUT_FILENO), status = IOTV_EXIT_OK;
  memset(&filter, 0, sizeof filter);
  optind = 1;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case WIDTH:
      width = (unsigned)atoi(optarg);
      if (width < 20 || width > 100000)
        return iotv_usage_error("timeline", "--width must be between 20 and 100000");
      break;
    case COLOR:
      color = 1;
      break;
    case NOCOLOR:
      color = 0;
      break;
    default:
      if (!iotv_filter_is_option(c))
        return iotv_usage_error("timeline", "unknown option");
      IOTV_FILTER_TAKE(&filter, "timeline", c, optarg);
    }
  }
  if (optind >= argc)
    return iotv_usage_error("timeline", "no trace file given");
  /* --from and --to are also the window drawn. */
  w.from = filter.from, w.to = filter.to;
  w.has_from = filter.has_from, w.has_to = filter.has_to;
  if (iotv_open_placed(&pl, argc - optind, argv + optind, &status, "timeline", &filter) <
      0)
    return IOTV_EXIT_INPUT;
  if (pl.n > 0) {
    int r = draw(pl.tr, pl.n, &w, width ? width : terminal_width(), color, &pl.al);
    if (r > status)
      status = r;
  }
  iotv_close_placed(&pl);
  return status;
}
