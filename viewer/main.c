/* The iotrace command: dispatches to a subcommand through a table and handles --help for all. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "filter.h"

struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
  const char *help;
};

static const struct command commands[] = {
    {"summary", iotv_cmd_summary,
     "summary [--json] [--by-site] [--sort KEY] [--width N] [FILTERS] FILE|DIR...",
     "Per-process table of calls: counts, blocked, EAGAIN, errors, time percentiles,\n"
     "wait vs copy time, fds scanned and ready, bytes each way, and the IO model;\n"
     "with several files, a total over all of them.\n"
     "  --json      machine-readable output (schema in docs/summary-json.md)\n"
     "  --by-site   also break calls down by call site (traces recorded with IOTRACE_STACK)\n"
     "  --debug-dir DIR  separate debug files, by build id (default /usr/lib/debug)\n"
     "  --sort KEY  rows by calls, time, wait, copy, errors, p99, max (most first) or name\n"
     "  --width N   fit the table to N columns (default: the terminal's; no limit otherwise)\n"
     IOTV_FILTER_HELP},
    {"timeline", iotv_cmd_timeline,
     "timeline [--width N] [--clock C] [FILTERS] FILE|DIR...",
     "One lane per thread showing where its time went, sized to the terminal.\n"
     "  --width N         columns to use (default: terminal width, COLUMNS, or 100)\n"
     "  --color, --no-color  force ANSI colours on or off (default: on for a terminal)\n"
     IOTV_FILTER_HELP},
    {"export", iotv_cmd_export, "export --format chrome|csv [--clock C] [FILTERS] FILE|DIR... -o OUT",
     "Writes every event: chrome is trace-event JSON for Perfetto or chrome://tracing,\n"
     "csv is one row per event with a header row.  -o - writes to standard output.\n"
     IOTV_FILTER_HELP},
    {"render", iotv_cmd_render, "render [--clock C] [FILTERS] FILE|DIR... -o OUT.html|OUT.svg",
     "Draws the timeline as a self-contained HTML page (zoom, pan, hover) or an SVG image.\n"
     IOTV_FILTER_HELP},
    {"run", iotv_cmd_run, "run [-o DIR] -- COMMAND [ARG...]",
     "Runs COMMAND under the libiotrace.so shim next to this binary, writing\n"
     "DIR/iotrace.<pid>.trace (DIR defaults to .), then prints their summary.\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find(const char *name) {
  size_t i;
  for (i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void overview(FILE *f) {
  size_t i;
  fprintf(f, "usage: iotrace COMMAND [OPTION...] [FILE...]\n\ncommands:\n");
  for (i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  iotrace %s\n", commands[i].usage);
  fprintf(f, "\n'iotrace COMMAND --help' describes one command.\n"
             "Exit status: 0 ok, 1 bad usage, 2 an input was unreadable or damaged (what could be\n"
             "read is still printed).\n");
}

static void command_help(const struct command *c) {
  printf("usage: iotrace %s\n\n%s", c->usage, c->help);
}

int iotv_usage_error(const char *cmd, const char *fmt, ...) {
  const struct command *c = find(cmd);
  va_list ap;
  fprintf(stderr, "iotrace %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (c)
    fprintf(stderr, "usage: iotrace %s\n", c->usage);
  return IOTV_EXIT_USAGE;
}

/* --help anywhere before "--" (after it the words belong to the traced command of run). */
static int wants_help(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0)
      return 0;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const struct command *c;
  if (argc < 2) {
    overview(stderr);
    return IOTV_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    overview(stdout);
    return IOTV_EXIT_OK;
  }
  if (strcmp(argv[1], "help") == 0) {
    if (argc < 3) {
      overview(stdout);
      return IOTV_EXIT_OK;
    }
    c = find(argv[2]);
    if (!c) {
      fprintf(stderr, "iotrace: unknown command '%s'\n", argv[2]);
      overview(stderr);
      return IOTV_EXIT_USAGE;
    }
    command_help(c);
    return IOTV_EXIT_OK;
  }
  c = find(argv[1]);
  if (!c) {
    fprintf(stderr, "iotrace: unknown command '%s'\n", argv[1]);
    overview(stderr);
    return IOTV_EXIT_USAGE;
  }
  if (wants_help(argc - 1, argv + 1)) {
    command_help(c);
    return IOTV_EXIT_OK;
  }
  return c->run(argc - 1, argv + 1);
}
